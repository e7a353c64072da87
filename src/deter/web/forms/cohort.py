"""Forms for panel decisions and for person and group plans.

The people to choose from (lead professionals, safeguarding leads) are passed in as a list
fetched once per page, so a panel with many decision forms costs one query for them, not one
per form. Which fields a decision needs is the action's rule (``actions.cohort``); its
``ValidationError`` lands on the named field.
"""

from collections.abc import Sequence

from django import forms
from django.contrib.auth.models import AbstractBaseUser

from ..actions.cohort import allowed_transitions
from ..models import CohortEntry, CohortGroup, CohortStatus
from .base import DatePartsField, GovukForm, GovukRadios

Status = CohortStatus

DECISION_LABELS = {
    Status.ACTIVE: "Accept into the cohort",
    Status.REJECTED: "Reject",
    Status.DEFERRED: "Defer",
    Status.PROPOSED: "Return to the proposals",
    Status.STEPPED_DOWN: "Step down",
    Status.EXITED: "Exit from the programme",
}
DECISION_HINTS = {
    Status.ACTIVE: "Give the rationale, the lead professional and a review date",
    Status.REJECTED: "Give the reason",
    Status.DEFERRED: "Give the reason and the date to bring it back to the panel",
    Status.PROPOSED: "Give the reason; the panel reviews it within four weeks",
    Status.STEPPED_DOWN: "Give the reason and a review date",
    Status.EXITED: "Give the reason; the plan ends",
}


def decision_label(from_status: str, to_status: str) -> str:
    if to_status == Status.ACTIVE and from_status == Status.STEPPED_DOWN:
        return "Re-activate"
    if to_status == Status.PROPOSED and from_status == Status.REJECTED:
        return "Propose again"
    return DECISION_LABELS[to_status]


def _name(user: AbstractBaseUser) -> str:
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return f"{full} ({user.get_username()})" if full else user.get_username()


class UserChoiceField(forms.ChoiceField):
    """A choice of one of the given users; cleans to the user (or ``None`` when left blank)."""

    def __init__(self, *, users: Sequence[AbstractBaseUser], empty_label: str, **kwargs) -> None:
        self.users = {str(user.pk): user for user in users}
        choices = [("", empty_label)] + [(pk, _name(user)) for pk, user in self.users.items()]
        super().__init__(choices=choices, required=False, **kwargs)

    def clean(self, value: str) -> AbstractBaseUser | None:
        value = super().clean(value)
        return self.users.get(value) if value else None

    def prepare_value(self, value: object) -> object:
        return getattr(value, "pk", value)


class DecisionForm(GovukForm):
    to_status = forms.ChoiceField(
        label="Decision", widget=GovukRadios,
        error_messages={"required": "Select the decision",
                        "invalid_choice": "Select one of the decisions offered"},
    )
    reason = forms.CharField(
        label="Rationale or reason", required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Facts the person could be shown: what the panel considered and why",
    )
    lead_professional = forms.ChoiceField(required=False)  # replaced in __init__
    review_date = DatePartsField(name="Review date", label="Review date",
                                 help_text="For example, 27 3 2026")
    meeting = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, subject: CohortEntry | CohortGroup,
                 users: Sequence[AbstractBaseUser], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.subject = subject
        statuses = allowed_transitions(subject.status)
        self.fields["to_status"].choices = [
            (status, decision_label(subject.status, status)) for status in statuses
        ]
        self.fields["to_status"].widget.hints = {s: DECISION_HINTS[s] for s in statuses}
        self.fields["lead_professional"] = UserChoiceField(
            users=users, empty_label="Choose a lead professional", label="Lead professional",
            help_text="Needed to accept into the cohort; from the programme's partner agencies",
            initial=subject.lead_professional_id,
        )
        self.fields["lead_professional"].widget.attrs["class"] = "govuk-select"

    @property
    def has_decisions(self) -> bool:
        return bool(self.fields["to_status"].choices)


class PlanForm(GovukForm):
    support_offer = forms.CharField(
        label="Support offer", required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The help on offer: education, training, housing, health, mentoring...",
    )
    enforcement_consequence = forms.CharField(
        label="Consequence of further violence", required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the partnership will do, swiftly and certainly, after further violence",
    )
    lead_professional = forms.ChoiceField(required=False)  # replaced in __init__
    review_date = DatePartsField(name="Review date", label="Review date",
                                 help_text="For example, 27 3 2026")
    safeguarding = forms.ChoiceField(
        label="Safeguarding status", required=False,
        choices=CohortEntry.Safeguarding.choices,
        help_text="For a child: as recorded by children's social care",
        error_messages={"invalid_choice": "Select the safeguarding status from the list"},
    )
    safeguarding_lead = forms.ChoiceField(required=False)  # replaced in __init__

    def __init__(self, *args, entry: CohortEntry, users: Sequence[AbstractBaseUser],
                 is_child: bool, **kwargs) -> None:
        kwargs.setdefault("initial", {
            "support_offer": entry.support_offer,
            "enforcement_consequence": entry.enforcement_consequence,
            "review_date": entry.review_date, "safeguarding": entry.safeguarding,
        })
        super().__init__(*args, **kwargs)
        self.fields["lead_professional"] = UserChoiceField(
            users=users, empty_label="Choose a lead professional", label="Lead professional",
            initial=entry.lead_professional_id,
        )
        self.fields["safeguarding_lead"] = UserChoiceField(
            users=users, empty_label="Choose a safeguarding lead", label="Safeguarding lead",
            help_text="Needed when a safeguarding status is recorded",
            initial=entry.safeguarding_lead_id,
        )
        for name in ("lead_professional", "safeguarding_lead", "safeguarding"):
            self.fields[name].widget.attrs["class"] = "govuk-select"
        if not is_child:
            del self.fields["safeguarding"]
            del self.fields["safeguarding_lead"]

    def clean(self) -> dict:
        data = super().clean()
        data.setdefault("safeguarding", "")
        data.setdefault("safeguarding_lead", None)
        return data


class GroupPlanForm(GovukForm):
    group_response = forms.CharField(
        label="Group-wide response", required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What the partnership does to the whole group when a member is involved in "
        "violence",
    )
    lead_professional = forms.ChoiceField(required=False)  # replaced in __init__
    review_date = DatePartsField(name="Review date", label="Review date",
                                 help_text="For example, 27 3 2026")

    def __init__(self, *args, group: CohortGroup, users: Sequence[AbstractBaseUser],
                 **kwargs) -> None:
        kwargs.setdefault("initial", {"group_response": group.group_response,
                                      "review_date": group.review_date})
        super().__init__(*args, **kwargs)
        self.fields["lead_professional"] = UserChoiceField(
            users=users, empty_label="Choose a lead professional", label="Lead professional",
            initial=group.lead_professional_id,
        )
        self.fields["lead_professional"].widget.attrs["class"] = "govuk-select"
