"""Forms for the drug-market pathway (issue 16): a referral into treatment, an episode's
step, a harm-reduction record. They only validate the shape of what was typed (a real date,
a choice from the list); ``actions.drug_market`` checks the order of the dates and writes."""

from django import forms

from ..models import HarmReductionRecord, TreatmentReferral
from .base import DatePartsField, GovukForm, GovukRadios

Referral = TreatmentReferral


def _required_day(form: GovukForm, data: dict, name: str, message: str) -> None:
    if name in data and data[name] is None and name not in form.errors:
        form.add_error(name, message)


class ReferralForm(GovukForm):
    source = forms.ChoiceField(label="Where the referral came from",
                               choices=Referral.Source.choices, widget=GovukRadios,
                               error_messages={"required": "Select where the referral came from"})
    referred_on = DatePartsField(name="Date of referral", label="Date of referral",
                                 help_text="For example, 14 11 2026")

    def clean(self) -> dict:
        data = super().clean()
        _required_day(self, data, "referred_on", "Enter the date of referral")
        return data


STEP_LABELS = {"triage": "Date of triage", "assessment": "Date of assessment",
               "start": "Date of the first treatment intervention", "exit": "Date of exit"}


class StepForm(GovukForm):
    """One step of the episode; the start asks the modality, the exit its reason."""

    # the action names the episode's date field; here it is ``on``
    renames = dict.fromkeys(("triaged_on", "assessed_on", "started_on", "exited_on"), "on")

    on = DatePartsField(name="Date", label="Date", help_text="For example, 14 11 2026")
    modality = forms.ChoiceField(label="Treatment modality", choices=Referral.Modality.choices,
                                 widget=GovukRadios,
                                 error_messages={"required": "Select the treatment modality"})
    exit_reason = forms.ChoiceField(
        label="Why the person left treatment", choices=Referral.ExitReason.choices,
        widget=GovukRadios, error_messages={"required": "Select why the person left treatment"})

    def __init__(self, *args, step: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.step = step
        self.fields["on"].label = self.fields["on"].name = STEP_LABELS[step]
        if step != "start":
            del self.fields["modality"]
        if step != "exit":
            del self.fields["exit_reason"]

    def clean(self) -> dict:
        data = super().clean()
        _required_day(self, data, "on", f"Enter the {STEP_LABELS[self.step].lower()}")
        return data


class HarmReductionForm(GovukForm):
    kind = forms.ChoiceField(label="What happened", choices=HarmReductionRecord.Kind.choices,
                             widget=GovukRadios,
                             error_messages={"required": "Select what is being recorded"})
    on = DatePartsField(name="Date", label="Date", help_text="For example, 14 11 2026")
    recipient = forms.ChoiceField(
        label="For naloxone: whom the kit was given to", required=False,
        choices=[("", "Not naloxone"), *HarmReductionRecord.Recipient.choices],
        widget=GovukRadios)

    def clean(self) -> dict:
        data = super().clean()
        _required_day(self, data, "on", "Enter the date")
        return data
