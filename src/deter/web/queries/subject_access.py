"""Everything Deter holds about one person, for a subject access request.

``gather(person)`` takes no user: it is called only after the subject access policy allowed
the request (``policy.subject_access_requests``) or by the command line as the system. It
reads the whole database, not one user's view, because the person is owed all of it.

Third parties are redacted: another person's pseudonymous id becomes "another person",
wherever Deter knows it (people in the same events, associations and recorded groups) and in
the free text of the person's records. Staff names are kept: staff act for their agencies,
and the person is entitled to know who decided and who looked.
"""

import re
from dataclasses import dataclass, field

from django.db.models import Q

from ..models import (
    Association,
    AuditEvent,
    CallInInvitation,
    Challenge,
    CohortDecision,
    CohortEntry,
    HarmReductionRecord,
    Intervention,
    InterventionUpdate,
    Involvement,
    Letter,
    MeetingAction,
    Membership,
    Notification,
    OrderBreach,
    Person,
    PersonScore,
    SubjectAccessRequest,
    TreatmentReferral,
)

ANOTHER = "another person"
Rows = list[dict[str, str]]

TITLES = {
    "person": "Your record",
    "events": "Events you are recorded in",
    "associations": "People you are recorded as associated with",
    "groups": "Groups you are recorded as a member of",
    "scores": "Analysis scores",
    "cohort_entries": "Your place in each programme",
    "decisions": "Decisions about you",
    "interventions": "Support, orders and other interventions",
    "intervention_updates": "Changes to those interventions",
    "breaches": "Recorded breaches of orders",
    "letters": "Letters written to you",
    "meeting_actions": "Actions agreed at meetings about you",
    "call_ins": "Call-in invitations",
    "treatment_referrals": "Referrals into drug treatment and the treatment episode",
    "harm_reduction": "Naloxone supplied, overdoses and drug-related deaths",
    "notifications": "Records of telling you about the programme",
    "challenges": "Your challenges and their outcome",
    "subject_access_requests": "Your subject access requests",
    "who_viewed": "Who viewed or changed your record",
}


@dataclass
class SubjectAccess:
    person_id: str
    sections: dict[str, Rows] = field(default_factory=dict)

    def title(self, section: str) -> str:
        return TITLES[section]


def _text(value: object) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _staff(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


class Redactor:
    """Replaces other people's ids in free text with "another person"."""

    def __init__(self, others: set[str]) -> None:
        self.pattern = re.compile("|".join(
            rf"(?<![\w-]){re.escape(pid)}(?![\w-])" for pid in sorted(others, key=len,
                                                                          reverse=True))
        ) if others else None

    def __call__(self, value: object) -> str:
        text = _text(value)
        return self.pattern.sub(ANOTHER, text) if self.pattern else text


def _third_parties(person: Person) -> set[str]:
    events = Involvement.objects.filter(person=person).values("event_id")
    groups = Membership.objects.filter(person=person).values("group_id")
    pks = set(Involvement.objects.filter(event__in=events).values_list("person_id", flat=True))
    pks |= set(Membership.objects.filter(group__in=groups).values_list("person_id", flat=True))
    for a, b in Association.objects.filter(Q(person_a=person) | Q(person_b=person)) \
            .values_list("person_a_id", "person_b_id"):
        pks |= {a, b}
    pks.discard(person.pk)
    return set(Person.objects.filter(pk__in=pks).values_list("person_id", flat=True))


def gather(person: Person) -> SubjectAccess:
    redact = Redactor(_third_parties(person))
    found = SubjectAccess(person.person_id)
    found.sections["person"] = [{
        "person_id": person.person_id, "date_of_birth": _text(person.date_of_birth),
        "sex": person.get_sex_display() if person.sex else "",
        "ethnicity": person.ethnicity}]
    found.sections |= _police_records(person)
    entries = list(CohortEntry.objects.filter(person=person)
                   .select_related("programme", "lead_professional", "decided_by"))
    found.sections |= _programme_records(person, entries, redact)
    found.sections |= _treatment_records(person)
    found.sections |= _rights_records(person, entries, redact)
    found.sections["who_viewed"] = _who_viewed(person, entries)
    return found


def _police_records(person: Person) -> dict[str, Rows]:
    involvements = Involvement.objects.filter(person=person).select_related(
        "event__location").order_by("event__occurred_at", "pk")
    others: dict[int, list[str]] = {}
    for event_pk, role in Involvement.objects.filter(
            event__in=involvements.values("event_id")).exclude(person=person) \
            .values_list("event_id", "role"):
        others.setdefault(event_pk, []).append(f"{ANOTHER} ({role})")
    events = [{
        "event_id": i.event.event_id, "occurred_at": _text(i.event.occurred_at),
        "offence_code": i.event.offence_code, "offence": i.event.offence_category,
        "your_role": i.get_role_display(),
        "area": i.event.location.lsoa_code if i.event.location else "",
        "others_involved": "; ".join(others.get(i.event_id, [])),
    } for i in involvements]
    associations = [{
        "with": ANOTHER, "kind": a.kind, "observed_on": _text(a.observed_at),
        "source": a.source,
    } for a in Association.objects.filter(Q(person_a=person) | Q(person_b=person))
        .order_by("observed_at", "pk")]
    groups = [{
        "group": m.group.name or m.group.group_id, "start": _text(m.start),
        "end": _text(m.end), "source": m.source, "confidence": _text(m.confidence),
    } for m in Membership.objects.filter(person=person).select_related("group")]
    scores = [{
        "analysis_run": _text(s.run_id), "rank": _text(s.rank),
        "harm_score": f"{s.harm_score:.1f}", "rfgv_score": f"{s.rfgv_score:.0f}",
        "proposed": "yes" if s.proposed else "no",
        "criteria_met": "; ".join(str(c) for c in s.criteria_met or []),
    } for s in PersonScore.objects.filter(person=person).order_by("run_id")]
    return {"events": events, "associations": associations, "groups": groups,
            "scores": scores}


def _programme_records(person: Person, entries: list[CohortEntry], redact) -> dict[str, Rows]:
    cohort = [{
        "programme": e.programme.name, "status": e.get_status_display(),
        "why": redact(e.rationale), "review_date": _text(e.review_date),
        "lead_professional": _staff(e.lead_professional),
        "support_offer": redact(e.support_offer),
        "consequence": redact(e.enforcement_consequence),
        "safeguarding": e.get_safeguarding_display() if e.safeguarding else "",
    } for e in entries]
    decisions = [{
        "programme": d.entry.programme.name, "from": d.from_status, "to": d.to_status,
        "reason": redact(d.reason), "decided_by": _staff(d.decided_by),
        "decided_at": _text(d.decided_at), "recorded_at": _text(d.recorded_at),
        "why_recorded_later": redact(d.backdated_reason),
        "meeting": d.meeting.title if d.meeting else "",
    } for d in CohortDecision.objects.filter(entry__in=entries)
        .select_related("entry__programme", "decided_by", "meeting").order_by("decided_at")]
    interventions = list(Intervention.objects.filter(person=person)
                         .select_related("programme", "agency", "created_by")
                         .order_by("created_at", "pk"))
    return {
        "cohort_entries": cohort, "decisions": decisions,
        "interventions": [{
            "id": _text(i.pk), "programme": i.programme.name, "kind": i.get_kind_display(),
            "category": i.category, "title": redact(i.title), "agency": i.agency.name,
            "status": i.get_status_display(), "start": _text(i.start), "end": _text(i.end),
            "conditions": redact(i.conditions), "outcome": redact(i.outcome),
            "recorded_by": _staff(i.created_by),
        } for i in interventions],
        "intervention_updates": [{
            "intervention": _text(u.intervention_id), "status": u.get_status_display(),
            "on": _text(u.on), "note": redact(u.note), "recorded_by": _staff(u.recorded_by),
        } for u in InterventionUpdate.objects.filter(intervention__in=interventions)
            .select_related("recorded_by").order_by("on", "pk")],
        "breaches": [{
            "intervention": _text(b.intervention_id), "occurred_on": _text(b.occurred_on),
            "description": redact(b.description), "recorded_by": _staff(b.recorded_by),
        } for b in OrderBreach.objects.filter(intervention__in=interventions)
            .select_related("recorded_by")],
        "letters": [{
            "recipient": redact(letter.recipient), "address": redact(letter.address),
            "text": redact(letter.body), "written_by": _staff(letter.created_by),
            "written_at": _text(letter.created_at),
        } for letter in Letter.objects.filter(intervention__in=interventions)
            .select_related("created_by")],
        "meeting_actions": [{
            "programme": a.programme.name, "meeting": a.meeting.title if a.meeting else "",
            "action": redact(a.description), "owner": _staff(a.owner), "due": _text(a.due),
            "status": a.get_status_display(),
        } for a in MeetingAction.objects.filter(entry__in=entries)
            .select_related("programme", "meeting", "owner")],
        "call_ins": [{
            "meeting": c.meeting.title, "held_at": _text(c.meeting.held_at),
            "attended": {True: "yes", False: "no", None: "not recorded"}[c.attended],
        } for c in CallInInvitation.objects.filter(person=person).select_related("meeting")],
    }


def _treatment_records(person: Person) -> dict[str, Rows]:
    """The drug-market pathway (issue 16): every item a provider recorded, clinical detail
    included (the person's own)."""
    referrals = TreatmentReferral.objects.filter(person=person).select_related(
        "programme", "provider", "recorded_by").order_by("referred_on", "pk")
    harm = HarmReductionRecord.objects.filter(person=person).select_related(
        "programme", "agency").order_by("on", "pk")
    return {
        "treatment_referrals": [{
            "programme": r.programme.name, "provider": r.provider.name,
            "source": r.get_source_display(), "referred_on": _text(r.referred_on),
            "triaged_on": _text(r.triaged_on), "assessed_on": _text(r.assessed_on),
            "started_on": _text(r.started_on), "modality": r.get_modality_display(),
            "exited_on": _text(r.exited_on), "exit_reason": r.get_exit_reason_display(),
            "recorded_by": _staff(r.recorded_by),
        } for r in referrals],
        "harm_reduction": [{
            "programme": h.programme.name, "what": h.get_kind_display(), "on": _text(h.on),
            "given_to": h.get_recipient_display(), "recorded_by_agency": h.agency.name,
        } for h in harm],
    }


def _rights_records(person: Person, entries: list[CohortEntry], redact) -> dict[str, Rows]:
    return {
        "notifications": [{
            "programme": n.entry.programme.name, "kind": n.get_kind_display(),
            "method": n.get_method_display() if n.method else "",
            "told_on": _text(n.told_on), "told_by": _staff(n.told_by),
            "recipient": n.get_recipient_display() if n.recipient else "",
            "exemption_reason": redact(n.exemption_reason),
            "review_date": _text(n.review_date), "recorded_by": _staff(n.recorded_by),
        } for n in Notification.objects.filter(entry__in=entries)
            .select_related("entry__programme", "told_by", "recorded_by")],
        "challenges": [{
            "programme": c.entry.programme.name, "received_on": _text(c.received_on),
            "due_on": _text(c.due_on), "made_by": c.made_by or "you",
            "grounds": redact(c.grounds), "outcome": c.get_outcome_display(),
            "reasons": redact(c.reasons), "decided_by": _staff(c.decided_by),
        } for c in Challenge.objects.filter(entry__in=entries)
            .select_related("entry__programme", "decided_by")],
        "subject_access_requests": [{
            "programme": r.programme.name, "received_on": _text(r.received_on),
            "deadline": _text(r.due_on), "status": r.get_status_display(),
        } for r in SubjectAccessRequest.objects.filter(person=person)
            .select_related("programme")],
    }


def _who_viewed(person: Person, entries: list[CohortEntry]) -> Rows:
    about = Q(object_type="person", object_id=str(person.pk)) | Q(
        object_type="cohort_entry", object_id__in=[str(e.pk) for e in entries])
    return [{
        "at": _text(row.at), "who": row.actor_name, "what": row.action.replace("_", " "),
        "outcome": row.get_outcome_display(),
    } for row in AuditEvent.objects.filter(about).order_by("at", "pk")]
