"""Forms for interventions and their life-cycle, orders and breaches, letters and the group
response."""

from django import forms
from django.contrib.auth.models import AbstractBaseUser

from .. import policy
from ..domain import intervention_catalogue as catalogue
from ..domain import limits
from ..domain.letters import PLACEHOLDERS
from ..models import (
    Agency,
    CohortGroup,
    Event,
    GroupViolenceFlag,
    Intervention,
    LetterTemplate,
)
from .base import KIND_HINTS, DatePartsField, GovukForm, GovukRadios, InterventionForm

Status = Intervention.Status
NEW_STATUSES = (Status.PLANNED, Status.REFERRED, Status.ACTIVE, Status.COMPLETED)
NEW_STATUS_CHOICES = [(s, Status(s).label) for s in NEW_STATUSES]


def _category_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label="Category", required=False,
        choices=[("", "Choose a category"), *catalogue.grouped_category_choices()],
        help_text="Optional. It must be one of the chosen type's categories",
        error_messages={"invalid_choice": "Select a category from the list"},
    )


class EnforcementFields(forms.Form):
    """An order's conditions and expiry, and a charge's CPS decision."""

    conditions = forms.CharField(
        label="Conditions of the order", required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For an ABA or CPN only: what the person agreed to or must do",
    )
    expires = DatePartsField(name="Expiry date", label="Expiry date",
                             help_text="For an ABA or CPN only. For example, 27 3 2027")
    cps_decision = forms.CharField(
        label="Crown Prosecution Service decision", required=False, max_length=200,
        help_text="For a charge: for example, 'Charged with possession of a bladed article'",
        error_messages={"max_length": "The CPS decision must be 200 characters or fewer"},
    )
    cps_decision_date = DatePartsField(name="CPS decision date", label="CPS decision date",
                                       help_text="For example, 27 3 2026")


def _check_kind_fields(form: forms.Form, data: dict) -> None:
    kind, category = data.get("kind"), data.get("category")
    if kind and category and not catalogue.belongs(kind, category):
        form.add_error("category", f"{catalogue.category_label(category)} is not a kind of "
                                   f"{Intervention.Kind(kind).label.lower()} intervention")
    status = data.get("status")
    if kind and status and status not in catalogue.initial_statuses(kind, category or ""):
        allowed = " or ".join(catalogue.status_label(s)
                              for s in catalogue.initial_statuses(kind, category or ""))
        form.add_error("status", f"A new {Intervention.Kind(kind).label.lower()} intervention "
                                 f"starts as {allowed}")


class PersonInterventionForm(EnforcementFields, InterventionForm):
    """The person page's form, with the category and the enforcement fields."""

    category = _category_field()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = NEW_STATUS_CHOICES

    def clean(self) -> dict:
        data = super().clean()
        _check_kind_fields(self, data)
        return data


class GroupInterventionForm(EnforcementFields, GovukForm):
    """An intervention for a whole group, part of the group's plan."""

    kind = forms.ChoiceField(
        label="Type of intervention", choices=Intervention.Kind.choices,
        widget=GovukRadios(hints=KIND_HINTS),
        error_messages={"required": "Select the type of intervention",
                        "invalid_choice": "Select the type of intervention"},
    )
    category = _category_field()
    title = forms.CharField(
        label="What is offered or done", max_length=200,
        help_text="For example, 'Group call-in' or 'Patrols at the group's meeting places'",
        error_messages={"required": "Enter what is offered or done",
                        "max_length": "What is offered or done must be 200 characters or fewer"},
    )
    agency = forms.ModelChoiceField(
        label="Agency providing it", queryset=Agency.objects.none(),
        empty_label="Choose an agency",
        error_messages={"required": "Select the agency providing it",
                        "invalid_choice": "Select one of the programme's agencies"},
    )
    status = forms.ChoiceField(
        choices=NEW_STATUS_CHOICES, initial=Status.PLANNED,
        error_messages={"required": "Select the status", "invalid_choice": "Select the status"},
    )
    start = DatePartsField(name="Start date", label="Start date",
                           help_text="Optional. For example, 27 3 2026")
    end = DatePartsField(name="End date", label="End date",
                         help_text="Optional. Leave blank if it is ongoing")
    outcome = forms.CharField(label="Outcome or notes", required=False,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              help_text="Optional. Facts only")

    field_order = ["kind", "category", "title", "agency", "status", "start", "end", "outcome",
                   "conditions", "expires", "cps_decision", "cps_decision_date"]

    def __init__(self, *args, group: CohortGroup, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = group.programme.agencies.order_by("name")
        self.fields["title"].widget.attrs["autocomplete"] = "off"

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The end date must be the same as or after the start date")
        _check_kind_fields(self, data)
        return data


class StatusUpdateForm(GovukForm):
    status = forms.ChoiceField(
        label="New status", choices=(), widget=GovukRadios,
        error_messages={"required": "Select the new status",
                        "invalid_choice": "Select one of the statuses offered"},
    )
    on = DatePartsField(name="Date it happened", label="Date it happened",
                        help_text="For example, 27 3 2026")
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="Optional. Facts only: what happened and what is next")

    def __init__(self, *args, intervention: Intervention, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            (s, Status(s).label) for s in catalogue.next_statuses(intervention)
        ]

    def clean(self) -> dict:
        data = super().clean()
        if "on" in data and data["on"] is None and "on" not in self.errors:
            self.add_error("on", "Enter the date it happened")
        return data


class BreachForm(GovukForm):
    occurred_on = DatePartsField(name="Date of the breach", label="Date of the breach",
                                 help_text="For example, 27 3 2026")
    description = forms.CharField(
        label="What happened", widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Which condition was broken, and how",
        error_messages={"required": "Describe the breach"},
    )
    event = forms.ModelChoiceField(
        label="Police event (optional)", queryset=Event.objects.none(), required=False,
        empty_label="None", help_text="The recorded event, if the breach is one",
        error_messages={"invalid_choice": "Select one of this person's events"},
    )

    def __init__(self, *args, intervention: Intervention, user: AbstractBaseUser, **kwargs):
        super().__init__(*args, **kwargs)
        person = intervention.person
        if person is not None and policy.people.can(user, "see_case_detail", person):
            self.fields["event"].queryset = (
                Event.objects.filter(involvements__person=person).distinct()
                .order_by("-occurred_at")
            )
            self.fields["event"].label_from_instance = (
                lambda e: f"{e.event_id}: {e.offence_category or 'offence'}, "
                          f"{e.occurred_at:%d %b %Y}")
        else:
            del self.fields["event"]

    def clean(self) -> dict:
        data = super().clean()
        if "occurred_on" in data and data["occurred_on"] is None \
                and "occurred_on" not in self.errors:
            self.add_error("occurred_on", "Enter the date of the breach")
        return data


PLACEHOLDER_HELP = "You can use " + ", ".join(f"${name}" for name in PLACEHOLDERS) + "."


class LetterTemplateForm(GovukForm):
    name = forms.CharField(
        label="Template name", max_length=200,
        help_text="For example, 'Custom notification: support offer and consequences'",
        error_messages={"required": "Enter the template name",
                        "max_length": "The template name must be 200 characters or fewer"},
    )
    kind = forms.ChoiceField(
        label="Type of letter", choices=LetterTemplate.Kind.choices, widget=GovukRadios,
        error_messages={"required": "Select the type of letter",
                        "invalid_choice": "Select the type of letter"},
    )
    body = forms.CharField(
        label="Letter text", widget=forms.Textarea(attrs={"rows": 16}), max_length=limits.LONG,
        help_text=PLACEHOLDER_HELP,
        error_messages={"required": "Enter the letter text"},
    )


class LetterForm(GovukForm):
    template = forms.ModelChoiceField(
        label="Template", queryset=LetterTemplate.objects.none(), empty_label=None,
        error_messages={"required": "Select a template",
                        "invalid_choice": "Select one of the programme's templates"},
    )
    recipient = forms.CharField(
        label="Name of the recipient", max_length=200,
        help_text="As it should appear on the letter. Deter keeps it with this letter only",
        error_messages={"required": "Enter the name of the person the letter is to",
                        "max_length": "The name must be 200 characters or fewer"},
    )
    address = forms.CharField(label="Address", required=False,
                              widget=forms.Textarea(attrs={"rows": 4}),
                              help_text="One line per line of the address")

    def __init__(self, *args, templates, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates
        self.fields["recipient"].widget.attrs["autocomplete"] = "off"


FLAG_HINTS = {
    "open": "Nothing done yet",
    "responding": "The group-wide response has started",
    "done": "The response has been delivered: say what was done",
}


class FlagResponseForm(GovukForm):
    status = forms.ChoiceField(
        label="Where is the response?", choices=GroupViolenceFlag.Status.choices,
        widget=GovukRadios(hints=FLAG_HINTS),
        error_messages={"required": "Select where the response is",
                        "invalid_choice": "Select where the response is"},
    )
    response = forms.CharField(label="Response", required=False,
                               widget=forms.Textarea(attrs={"rows": 3}),
                               help_text="What was done, by whom, and when")


__all__ = [
    "BreachForm", "FlagResponseForm", "GroupInterventionForm", "LetterForm",
    "LetterTemplateForm", "PersonInterventionForm", "StatusUpdateForm",
]
