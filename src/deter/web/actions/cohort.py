"""The cohort: proposals from an analysis run, panel decisions, and person and group plans.

A panel decision moves a cohort entry (or group) from one status to another along the allowed
transitions below and appends a ``CohortDecision``: who decided, when, why, at which meeting.
Only the programme's coordinator decides; the coordinator and the lead professional edit a
plan. Nothing here changes a group's members when the group's status changes.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .. import audit, policy
from ..domain import people
from ..models import (
    AnalysisRun,
    CohortDecision,
    CohortEntry,
    CohortGroup,
    CohortStatus,
    Event,
    GroupMembershipChange,
    Involvement,
    Meeting,
    Person,
    PersonScore,
    Programme,
)

Status = CohortStatus
PROPOSAL_REVIEW_DAYS = 28  # the panel should decide within a month

TRANSITIONS: dict[str, frozenset[str]] = {
    Status.PROPOSED: frozenset({Status.ACTIVE, Status.REJECTED, Status.DEFERRED}),
    Status.DEFERRED: frozenset({Status.ACTIVE, Status.REJECTED, Status.PROPOSED}),
    Status.ACTIVE: frozenset({Status.STEPPED_DOWN, Status.EXITED}),
    Status.STEPPED_DOWN: frozenset({Status.ACTIVE, Status.EXITED}),
    Status.REJECTED: frozenset({Status.PROPOSED}),
    Status.EXITED: frozenset(),
    Status.REMOVED: frozenset(),  # only an upheld challenge removes (actions.rights)
}
# Statuses whose decision sets a new review date, which must be in the future.
NEEDS_REVIEW_DATE = frozenset({Status.ACTIVE, Status.STEPPED_DOWN, Status.DEFERRED})
# Statuses still under review: an entry in one of these with a past review date is overdue.
UNDER_REVIEW = (Status.PROPOSED, Status.DEFERRED, Status.ACTIVE, Status.STEPPED_DOWN)

User = AbstractBaseUser


DISPLAY_ORDER = (Status.ACTIVE, Status.REJECTED, Status.DEFERRED, Status.PROPOSED,
                 Status.STEPPED_DOWN, Status.EXITED)


def allowed_transitions(status: str) -> list[str]:
    """The statuses a decision may move an entry or group in ``status`` to, in display order."""
    allowed = TRANSITIONS.get(status, frozenset())
    return [value.value for value in DISPLAY_ORDER if value in allowed]


def _label(status: str) -> str:
    return Status(status).label.lower() if status in Status.values else status


# --- proposals from an analysis run -----------------------------------------------------------


def proposal_rationale(run: AnalysisRun, score: PersonScore) -> str:
    """Why the analysis proposes this person, in the words of its selection criteria."""
    criteria = [str(item) for item in score.criteria_met or [] if str(item).strip()]
    met = "; ".join(criteria) if criteria else "meets the selection criteria"
    return (
        f"Proposed by analysis run {run.pk}: {met}. Harm score {score.harm_score:,.1f} "
        f"(rank {score.rank}); RFGV {score.rfgv_score:,.0f}."
    )


def propose_from_run(actor: User, programme: Programme, run: AnalysisRun | None) -> int:
    """Bring the run's proposed people (and their found groups) to the programme's panel.

    Only people the run marks ``proposed`` and who have no entry in the programme yet are
    added, as ``proposed`` with a review date four weeks ahead; calling it again adds nothing.
    A found group is added when at least one of its members is proposed, and new entries are
    put in the group this run proposed. Returns how many people were added.
    """
    if not policy.programmes.can(actor, "decide", programme):
        audit.record(actor, "propose_from_run", "programme", programme.pk, outcome=audit.DENIED,
                     run=run.pk if run else None)
        raise PermissionDenied("Only the programme's coordinator may bring proposals to the panel")
    if run is None or run.status != AnalysisRun.Status.COMPLETE:
        raise ValidationError({"run": "There is no complete analysis run to bring proposals from"})
    with transaction.atomic():
        # Lock the programme row so that two coordinators pressing the button at once cannot
        # both add the same people (the second waits, then finds them already there).
        Programme.objects.select_for_update().filter(pk=programme.pk).first()
        already = CohortEntry.objects.filter(programme=programme).values("person_id")
        scores = list(
            run.people.filter(proposed=True).exclude(person_id__in=already).order_by("rank", "pk")
        )
        proposed_labels = set(
            run.people.filter(proposed=True).exclude(group_label="")
            .values_list("group_label", flat=True)
        )
        groups, new_groups = _propose_groups(programme, run, proposed_labels)
        today = timezone.localdate()
        entries = CohortEntry.objects.bulk_create(
            CohortEntry(
                programme=programme, person_id=score.person_id, status=Status.PROPOSED,
                group=groups.get(score.group_label), proposed_by_run=run,
                rationale=proposal_rationale(run, score),
                review_date=today + timedelta(days=PROPOSAL_REVIEW_DAYS),
            )
            for score in scores
        )
        reason = f"Proposed by analysis run {run.pk}"
        CohortDecision.objects.bulk_create(
            [CohortDecision(entry=entry, from_status="", to_status=Status.PROPOSED,
                            reason=reason, review_date=entry.review_date, decided_by=actor)
             for entry in entries]
            + [CohortDecision(group=group, from_status="", to_status=Status.PROPOSED,
                              reason=reason, review_date=group.review_date, decided_by=actor)
               for group in new_groups]
        )
        audit.record(
            actor, "propose_from_run", "programme", programme.pk, run=run.pk,
            people=[entry.person_id for entry in entries],
            groups=[group.label for group in new_groups],
        )
    return len(entries)


def _propose_groups(
    programme: Programme, run: AnalysisRun, labels: Iterable[str]
) -> tuple[dict[str, CohortGroup], list[CohortGroup]]:
    """The run's proposed groups by this run's label, and the new ones.

    Found-group labels are not stable between runs, so a found group is matched to the
    programme's groups by its stable identity (``FoundGroup.stable_id``, by member overlap
    with the previous run's groups): a group the panel already has keeps its label and gets
    the new entries. A new group takes the run's label, or its stable identity when a group
    unrelated to it already has that label.
    """
    found = list(run.groups.filter(group_label__in=set(labels)).order_by("rank"))
    ours = CohortGroup.objects.filter(programme=programme)
    by_identity = {group.stable_id: group for group in ours.filter(
        stable_id__in=[f.stable_id for f in found if f.stable_id])}
    by_label = {group.label: group for group in ours.filter(
        label__in=[f.group_label for f in found])}
    today = timezone.localdate()
    groups: dict[str, CohortGroup] = {}
    new: list[CohortGroup] = []
    for score in found:
        known = by_identity.get(score.stable_id) if score.stable_id else None
        same_run = by_label.get(score.group_label)
        if known is None and same_run is not None and same_run.proposed_by_run_id == run.pk:
            known = same_run
        if known is not None:
            groups[score.group_label] = known
            continue
        label = score.group_label if same_run is None else score.stable_id
        if not label or label in by_label:
            continue  # nothing to tell them apart by: left alone, as before stable identities
        group = CohortGroup(
            programme=programme, label=label, status=Status.PROPOSED, proposed_by_run=run,
            stable_id=score.stable_id,
            rationale=f"Found by analysis run {run.pk}: {score.size} members, harm score "
            f"{score.harm_score:,.1f} (rank {score.rank}), with at least one member "
            "meeting the selection criteria.",
            review_date=today + timedelta(days=PROPOSAL_REVIEW_DAYS))
        by_label[label] = group
        groups[score.group_label] = group
        new.append(group)
    created = CohortGroup.objects.bulk_create(new)
    return groups, created


@dataclass(frozen=True)
class CheckedProposal:
    rationale: str
    review_date: date
    proposed_at: datetime
    backdated_reason: str


def check_proposal(actor: User, programme: Programme, *, rationale: str,
                   review_date: date | None, proposed_on: date | None = None,
                   backdated_reason: str = "") -> CheckedProposal:
    """Authorise and validate a proposal, dated ``proposed_on`` (today if not given; never in
    the future, and with a ``backdated_reason`` when earlier)."""
    if not policy.programmes.can(actor, "decide", programme):
        audit.record(actor, "propose", "programme", programme.pk, outcome=audit.DENIED)
        raise PermissionDenied("Only the programme's coordinator may bring proposals to the panel")
    rationale, backdated_reason = (rationale or "").strip(), (backdated_reason or "").strip()
    proposed_at, errors = _dated(proposed_on, backdated_reason, last=None)
    day = timezone.localdate(proposed_at)
    review_date = review_date or day + timedelta(days=PROPOSAL_REVIEW_DAYS)
    if not rationale:
        errors["rationale"] = "Enter why the panel should consider this proposal"
    if review_date <= day:
        errors["review_date"] = _review_after(day)
    if errors:
        raise ValidationError(_renamed(errors, {"decided_on": "proposed_on"}))
    return CheckedProposal(rationale, review_date, proposed_at, backdated_reason)


def _renamed(errors: dict[str, str], names: dict[str, str]) -> dict[str, str]:
    return {names.get(field, field): message for field, message in errors.items()}


def _review_after(day: date) -> str:
    if day == timezone.localdate():
        return "The review date must be in the future"
    return f"The review date must be after {day:%-d %B %Y}, the day it was decided"


def _dated(day: date | None, backdated_reason: str, last: datetime | None,
           ) -> tuple[datetime, dict[str, str]]:
    """The moment a decision or proposal made on ``day`` (today if None) is recorded at, and
    what is wrong with it: never in the future, never before ``last`` (the subject's previous
    decision), and a reason when it is earlier than today."""
    now, today = timezone.now(), timezone.localdate()
    if day is None or day == today:
        moment = now
    elif day > today:
        return now, {"decided_on": "The date of the decision cannot be in the future"}
    else:
        moment = timezone.make_aware(datetime.combine(day, time(12)))
        if not backdated_reason:
            return moment, {"backdated_reason": (
                "Say why this is recorded later than it happened (for example, agreed by "
                "e-mail between panels, or entered from the paper record)")}
    return _after(moment, last)


def _after(moment: datetime, last: datetime | None) -> tuple[datetime, dict[str, str]]:
    if last is None:
        return moment, {}
    if timezone.localdate(moment) < timezone.localdate(last):
        return moment, {"decided_on": (
            f"The decision cannot be dated before the last one, on "
            f"{timezone.localdate(last):%-d %B %Y}")}
    return max(moment, last + timedelta(seconds=1)), {}  # the same day: after it, in order


def check_evidence(people: Iterable[Person], evidence: Iterable[Event]) -> list[Event]:
    """The chosen evidence events, each of which must involve one of ``people``."""
    evidence = list(evidence)
    involved = set(Involvement.objects.filter(
        person__in=list(people), event__in=evidence).values_list("event_id", flat=True))
    stray = [event.event_id for event in evidence if event.pk not in involved]
    if stray:
        raise ValidationError({"evidence": (
            f"Evidence event{'s' if len(stray) > 1 else ''} {', '.join(stray)} "
            f"{'do' if len(stray) > 1 else 'does'} not involve the "
            f"{'group' if len(list(people)) != 1 else 'person'} proposed")})
    return evidence


def propose(
    actor: User, programme: Programme, person: Person, *, rationale: str,
    reason: str = "", run: AnalysisRun | None = None, review_date: date | None = None,
    evidence: Iterable[Event] = (), proposed_on: date | None = None,
    backdated_reason: str = "",
) -> CohortEntry:
    """Put one person before the programme's panel, with the rationale the panel will read.

    ``reason`` is the decision history's note (by default the rationale); ``run`` the analysis
    run the proposal rests on, if any: without one the proposal is the actor's own, shown as
    "proposed by" them, with the ``evidence`` events they chose (each must involve the
    person). A person already in the programme is refused. ``proposed_on`` dates it as
    ``check_proposal`` says."""
    checked = check_proposal(actor, programme, rationale=rationale, review_date=review_date,
                             proposed_on=proposed_on, backdated_reason=backdated_reason)
    rationale, review_date = checked.rationale, checked.review_date
    evidence = check_evidence([person], evidence)
    with transaction.atomic():
        Programme.objects.select_for_update().filter(pk=programme.pk).first()
        if CohortEntry.objects.filter(programme=programme, person=person).exists():
            raise ValidationError({"person": f"{person.person_id} is already in {programme}"})
        entry = CohortEntry.objects.create(
            programme=programme, person=person, status=Status.PROPOSED, proposed_by_run=run,
            proposed_by=None if run else actor, rationale=rationale, review_date=review_date,
        )
        entry.evidence.set(evidence)
        CohortDecision.objects.create(
            entry=entry, from_status="", to_status=Status.PROPOSED, reason=reason or rationale,
            review_date=review_date, decided_by=actor, decided_at=checked.proposed_at,
            backdated_reason=checked.backdated_reason,
        )
        audit.record(actor, "propose", "cohort_entry", entry.pk, programme=programme.pk,
                     person=person.pk, run=run.pk if run else None, review_date=review_date,
                     evidence=[event.event_id for event in evidence],
                     decided_at=checked.proposed_at, backdated_reason=checked.backdated_reason)
    return entry


def propose_group(
    actor: User, programme: Programme, *, label: str, rationale: str,
    members: Iterable[CohortEntry] = (), run: AnalysisRun | None = None,
    review_date: date | None = None, name: str = "", evidence: Iterable[Event] = (),
    proposed_on: date | None = None, backdated_reason: str = "",
) -> CohortGroup:
    """Put a group before the programme's panel; ``members`` (entries of the programme in no
    group yet) join it. Without a ``run`` it is the actor's proposal, with the ``evidence``
    events they chose (each must involve a member)."""
    checked = check_proposal(actor, programme, rationale=rationale, review_date=review_date,
                             proposed_on=proposed_on, backdated_reason=backdated_reason)
    rationale, review_date = checked.rationale, checked.review_date
    label = (label or "").strip()
    members = list(members)
    evidence = check_evidence([entry.person for entry in members], evidence)
    if not label:
        raise ValidationError({"label": "Enter the group's label"})
    if any(entry.programme_id != programme.pk for entry in members):
        raise ValidationError({"members": "Every member must be in this programme's cohort"})
    with transaction.atomic():
        if CohortGroup.objects.filter(programme=programme, label=label).exists():
            raise ValidationError({"label": f"{programme} already has a group {label}"})
        group = CohortGroup.objects.create(
            programme=programme, label=label, name=(name or "").strip(), status=Status.PROPOSED,
            proposed_by_run=run, proposed_by=None if run else actor, rationale=rationale,
            review_date=review_date,
        )
        group.evidence.set(evidence)
        CohortDecision.objects.create(
            group=group, from_status="", to_status=Status.PROPOSED, reason=rationale,
            review_date=review_date, decided_by=actor, decided_at=checked.proposed_at,
            backdated_reason=checked.backdated_reason,
        )
        joined = list(CohortEntry.objects.filter(
            pk__in=[entry.pk for entry in members], group__isnull=True))
        CohortEntry.objects.filter(pk__in=[entry.pk for entry in joined]).update(group=group)
        GroupMembershipChange.objects.bulk_create(
            GroupMembershipChange(group=group, entry=entry, change="added", reason=rationale,
                                  changed_by=actor) for entry in joined)
        audit.record(actor, "propose_group", "cohort_group", group.pk, programme=programme.pk,
                     label=label, run=run.pk if run else None, members=len(joined),
                     people=[entry.person_id for entry in joined],
                     evidence=[event.event_id for event in evidence],
                     decided_at=checked.proposed_at, backdated_reason=checked.backdated_reason)
    return group


# --- decisions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedDecision:
    """A decision that has been authorised and validated, ready to write."""

    subject: CohortEntry | CohortGroup
    from_status: str
    to_status: str
    reason: str
    review_date: date | None
    lead_professional: AbstractBaseUser | None
    meeting: Meeting | None
    decided_at: datetime
    backdated_reason: str = ""

    @property
    def is_entry(self) -> bool:
        return isinstance(self.subject, CohortEntry)

    @property
    def audit_as(self) -> tuple[str, str]:
        """(action, record kind) for the audit trail."""
        return ("decide", "cohort_entry") if self.is_entry else ("decide_group", "cohort_group")


def check_decision(
    actor: User, subject: CohortEntry | CohortGroup, to_status: str, *, reason: str,
    review_date: date | None, lead_professional: AbstractBaseUser | None,
    meeting: Meeting | None, decided_on: date | None = None, backdated_reason: str = "",
) -> PlannedDecision:
    """Authorise (only the coordinator decides) and validate a decision; writes nothing but
    the refusal's audit row.

    A decision is dated when it was made: ``decided_on`` (today if not given), or the day of
    its ``meeting``, which must have taken place. It is never in the future nor before the
    subject's last decision, and one dated earlier than today without a meeting needs a
    ``backdated_reason``.
    """
    is_entry = isinstance(subject, CohortEntry)
    if not policy.programmes.can(actor, "decide", subject.programme):
        audit.record(actor, "decide" if is_entry else "decide_group",
                     "cohort_entry" if is_entry else "cohort_group", subject.pk,
                     outcome=audit.DENIED, to_status=to_status)
        raise PermissionDenied("Only the programme's coordinator may record panel decisions")
    from_status = subject.status
    if to_status in (Status.REJECTED, Status.EXITED):
        review_date, lead_professional = None, None  # nothing left to review or lead
    elif to_status == Status.ACTIVE and from_status == Status.STEPPED_DOWN:
        lead_professional = lead_professional or subject.lead_professional
    elif to_status == Status.PROPOSED and review_date is None:
        review_date = timezone.localdate() + timedelta(days=PROPOSAL_REVIEW_DAYS)
    if to_status not in TRANSITIONS.get(from_status, frozenset()):
        raise ValidationError({"to_status": (
            f"A decision cannot move from {_label(from_status)} to {_label(to_status)}"
        )})
    decided_at, errors = _decision_moment(subject, meeting, decided_on,
                                          (backdated_reason or "").strip())
    planned = PlannedDecision(subject, from_status, to_status, (reason or "").strip(),
                              review_date, lead_professional, meeting, decided_at,
                              (backdated_reason or "").strip())
    errors = _decision_errors(actor, planned) | errors
    if errors:
        raise ValidationError(errors)
    return planned


def _decision_moment(subject: CohortEntry | CohortGroup, meeting: Meeting | None,
                     decided_on: date | None, backdated_reason: str,
                     ) -> tuple[datetime, dict[str, str]]:
    """When a decision was made (at its meeting, which must have taken place, or on
    ``decided_on``), and what is wrong with that date."""
    last = subject.decisions.order_by("-decided_at", "-pk").values_list(
        "decided_at", flat=True).first()
    if meeting is None:
        return _dated(decided_on, backdated_reason, last)
    if meeting.held_at > timezone.now():
        held = timezone.localtime(meeting.held_at)
        return timezone.now(), {"meeting": (
            f"The meeting on {held:%-d %B %Y at %H:%M} has not taken place yet: record the "
            f"decision once it has")}
    meeting_day = timezone.localdate(meeting.held_at)
    if decided_on is not None and decided_on != meeting_day:
        return timezone.now(), {"decided_on": (
            f"A decision at the meeting of {meeting_day:%-d %B %Y} is dated that day")}
    return _after(meeting.held_at, last)


def _decision_errors(actor: User, planned: PlannedDecision) -> dict[str, str]:
    errors: dict[str, str] = {}
    programme, to_status = planned.subject.programme, planned.to_status
    if not planned.reason:
        errors["reason"] = (
            "Enter the rationale for accepting" if to_status == Status.ACTIVE
            else "Enter the reason for the decision"
        )
    lead = planned.lead_professional
    if to_status == Status.ACTIVE and lead is None:
        errors["lead_professional"] = "Select the lead professional"
    assignable = policy.programmes.users_with("assign", programme)
    if lead is not None and not assignable.filter(pk=lead.pk).exists():
        errors["lead_professional"] = "Select a lead professional from the programme's agencies"
    review_date, decided_on = planned.review_date, timezone.localdate(planned.decided_at)
    if to_status in NEEDS_REVIEW_DATE and review_date is None:
        errors["review_date"] = "Enter the review date"
    elif review_date is not None and review_date <= decided_on:
        errors["review_date"] = _review_after(decided_on)
    meeting = planned.meeting
    if meeting is not None and (
        meeting.programme_id != programme.pk
        or not policy.meetings.visible(actor).filter(pk=meeting.pk).exists()
    ):
        errors["meeting"] = "Select a meeting of this programme"
    return errors


def do_decision(actor: User, planned: PlannedDecision) -> CohortDecision:
    """Write a checked decision under a row lock, refusing it if someone else has decided
    since it was checked."""
    subject, to_status = planned.subject, planned.to_status
    action, kind = planned.audit_as
    with transaction.atomic():
        current = type(subject).objects.select_for_update().get(pk=subject.pk)
        if current.status != planned.from_status:
            raise ValidationError({"to_status": (
                f"Someone else has just recorded a decision: the status is now "
                f"{_label(current.status)}. Check the page again before deciding"
            )})
        subject.status = to_status
        if to_status == Status.ACTIVE:
            subject.rationale = planned.reason
        if planned.review_date is not None:
            subject.review_date = planned.review_date
        if planned.lead_professional is not None:
            subject.lead_professional = planned.lead_professional
        subject.decided_by = actor
        subject.decided_at = planned.decided_at
        subject.save(update_fields=["status", "rationale", "review_date", "lead_professional",
                                    "decided_by", "decided_at"])
        decision = CohortDecision.objects.create(
            entry=subject if planned.is_entry else None,
            group=None if planned.is_entry else subject,
            from_status=planned.from_status, to_status=to_status, reason=planned.reason,
            review_date=planned.review_date, lead_professional=planned.lead_professional,
            meeting=planned.meeting, decided_by=actor, decided_at=planned.decided_at,
            backdated_reason=planned.backdated_reason,
        )
        lead, meeting = planned.lead_professional, planned.meeting
        audit.record(
            actor, action, kind, subject.pk, programme=subject.programme_id,
            person=subject.person_id if planned.is_entry else None,
            from_status=planned.from_status, to_status=to_status, reason=planned.reason,
            review_date=planned.review_date, lead_professional=lead.pk if lead else None,
            meeting=meeting.pk if meeting else None, decision=decision.pk,
            decided_at=planned.decided_at, backdated_reason=planned.backdated_reason,
        )
    return decision


def decide(
    actor: User, entry: CohortEntry, to_status: str, *, reason: str,
    review_date: date | None = None, lead_professional: AbstractBaseUser | None = None,
    meeting: Meeting | None = None, decided_on: date | None = None, backdated_reason: str = "",
) -> CohortDecision:
    """Record a panel decision about a person: accept, reject, defer, step down, exit...

    Accepting needs a rationale, a lead professional from the programme's agencies and a
    review date in the future; every other decision needs a reason, and deferring, stepping
    down and re-activating a future review date. A refused transition names both statuses.
    It is dated as ``check_decision`` says.
    """
    return do_decision(actor, check_decision(
        actor, entry, to_status, reason=reason, review_date=review_date,
        lead_professional=lead_professional, meeting=meeting, decided_on=decided_on,
        backdated_reason=backdated_reason))


def decide_group(
    actor: User, group: CohortGroup, to_status: str, *, reason: str,
    review_date: date | None = None, lead_professional: AbstractBaseUser | None = None,
    meeting: Meeting | None = None, decided_on: date | None = None, backdated_reason: str = "",
) -> CohortDecision:
    """The same decision about a group; the group's members keep their own statuses."""
    return do_decision(actor, check_decision(
        actor, group, to_status, reason=reason, review_date=review_date,
        lead_professional=lead_professional, meeting=meeting, decided_on=decided_on,
        backdated_reason=backdated_reason))


def decide_many(
    actor: User, programme: Programme, entries: Iterable[CohortEntry], to_status: str, *,
    reason: str, review_date: date | None = None, meeting: Meeting | None = None,
    decided_on: date | None = None, backdated_reason: str = "",
) -> list[CohortDecision]:
    """The same decision (reject or defer, with one reason) for each selected proposal.

    Each is checked and written by the one decision action (``check_decision``,
    ``do_decision``), so each has its own decision row and audit row; all of them are
    written in one transaction or none is, and an error names the person it is about.
    """
    entries = list(entries)
    if not policy.programmes.can(actor, "decide", programme):
        audit.record(actor, "decide_many", "programme", programme.pk, outcome=audit.DENIED,
                     entries=[entry.pk for entry in entries], to_status=to_status)
        raise PermissionDenied("Only the programme's coordinator may record panel decisions")
    if to_status not in (Status.REJECTED, Status.DEFERRED):
        raise ValidationError({"to_status": "Several people at once may only be rejected or "
                                            "deferred; accept each one on their own"})
    if not entries or any(entry.programme_id != programme.pk for entry in entries):
        raise ValidationError({"entries": "Select people before this programme's panel"})
    planned = []
    for entry in entries:
        try:
            planned.append(check_decision(actor, entry, to_status, reason=reason,
                                          review_date=review_date, lead_professional=None,
                                          meeting=meeting, decided_on=decided_on,
                                          backdated_reason=backdated_reason))
        except ValidationError as error:
            raise ValidationError({field: f"{entry.person.person_id}: {'; '.join(messages)}"
                                   for field, messages in error.message_dict.items()}) from None
    with transaction.atomic():
        return [do_decision(actor, plan) for plan in planned]


# --- group membership -------------------------------------------------------------------------


def check_membership(actor: User, group: CohortGroup, entry: CohortEntry, change: str,
                     reason: str) -> str:
    """Authorise (the coordinator) and validate adding ``entry`` to ``group`` or taking it
    out; returns the cleaned reason."""
    action = "add_member" if change == "added" else "remove_member"
    if not policy.groups.can(actor, "edit_members", group):
        audit.record(actor, action, "cohort_group", group.pk, outcome=audit.DENIED,
                     entry=entry.pk)
        raise PermissionDenied("Only the programme's coordinator may change a group's members")
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = "Enter why the group's members change"
    if entry.programme_id != group.programme_id:
        errors["entry"] = f"{entry.person.person_id} is not in this programme's cohort"
    elif change == "added" and entry.group_id == group.pk:
        errors["entry"] = f"{entry.person.person_id} is already in group {group}"
    elif change == "added" and entry.group_id is not None:
        errors["entry"] = (f"{entry.person.person_id} is in group {entry.group}: "
                           "take them out of it first")
    elif change == "removed" and entry.group_id != group.pk:
        errors["entry"] = f"{entry.person.person_id} is not in group {group}"
    if errors:
        raise ValidationError(errors)
    return reason


def change_membership(actor: User, group: CohortGroup, entry: CohortEntry, change: str, *,
                      reason: str) -> GroupMembershipChange:
    """Add a person in the programme's cohort to a group (``change="added"``) or take them
    out (``"removed"``), with the reason; the group's history keeps who, when and why."""
    if change not in GroupMembershipChange.Change.values:
        raise ValidationError({"change": "Choose to add or to remove"})
    reason = check_membership(actor, group, entry, change, reason)
    with transaction.atomic():
        current = CohortEntry.objects.select_for_update().get(pk=entry.pk)
        if current.group_id != entry.group_id:
            raise ValidationError({"entry": "Someone else has just changed this person's "
                                            "group: check the page again"})
        entry.group = group if change == "added" else None
        entry.save(update_fields=["group"])
        record = GroupMembershipChange.objects.create(
            group=group, entry=entry, change=change, reason=reason, changed_by=actor)
        audit.record(actor, "add_member" if change == "added" else "remove_member",
                     "cohort_group", group.pk, programme=group.programme_id,
                     entry=entry.pk, person=entry.person_id, reason=reason, change=record.pk)
    return record


# --- plans ------------------------------------------------------------------------------------


def _check_person_user(programme: Programme, user: AbstractBaseUser | None, field: str,
                       errors: dict[str, str], message: str) -> None:
    assignable = policy.programmes.users_with("assign", programme)
    if user is not None and not assignable.filter(pk=user.pk).exists():
        errors[field] = message


def _check_review_date(before: date | None, after: date | None, errors: dict[str, str],
                       required: bool) -> None:
    if after is None:
        if required:
            errors["review_date"] = "Enter the review date"
    elif after != before and after <= timezone.localdate():
        errors["review_date"] = "The review date must be in the future"


def update_plan(
    actor: User, entry: CohortEntry, *, support_offer: str, enforcement_consequence: str,
    lead_professional: AbstractBaseUser | None, review_date: date | None,
    safeguarding: str = "", safeguarding_lead: AbstractBaseUser | None = None,
) -> CohortEntry:
    """Change a person's plan: the help on offer, the consequence, the lead, safeguarding.

    A changed review date must be in the future; an unchanged one may already be overdue, so
    that a plan can still be corrected. Safeguarding is for children and needs a lead.
    """
    if not policy.entries.can(actor, "edit_plan", entry):
        audit.record(actor, "update_plan", "cohort_entry", entry.pk, outcome=audit.DENIED)
        raise PermissionDenied("You may not change this plan")
    programme = entry.programme
    values = {
        "support_offer": (support_offer or "").strip(),
        "enforcement_consequence": (enforcement_consequence or "").strip(),
        "lead_professional": lead_professional,
        "review_date": review_date,
        "safeguarding": safeguarding or "",
        "safeguarding_lead": safeguarding_lead,
    }
    errors: dict[str, str] = {}
    if entry.status in (Status.ACTIVE, Status.STEPPED_DOWN) and lead_professional is None:
        errors["lead_professional"] = "Select the lead professional"
    _check_person_user(programme, lead_professional, "lead_professional", errors,
                       "Select a lead professional from the programme's agencies")
    _check_review_date(entry.review_date, review_date, errors, required=True)
    if values["safeguarding"] not in CohortEntry.Safeguarding.values:
        errors["safeguarding"] = "Select the safeguarding status from the list"
    elif values["safeguarding"]:
        if not people.is_child(entry.person.age_on(timezone.localdate())):
            errors["safeguarding"] = "A safeguarding status is recorded only for children"
        elif safeguarding_lead is None:
            errors["safeguarding_lead"] = "Select the safeguarding lead"
    _check_person_user(programme, safeguarding_lead, "safeguarding_lead", errors,
                       "Select a safeguarding lead from the programme's agencies")
    if errors:
        raise ValidationError(errors)
    changes = _changes(entry, values)
    with transaction.atomic():
        for field, value in values.items():
            setattr(entry, field, value)
        entry.save(update_fields=list(values))
        audit.record(actor, "update_plan", "cohort_entry", entry.pk, programme=programme.pk,
                     person=entry.person_id, changes=changes)
    return entry


def update_group_plan(
    actor: User, group: CohortGroup, *, group_response: str,
    lead_professional: AbstractBaseUser | None, review_date: date | None,
) -> CohortGroup:
    """Change a group's plan: the agreed group-wide response, its lead and review date."""
    if not policy.groups.can(actor, "edit_plan", group):
        audit.record(actor, "update_group_plan", "cohort_group", group.pk, outcome=audit.DENIED)
        raise PermissionDenied("You may not change this group's plan")
    values = {
        "group_response": (group_response or "").strip(),
        "lead_professional": lead_professional,
        "review_date": review_date,
    }
    errors: dict[str, str] = {}
    engaged = group.status in (Status.ACTIVE, Status.STEPPED_DOWN)
    if engaged and lead_professional is None:
        errors["lead_professional"] = "Select the lead professional"
    _check_person_user(group.programme, lead_professional, "lead_professional", errors,
                       "Select a lead professional from the programme's agencies")
    _check_review_date(group.review_date, review_date, errors, required=engaged)
    if errors:
        raise ValidationError(errors)
    changes = _changes(group, values)
    with transaction.atomic():
        for field, value in values.items():
            setattr(group, field, value)
        group.save(update_fields=list(values))
        audit.record(actor, "update_group_plan", "cohort_group", group.pk,
                     programme=group.programme_id, changes=changes)
    return group


PEOPLE_FIELDS = frozenset({"lead_professional", "safeguarding_lead"})


def _changes(record: CohortEntry | CohortGroup, values: dict) -> dict[str, list]:
    """{field: [before, after]} for the audit row; people by primary key."""
    changes = {}
    for field, after in values.items():
        if field in PEOPLE_FIELDS:
            before = getattr(record, f"{field}_id")
            after = after.pk if after is not None else None
        else:
            before = getattr(record, field)
        if before != after:
            changes[field] = [before, after]
    return changes
