"""Forms rendered with GOV.UK Design System markup.

``GovukForm`` gives each widget its govuk class and error class; ``templates/deter/includes/
field.html`` draws the label, hint, error message and control. Browser validation is off
(``use_required_attribute = False``) so every user gets the same server-side error summary.
"""

from datetime import date

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import AbstractBaseUser
from django.core import validators
from django.utils.html import format_html
from django.utils.safestring import SafeString

from .. import policy
from ..demo.world import demo_account_with_published_password
from ..domain import limits
from ..models import Agency, Intervention, Person, Programme


class QuickSelect(forms.Select):
    """Django's ``<select>`` markup, drawn straight from the choices rather than through
    ``optgroups`` and one template render per option: a cohort of 400 people is a 400-option
    list, which took 30 ms a page to draw. ``test_quick_select`` checks the markup is Django's.
    """

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        select_attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            select_attrs["multiple"] = True
        wanted = {str(v) for v in self.format_value(value)}
        chosen = False

        def option(option_value, label) -> str:
            nonlocal chosen
            text = "" if option_value is None else str(option_value)
            selected = (not chosen or self.allow_multiple_selected) and text in wanted
            chosen = chosen or selected
            return format_html('\n  <option value="{}"{}>{}</option>', text,
                               SafeString(" selected") if selected else "", label)

        parts = [format_html('<select name="{}"{}>', name, _attrs(select_attrs))]
        for option_value, label in self.choices:
            if isinstance(label, list | tuple):
                inner = "".join(option(v, sub) for v, sub in label)
                parts.append(format_html('\n  <optgroup label="{}">{}\n  </optgroup>',
                                         option_value, SafeString(inner)))
            else:
                parts.append(option(option_value, label))
        parts.append("\n</select>")
        return SafeString("".join(parts))


def _attrs(attrs: dict) -> SafeString:
    """HTML attributes as Django's ``attrs.html`` writes them: False left out, True bare."""
    return SafeString("".join(
        format_html(" {}", n) if v is True else format_html(' {}="{}"', n, v)
        for n, v in attrs.items() if v is not False))


WIDGET_CLASSES = {
    forms.Select: ("govuk-select", "govuk-select--error"),
    QuickSelect: ("govuk-select", "govuk-select--error"),
    forms.Textarea: ("govuk-textarea", "govuk-textarea--error"),
    forms.TextInput: ("govuk-input", "govuk-input--error"),
    forms.PasswordInput: ("govuk-input", "govuk-input--error"),
    forms.EmailInput: ("govuk-input", "govuk-input--error"),
}


class GovukRadios(forms.RadioSelect):
    """Radios with an optional hint under each option."""

    template_name = "deter/widgets/radios.html"

    def __init__(self, *args, hints: dict[str, str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.hints = hints or {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        option["hint"] = self.hints.get(str(value), "")
        return option


class DatePartsWidget(forms.MultiWidget):
    """GOV.UK date input: separate day, month and year boxes."""

    template_name = "deter/widgets/date_parts.html"
    part_classes = {"day": "govuk-input--width-2", "month": "govuk-input--width-2",
                    "year": "govuk-input--width-4"}

    def __init__(self) -> None:
        super().__init__({
            part: forms.TextInput(attrs={
                "class": f"govuk-input govuk-date-input__input {width}", "inputmode": "numeric",
            })
            for part, width in self.part_classes.items()
        })

    def decompress(self, value: date | None) -> list[int | None]:
        return [value.day, value.month, value.year] if value else [None, None, None]


class DatePartsField(forms.MultiValueField):
    widget = DatePartsWidget

    def __init__(self, *, name: str, **kwargs) -> None:
        self.name = name
        parts = [forms.CharField(required=False) for _ in range(3)]
        super().__init__(parts, require_all_fields=False, required=False, **kwargs)

    def compress(self, data_list: list[str]) -> date | None:
        day, month, year = ((part or "").strip() for part in data_list or ["", "", ""])
        if not (day or month or year):
            return None
        missing = [n for n, v in (("day", day), ("month", month), ("year", year)) if not v]
        if missing:
            raise forms.ValidationError(f"{self.name} must include a {' and '.join(missing)}")
        try:
            value = date(int(year), int(month), int(day))
        except ValueError:
            raise forms.ValidationError(f"{self.name} must be a real date") from None
        if not 1900 <= value.year <= 2100:
            raise forms.ValidationError(f"{self.name} must be a real date, like 27 3 2026")
        return value


def _limit_length(field: forms.Field) -> None:
    """Every text box has a limit (``domain.limits``): one it declares, else ``TEXT`` for a
    text area and ``LINE`` for a one-line box; a longer value is refused, naming the field."""
    if type(field) is not forms.CharField:
        return
    if field.max_length is None:
        if isinstance(field.widget, forms.Textarea):
            field.max_length = limits.TEXT
        elif isinstance(field.widget, forms.TextInput):
            field.max_length = limits.LINE
        else:
            return
        field.validators.append(validators.MaxLengthValidator(field.max_length))
    field.error_messages["max_length"] = (
        f"{field.label or 'The text'} must be {field.max_length:,} characters or fewer (it "
        f"has %(show_value)s)")


class GovukForm(forms.Form):
    use_required_attribute = False
    # a form that edits a record refuses a send missing any of its boxes (an empty POST, a
    # stale or hand-made one) rather than clearing what it did not send: see full_clean
    edits_a_record = False

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            _limit_length(field)
            if type(field.widget) is forms.Select:
                field.widget.__class__ = QuickSelect  # the same widget, drawn faster
            if classes := WIDGET_CLASSES.get(type(field.widget)):
                extra = field.widget.attrs.get("class", "")
                field.widget.attrs["class"] = f"{classes[0]} {extra}".strip()

    def full_clean(self) -> None:
        super().full_clean()
        if self.is_bound and self.edits_a_record and (missing := self._missing_boxes()):
            self.add_error(None, (
                f"The form arrived without {', '.join(missing)}, so nothing was changed: "
                f"reload the page and send it again"))
        for name in self._errors or {}:
            field = self.fields.get(name)
            if field is None:
                continue
            widget = field.widget
            if isinstance(widget, DatePartsWidget):
                for part in widget.widgets:
                    part.attrs["class"] += " govuk-input--error"
            elif classes := WIDGET_CLASSES.get(type(widget)):
                widget.attrs["class"] = f"{widget.attrs['class']} {classes[1]}"

    def _missing_boxes(self) -> list[str]:
        """The labels of the boxes a browser always sends (text, lists, dates) that the send
        lacks; a box left empty is sent, empty. Tick boxes and radios are left out when
        unticked, so their absence proves nothing."""
        unsent_when_empty = (forms.CheckboxInput, forms.CheckboxSelectMultiple, forms.RadioSelect,
                             forms.HiddenInput)
        return [str(field.label or name).lower() for name, field in self.fields.items()
                if not isinstance(field.widget, unsent_when_empty)
                and field.widget.value_omitted_from_data(self.data, self.files,
                                                         self.add_prefix(name))]

    def error_links(self) -> list[tuple[str, str]]:
        """(anchor, message) for the error summary, each linking to its field's first input."""
        links = []
        for name, errors in self.errors.items():
            if name == forms.forms.NON_FIELD_ERRORS or name not in self.fields:
                anchor = ""
            else:
                bound = self[name]
                anchor = bound.id_for_label or f"{bound.auto_id}_0"
            links.extend((anchor, str(message)) for message in errors)
        return links


class LoginForm(GovukForm, AuthenticationForm):
    error_messages = {
        "invalid_login": "Enter a correct username and password",
        "inactive": "This account is inactive",
    }

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if settings.PRODUCTION and demo_account_with_published_password(user):
            raise forms.ValidationError(
                "This is a demo account whose password is published: it cannot sign in to a "
                "production Deter. Ask an administrator for your own account.",
                code="demo_account")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].error_messages["required"] = "Enter your username"
        self.fields["password"].error_messages["required"] = "Enter your password"
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "username", "spellcheck": "false", "autofocus": False}
        )


KIND_HINTS = {
    "support": "Education, training, employment, housing, health, treatment, mentoring, "
    "family support",
    "community": "Call-ins, community conferencing, victims' families, faith leaders",
    "enforcement": "Orders such as an ABA or CPN, swift prosecution, disruption",
    "communication": "Custom notification, focused deterrence letter, home visit",
}


class InterventionForm(GovukForm):
    programme = forms.ModelChoiceField(
        queryset=Programme.objects.none(),
        empty_label=None,
        error_messages={
            "required": "Select the programme",
            "invalid_choice": "Select a programme this person is in",
        },
    )
    kind = forms.ChoiceField(
        label="Type of intervention",
        choices=Intervention.Kind.choices,
        widget=GovukRadios(hints=KIND_HINTS),
        error_messages={
            "required": "Select the type of intervention",
            "invalid_choice": "Select the type of intervention",
        },
    )
    title = forms.CharField(
        label="What is offered or done",
        max_length=200,
        help_text="For example, 'Boxing club mentoring, Tuesdays' or 'Custom notification visit'",
        error_messages={
            "required": "Enter what is offered or done",
            "max_length": "What is offered or done must be 200 characters or fewer",
        },
    )
    agency = forms.ModelChoiceField(
        label="Agency providing it",
        queryset=Agency.objects.none(),
        empty_label="Choose an agency",
        error_messages={
            "required": "Select the agency providing it",
            "invalid_choice": "Select an agency you may record interventions for",
        },
    )
    status = forms.ChoiceField(
        choices=Intervention.Status.choices,
        initial=Intervention.Status.PLANNED,
        error_messages={"required": "Select the status", "invalid_choice": "Select the status"},
    )
    start = DatePartsField(name="Start date", label="Start date",
                           help_text="Optional. For example, 27 3 2026")
    end = DatePartsField(name="End date", label="End date",
                         help_text="Optional. Leave blank if it is ongoing")
    outcome = forms.CharField(
        label="Outcome or notes",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional. Facts only: what happened and what is next",
    )

    def __init__(self, *args, user: AbstractBaseUser, person: Person, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.person = person
        programme = self.fields["programme"]
        programme.queryset = policy.programmes.of_person(user, person)
        if len(programme.queryset) == 1:
            self.only_programme = programme.queryset[0]
            programme.widget = forms.HiddenInput()
            programme.initial = self.only_programme.pk
        else:
            self.only_programme = None
        self.fields["agency"].queryset = policy.interventions.providers_for_person(user, person)
        self.fields["title"].widget.attrs["autocomplete"] = "off"

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The end date must be the same as or after the start date")
        programme, agency = data.get("programme"), data.get("agency")
        if programme and agency and not policy.people.can(
            self.user, "add_intervention", self.person, programme=programme, agency=agency
        ):
            self.add_error("agency", f"{agency} cannot be recorded as the provider in {programme}")
        return data
