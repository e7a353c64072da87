"""Forms for individuals' rights: a notification or exemption, a challenge and its outcome,
and a subject access request with its extension. The actions validate what depends on the
record (an adult told through a parent, the decider, deadlines); these check the shapes."""

from collections.abc import Sequence

from django import forms
from django.contrib.auth.models import AbstractBaseUser

from ..domain import limits
from ..domain.rights import EXEMPTION_HINT
from ..models import Challenge, Notification
from .base import DatePartsField, GovukForm, GovukRadios
from .cohort import UserChoiceField

DATE_HINT = "For example, 27 3 2026"


class NotificationForm(GovukForm):
    kind = forms.ChoiceField(
        label="Have they been told?", choices=Notification.Kind.choices,
        widget=GovukRadios(hints={
            "told": "They, or for a child a parent or carer, were told they are in the programme",
            "exempt": "Telling them now would do harm: record why, and when to look again",
        }),
        error_messages={"required": "Select whether they were told or are exempt",
                        "invalid_choice": "Select whether they were told or are exempt"},
    )
    method = forms.ChoiceField(label="How were they told?", required=False,
                               choices=[("", "Choose how"), *Notification.Method.choices])
    told_on = DatePartsField(name="The date they were told", label="When were they told?",
                             help_text=DATE_HINT)
    told_by = forms.ChoiceField(required=False)  # replaced in __init__
    recipient = forms.ChoiceField(
        label="Who was told?", required=False, choices=Notification.Recipient.choices,
        widget=GovukRadios(hints={"parent_or_carer": "Only for a child (under 18)"}))
    exemption_reason = forms.CharField(
        label="Why are they not being told?", required=False,
        widget=forms.Textarea(attrs={"rows": 3}), help_text=EXEMPTION_HINT)
    review_date = DatePartsField(name="Review date", label="When will the exemption be reviewed?",
                                 help_text=DATE_HINT)

    def __init__(self, *args, users: Sequence[AbstractBaseUser], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["told_by"] = UserChoiceField(
            users=users, empty_label="Choose who told them", label="Who told them?",
            help_text="From the programme's partner agencies")
        self.fields["told_by"].widget.attrs["class"] = "govuk-select"
        self.fields["method"].widget.attrs["class"] = "govuk-select"


class ChallengeForm(GovukForm):
    received_on = DatePartsField(name="The date it was received", label="When was it received?",
                                 help_text=DATE_HINT)
    on_behalf = forms.ChoiceField(
        label="Who made the challenge?", choices=[("no", "The person"),
                                                  ("yes", "Someone on their behalf")],
        widget=GovukRadios,
        error_messages={"required": "Select who made the challenge",
                        "invalid_choice": "Select who made the challenge"})
    made_by = forms.CharField(label="Who made it on their behalf?", required=False,
                              max_length=200,
                              help_text="For example, their mother; their solicitor")
    grounds = forms.CharField(label="Grounds", required=False, max_length=limits.LONG,
                              widget=forms.Textarea(attrs={"rows": 5}),
                              help_text="Why they say they should not be in the programme, in "
                                        "the words they gave")

    def clean_on_behalf(self) -> bool:
        return self.cleaned_data["on_behalf"] == "yes"


class ChallengeDecisionForm(GovukForm):
    outcome = forms.ChoiceField(
        label="Outcome", choices=[(Challenge.Outcome.UPHELD, "Uphold: remove them"),
                                  (Challenge.Outcome.KEPT, "Do not uphold: they stay")],
        widget=GovukRadios(hints={
            "upheld": "Their entry is removed; every partner agency is asked to delete its "
                      "own copies",
            "kept": "The reasons are given to them in writing"}),
        error_messages={"required": "Select the outcome",
                        "invalid_choice": "Select the outcome"})
    reasons = forms.CharField(label="Reasons given to the person", required=False,
                              max_length=limits.LONG,
                              widget=forms.Textarea(attrs={"rows": 5}),
                              help_text="Plain words they will read. No police intelligence "
                                        "detail")


class SubjectAccessForm(GovukForm):
    person_id = forms.CharField(label="Person's id", max_length=64,
                                help_text="Their pseudonymous id in Deter, like P000123",
                                error_messages={"required": "Enter the person's id"})
    received_on = DatePartsField(name="The date it was received", label="When was it received?",
                                 help_text=DATE_HINT)

    def __init__(self, *args, programmes, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.programmes = list(programmes)
        if len(self.programmes) > 1:
            self.fields["programme"] = forms.ChoiceField(
                label="Programme", choices=[("", "Choose the programme")]
                + [(p.pk, p.name) for p in self.programmes],
                error_messages={"required": "Select the programme the request is to",
                                "invalid_choice": "Select the programme the request is to"})
            self.fields["programme"].widget.attrs["class"] = "govuk-select"
        self.fields["person_id"].widget.attrs["autocomplete"] = "off"

    def chosen_programme(self):
        chosen = self.cleaned_data.get("programme")
        return next((p for p in self.programmes if str(p.pk) == str(chosen)),
                    self.programmes[0])


class ExtensionForm(GovukForm):
    extended_to = DatePartsField(name="The new deadline", label="New deadline",
                                 help_text="At most three calendar months from receipt")
    reason = forms.CharField(label="Why it needs longer", required=False,
                             widget=forms.Textarea(attrs={"rows": 3}))
