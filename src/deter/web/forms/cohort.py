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
from ..domain import limits
from ..models import CohortEntry, CohortGroup, CohortStatus
from .base import DatePartsField, GovukForm, GovukRadios
from .programmes import GovukCheckboxes

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


class DatedDecision(GovukForm):
    """When a decision was made, if not today nor at its meeting, and why it is recorded
    later (``actions.cohort.check_decision`` holds the rules)."""

    decided_on = DatePartsField(
        name="Date of the decision", label="Date of the decision",
        help_text="Leave blank for today, or for the day of the meeting it was made at")
    backdated_reason = forms.CharField(
        label="Why it is recorded later", required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed for a date before today without a meeting: for example, agreed by "
                  "e-mail between panels")


class DecisionForm(DatedDecision):
    field_order = ("to_status", "reason", "lead_professional", "review_date", "meeting",
                   "decided_on", "backdated_reason")
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
    edits_a_record = True
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
    edits_a_record = True
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


# --- the panel at scale -----------------------------------------------------------------------


class PanelFilterForm(GovukForm):
    """The panel's search, filters and order (a GET form); an unknown value is an error on the
    field, and the panel then shows everyone rather than guessing."""

    q = forms.CharField(label="Person id", required=False, max_length=64,
                        help_text="All or part of the person id")
    age_band = forms.ChoiceField(label="Age", required=False)
    child = forms.ChoiceField(label="Child", required=False, choices=[
        ("", "Children and adults"), ("yes", "Children only (under 18 or age not recorded)"),
        ("no", "Adults only")])
    group = forms.TypedChoiceField(label="Group", required=False, coerce=int, empty_value=None)
    area = forms.CharField(label="Area", required=False, max_length=100,
                           help_text="An LSOA code or part of a place name where they offended")
    criterion = forms.ChoiceField(label="Selection criterion met", required=False)
    score_band = forms.ChoiceField(label="Harm score", required=False)
    status = forms.ChoiceField(label="Status", required=False, choices=[
        ("", "Proposed and deferred"), (Status.PROPOSED, "Proposed"),
        (Status.DEFERRED, "Deferred")])
    sort = forms.ChoiceField(label="Sort by", required=False)

    def __init__(self, *args, groups: Sequence[CohortGroup], criteria: Sequence[str],
                 **kwargs) -> None:
        from ..queries import panel as query

        super().__init__(*args, **kwargs)
        self.fields["age_band"].choices = [("", "Any age")] + [
            (key, label) for key, (label, _, _) in query.AGE_BANDS.items()]
        self.fields["group"].choices = [("", "Any group")] + [
            (str(group.pk), str(group)) for group in groups]
        self.fields["criterion"].choices = [("", "Any")] + [(c, c) for c in criteria]
        self.fields["score_band"].choices = [("", "Any score")] + [
            (key, label) for key, (label, _, _) in query.SCORE_BANDS.items()]
        self.fields["sort"].choices = [(key, label) for key, (label, _) in query.SORTS.items()]

    @property
    def sort_label(self) -> str:
        from ..queries import panel as query

        chosen = self.filters().sort
        return query.SORTS[chosen][0].lower()

    def filters(self):
        from ..queries import panel as query

        if not self.is_valid():
            return query.Filters()
        data = {key: value for key, value in self.cleaned_data.items() if value not in ("", None)}
        data["q"] = data.get("q", "").strip()
        data["area"] = data.get("area", "").strip()
        return query.Filters(**data)


BULK_DECISIONS = (Status.REJECTED, Status.DEFERRED)


class BulkDecisionForm(DatedDecision):
    """One decision, with one reason, for every selected proposal: reject or defer."""

    field_order = ("entries", "to_status", "reason", "review_date", "meeting", "decided_on",
                   "backdated_reason")

    entries = forms.TypedMultipleChoiceField(
        coerce=int, required=True, label="Selected proposals",
        error_messages={"required": "Select at least one person",
                        "invalid_choice": "A selected person is no longer before the panel: "
                        "check the page again"})
    to_status = forms.ChoiceField(
        label="Decision for the selected people", widget=GovukRadios,
        choices=[(s.value, DECISION_LABELS[s]) for s in BULK_DECISIONS],
        error_messages={"required": "Select the decision",
                        "invalid_choice": "Select reject or defer"})
    reason = forms.CharField(
        label="Reason", required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Recorded for each of them: facts they could be shown")
    review_date = DatePartsField(name="Review date", label="Review date",
                                 help_text="To defer: when to bring them back, e.g. 27 3 2026")
    meeting = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, entry_pks: Sequence[int], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["entries"].choices = [(pk, str(pk)) for pk in entry_pks]
        self.fields["to_status"].widget.hints = {s: DECISION_HINTS[s] for s in BULK_DECISIONS}


# --- proposals by hand and group membership ---------------------------------------------------


def split_ids(raw: str) -> list[str]:
    """Ids typed one a line or separated by commas or spaces, in order, without repeats."""
    seen: dict[str, None] = {}
    for item in (raw or "").replace(",", " ").split():
        seen.setdefault(item.strip(), None)
    return list(seen)


class DatedProposal(GovukForm):
    """When a proposal was made, if not today, and why it is recorded later
    (``actions.cohort.check_proposal``)."""

    proposed_on = DatePartsField(
        name="Date of the proposal", label="Date of the proposal",
        help_text="Leave blank for today")
    backdated_reason = forms.CharField(
        label="Why it is recorded later", required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed for a date before today: for example, entered from the panel's "
                  "minutes")

    def undated_fields(self) -> list:
        return [field for field in self if field.name not in ("proposed_on", "backdated_reason")]


class ProposePersonForm(DatedProposal):
    """A coordinator's own proposal of one person: why, by when, and the events behind it
    (chosen from the events the person is involved in)."""

    person_id = forms.CharField(widget=forms.HiddenInput)
    rationale = forms.CharField(
        label="Why the panel should consider them", widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="Facts the person could be shown: what is known, from whom, and why now")
    evidence = forms.MultipleChoiceField(
        label="Evidence", required=False, widget=GovukCheckboxes,
        help_text="The events that support the proposal",
        error_messages={"invalid_choice": "Choose evidence from the person's own events"})
    review_date = DatePartsField(name="Decide by", label="Decide by",
                                 help_text="Leave blank for four weeks from today")

    def __init__(self, *args, events: Sequence, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.events = {str(event.pk): event for event in events}
        self.fields["evidence"].choices = [
            (pk, f"{event.event_id}: {(event.offence_category or event.offence_code).capitalize()}"
                 f", {event.occurred_at:%d %b %Y}")
            for pk, event in self.events.items()]

    def clean_evidence(self) -> list:
        return [self.events[pk] for pk in self.cleaned_data["evidence"]]


class ProposeGroupForm(DatedProposal):
    """A coordinator's own proposal of a group: its label, its members from the programme's
    cohort, why, and the events behind it."""

    label = forms.CharField(label="Label", max_length=64, required=False,
                            help_text="A short label the panel will know it by, e.g. KENT-01")
    name = forms.CharField(label="Name (optional)", max_length=200, required=False)
    members = forms.CharField(
        label="Members", required=False, widget=forms.Textarea(attrs={"rows": 3}),
        max_length=limits.LONG,
        help_text="Person ids of people in the programme's cohort who are in no group yet, "
        "separated by commas or one a line")
    rationale = forms.CharField(
        label="Why the panel should consider the group", required=False,
        widget=forms.Textarea(attrs={"rows": 4}))
    evidence = forms.CharField(
        label="Evidence events (optional)", required=False,
        help_text="Event ids involving the members, separated by commas")
    review_date = DatePartsField(name="Decide by", label="Decide by",
                                 help_text="Leave blank for four weeks from today")


class MembershipForm(GovukForm):
    """Add a person of the programme's cohort to a group, or take a member out, with why."""

    change = forms.ChoiceField(
        label="Change", widget=GovukRadios,
        choices=[("added", "Add a person to the group"),
                 ("removed", "Take a member out of the group")],
        error_messages={"required": "Select whether to add or take out",
                        "invalid_choice": "Select whether to add or take out"})
    person_id = forms.CharField(label="Person id", max_length=64, required=False,
                                help_text="Someone in this programme's cohort")
    reason = forms.CharField(label="Why", required=False,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text="Recorded in the group's membership history")
