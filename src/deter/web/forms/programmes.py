"""The programme settings form: problem, area, dates, partner agencies, emphasis, call-ins."""

from django import forms

from ..models import Agency, Programme
from .base import DatePartsField, GovukForm, GovukRadios


class GovukCheckboxes(forms.CheckboxSelectMultiple):
    template_name = "deter/widgets/checkboxes.html"


EMPHASIS_HINTS = {
    "support_led": "Help comes first; enforcement is the consequence of further violence",
    "enforcement_led": "Swift, certain consequences lead; support is offered alongside",
    "balanced": "Support and enforcement carry equal weight",
}


class ProgrammeForm(GovukForm):
    name = forms.CharField(
        label="Programme name", max_length=200,
        error_messages={"required": "Enter the programme name",
                        "max_length": "The programme name must be 200 characters or fewer"},
    )
    problem = forms.CharField(
        label="The problem", widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example, 'Knife crime between two groups in Northside and Eastgate'",
        error_messages={"required": "Describe the problem the programme addresses"},
    )
    area = forms.CharField(
        label="Area", max_length=200, help_text="The districts or neighbourhoods covered",
        error_messages={"required": "Enter the area",
                        "max_length": "The area must be 200 characters or fewer"},
    )
    start = DatePartsField(name="Start date", label="Start date",
                           help_text="For example, 1 4 2026")
    end = DatePartsField(name="End date", label="End date",
                         help_text="Optional. Leave blank if it has no planned end")
    agencies = forms.ModelMultipleChoiceField(
        label="Partner agencies", queryset=Agency.objects.order_by("name"),
        widget=GovukCheckboxes,
        help_text="Staff of partner agencies see the cohort as their role allows",
        error_messages={"required": "Select at least one partner agency",
                        "invalid_choice": "Select partner agencies from the list"},
    )
    emphasis = forms.ChoiceField(
        label="The model's emphasis", choices=Programme.Emphasis.choices,
        widget=GovukRadios(hints=EMPHASIS_HINTS),
        error_messages={"required": "Select the model's emphasis",
                        "invalid_choice": "Select the model's emphasis"},
    )
    delivery_model = forms.ChoiceField(
        label="The focused-deterrence model", required=False,
        choices=[("", "Not said: the evaluation infers it from the cohort"),
                 *Programme.DeliveryModel.choices],
        widget=GovukRadios,
        help_text="A drug-market programme (Project ADDER) has the ADDER dashboard",
        error_messages={"invalid_choice": "Select the focused-deterrence model"},
    )
    uses_call_ins = forms.TypedChoiceField(
        label="Does the programme hold call-ins?",
        choices=(("yes", "Yes"), ("no", "No")), widget=GovukRadios,
        coerce=lambda value: value == "yes",
        error_messages={"required": "Select whether the programme holds call-ins"},
    )

    def __init__(self, *args, instance: Programme | None = None, **kwargs) -> None:
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": instance.name, "problem": instance.problem, "area": instance.area,
                "start": instance.start, "end": instance.end, "emphasis": instance.emphasis,
                "delivery_model": instance.delivery_model,
                "uses_call_ins": "yes" if instance.uses_call_ins else "no",
                "agencies": list(instance.agencies.all()),
            }
        super().__init__(*args, **kwargs)

    def clean(self) -> dict:
        data = super().clean()
        if "start" in data and data["start"] is None and "start" not in self.errors:
            self.add_error("start", "Enter the start date")
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The end date must be the same as or after the start date")
        return data


class PublishScoringForm(GovukForm):
    publish_scoring = forms.TypedChoiceField(
        label="Publish the scoring page?",
        choices=(("yes", "Yes, anyone may read it without signing in"),
                 ("no", "No, only the partnership's staff")),
        widget=GovukRadios, coerce=lambda value: value == "yes",
        help_text="It shows the harm table, the RFGV formula, the selection criteria and what "
        "changed between analyses, never a person or a count of people",
        error_messages={"required": "Select whether to publish the scoring page",
                        "invalid_choice": "Select whether to publish the scoring page"},
    )


class CurrentRunForm(GovukForm):
    """Which complete analysis run the programme works from; the choices are the runs the
    user may see (``policy.runs.visible``)."""

    run = forms.ChoiceField(
        label="Which analysis run does the programme work from?", widget=GovukRadios,
        help_text="The cohort, the panel's proposals, the agenda, the profile and the group "
        "flags use it until another is chosen",
        error_messages={"required": "Select the analysis run the programme works from",
                        "invalid_choice": "Select one of the complete analysis runs listed"},
    )

    def __init__(self, *args, runs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["run"].choices = [
            (str(run.pk), f"Run {run.pk}: started {run.started_at:%-d %B %Y %H:%M}, "
                          f"{run.summary.get('people', '?')} "
                          "people scored")
            for run in runs]
