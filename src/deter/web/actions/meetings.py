"""Meetings, call-ins and actions: creating a meeting with its generated agenda, notes, the
actions agreed (owner, due date, status), call-in invitations and attendance.

A meeting is created by the programme's coordinator; once created, its coordinator and chair
manage it. An action is updated by its owner or the coordinator. When a cohort member is
invited to a call-in, a communication intervention (category call-in) is recorded for them, and
their attendance completes or declines it, so the call-in shows in the person's record.
"""

from collections.abc import Iterable
from datetime import date, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .. import audit, policy
from ..domain import limits
from ..models import (
    CallInInvitation,
    CohortEntry,
    CohortGroup,
    Intervention,
    InterventionUpdate,
    Meeting,
    MeetingAction,
    Person,
    Programme,
)
from ..queries import agenda as agendas

Kind = Meeting.Kind
Role = CallInInvitation.Role
DESCRIPTION_MAX = limits.TEXT
NOTES_MAX = limits.LONG


def _refuse(actor: AbstractBaseUser, action: str, obj_type: str, obj_id: object,
            message: str, **detail: object) -> None:
    audit.record(actor, action, obj_type, obj_id, outcome=audit.DENIED, **detail)
    raise PermissionDenied(message)


def _meeting_day(meeting: Meeting) -> date:
    return timezone.localdate(meeting.held_at)


def _generate(meeting: Meeting, today: date) -> dict:
    """The agenda for a governance meeting; a call-in has invitations instead."""
    if meeting.kind == Kind.CALL_IN:
        return {}
    day = _meeting_day(meeting)
    since = agendas.default_since(meeting.programme, day, today, exclude=meeting)
    return agendas.build_agenda(meeting.programme, since=since, today=today, meeting_day=day)


# --- meetings ---------------------------------------------------------------------------------


def create_meeting(
    actor: AbstractBaseUser,
    programme: Programme,
    kind: str,
    title: str,
    held_at: datetime,
    place: str = "",
    chair: AbstractBaseUser | None = None,
    attendees: Iterable[AbstractBaseUser] = (),
    other_attendees: str = "",
    *,
    today: date | None = None,
) -> Meeting:
    """A coordinator arranges (or records) a meeting; its agenda is generated from the data."""
    if not policy.programmes.can(actor, "decide", programme):
        _refuse(actor, "create_meeting", "programme", programme.pk,
                "Only the programme's coordinator may arrange its meetings", kind=kind)
    attendees = list(attendees)
    _check(programme, kind, title, held_at, chair, attendees)
    meeting = Meeting(programme=programme, kind=kind, title=title.strip(), held_at=held_at,
                      place=place.strip(), chair=chair, other_attendees=other_attendees.strip(),
                      created_by=actor)
    meeting.full_clean(exclude=["attendees", "agenda"])
    with transaction.atomic():
        meeting.agenda = _generate(meeting, today or timezone.localdate())
        meeting.save()
        meeting.attendees.set(attendees)
        audit.record(actor, "create_meeting", "meeting", meeting.pk, programme=programme.pk,
                     kind=kind, held_at=held_at, chair=chair.pk if chair else None,
                     attendees=sorted(u.pk for u in attendees))
    return meeting


def _check(programme: Programme, kind: str, title: str, held_at: datetime | None,
           chair: AbstractBaseUser | None, attendees: list[AbstractBaseUser]) -> None:
    """A meeting's details, as for arranging or changing it: every problem at once."""
    errors: dict[str, str] = {}
    if kind not in Kind.values:
        errors["kind"] = "Select the type of meeting"
    elif kind == Kind.CALL_IN and not programme.uses_call_ins:
        errors["kind"] = f"{programme} does not hold call-ins (see its settings)"
    if not title.strip():
        errors["title"] = "Enter the meeting's title"
    if held_at is None or timezone.is_naive(held_at):
        errors["held_at"] = "Enter the date and time of the meeting"
    staff = policy.programmes.users_with("assign", programme)
    if chair is not None and not staff.filter(pk=chair.pk).exists():
        errors["chair"] = f"{chair.get_username()} is not staff of a partner agency in {programme}"
    outsiders = {u.pk for u in attendees} - set(
        staff.filter(pk__in=[u.pk for u in attendees]).values_list("pk", flat=True))
    if outsiders:
        names = ", ".join(sorted(u.get_username() for u in attendees if u.pk in outsiders))
        errors["attendees"] = f"Not staff of a partner agency in {programme}: {names}"
    if errors:
        raise ValidationError(errors)


def update_meeting(
    actor: AbstractBaseUser,
    meeting: Meeting,
    title: str,
    held_at: datetime,
    place: str = "",
    chair: AbstractBaseUser | None = None,
    attendees: Iterable[AbstractBaseUser] = (),
    other_attendees: str = "",
) -> Meeting:
    """Change a meeting's title, time, place, chair or attendees (its programme and type stay);
    the audit row records what changed, from and to. The agenda is left as it is: bring it up to
    date separately while the meeting is still to come."""
    if not policy.meetings.can(actor, "manage", meeting):
        _refuse(actor, "update_meeting", "meeting", meeting.pk, "You may not change this meeting")
    attendees = list(attendees)
    _check(meeting.programme, meeting.kind, title, held_at, chair, attendees)
    after = {"title": title.strip(), "held_at": held_at, "place": place.strip(),
             "chair_id": chair.pk if chair else None, "other_attendees": other_attendees.strip()}
    changes = {name: [getattr(meeting, name), value] for name, value in after.items()
               if getattr(meeting, name) != value}
    before_attendees = sorted(meeting.attendees.values_list("pk", flat=True))
    after_attendees = sorted(u.pk for u in attendees)
    if before_attendees != after_attendees:
        changes["attendees"] = [before_attendees, after_attendees]
    for name, value in after.items():
        setattr(meeting, name, value)
    meeting.full_clean(exclude=["attendees", "agenda"])
    with transaction.atomic():
        meeting.save()
        meeting.attendees.set(attendees)
        audit.record(actor, "update_meeting", "meeting", meeting.pk, changes=changes)
    return meeting


def regenerate_agenda(actor: AbstractBaseUser, meeting: Meeting, *,
                      today: date | None = None) -> Meeting:
    """Bring the agenda up to date; refused once the meeting day has passed, so the record
    keeps what the meeting considered."""
    if not policy.meetings.can(actor, "manage", meeting):
        _refuse(actor, "regenerate_agenda", "meeting", meeting.pk,
                "You may not change this meeting")
    today = today or timezone.localdate()
    if meeting.kind == Kind.CALL_IN:
        raise ValidationError("A call-in has invitations rather than a generated agenda")
    if _meeting_day(meeting) < today:
        raise ValidationError("The meeting has been held: its agenda is kept as it was")
    with transaction.atomic():
        meeting.agenda = _generate(meeting, today)
        meeting.save(update_fields=["agenda"])
        audit.record(actor, "regenerate_agenda", "meeting", meeting.pk,
                     items={s: len(meeting.agenda.get(s, [])) for s in agendas.SECTIONS})
    return meeting


def update_meeting_notes(actor: AbstractBaseUser, meeting: Meeting, notes: str) -> Meeting:
    if not policy.meetings.can(actor, "manage", meeting):
        _refuse(actor, "update_meeting_notes", "meeting", meeting.pk,
                "You may not change this meeting")
    notes = notes.strip()
    if len(notes) > NOTES_MAX:
        raise ValidationError({"notes": f"Notes must be {NOTES_MAX:,} characters or fewer"})
    with transaction.atomic():
        before = len(meeting.notes)
        meeting.notes = notes
        meeting.save(update_fields=["notes"])
        audit.record(actor, "update_meeting_notes", "meeting", meeting.pk,
                     characters=[before, len(notes)])
    return meeting


# --- actions ----------------------------------------------------------------------------------


def add_action(
    actor: AbstractBaseUser,
    programme: Programme,
    description: str,
    owner: AbstractBaseUser,
    due: date,
    meeting: Meeting | None = None,
    entry: CohortEntry | None = None,
    group: CohortGroup | None = None,
    *,
    today: date | None = None,
) -> MeetingAction:
    """An action agreed for the programme (at a meeting, about a person or group, or neither).

    The coordinator adds actions to any of the programme; a meeting's chair to that meeting.
    It falls due today or later, or for an action agreed at a meeting already held, on or
    after the meeting's day (so a past meeting's actions can be recorded as they were agreed).
    """
    action = check_add_action(actor, MeetingAction(
        programme=programme, meeting=meeting, entry=entry, group=group,
        description=(description or "").strip(), owner=owner, due=due, created_by=actor,
    ), today=today or timezone.localdate())
    return do_add_action(actor, action)


def check_add_action(actor: AbstractBaseUser, action: MeetingAction, *,
                     today: date) -> MeetingAction:
    """Authorise and validate an unsaved action; writes nothing but a refusal's audit row."""
    programme, meeting = action.programme, action.meeting
    allowed = policy.programmes.can(actor, "decide", programme) or (
        meeting is not None and meeting.programme_id == programme.pk
        and policy.meetings.can(actor, "manage", meeting))
    if not allowed:
        _refuse(actor, "add_action", "programme", programme.pk,
                "You may not add actions to this programme",
                meeting=meeting.pk if meeting else None)
    errors = {**_action_text_errors(action), **_action_due_errors(action, today),
              **_action_subject_errors(action)}
    if errors:
        raise ValidationError(errors)
    action.full_clean()
    return action


def _action_text_errors(action: MeetingAction) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not action.description:
        errors["description"] = "Enter what is to be done"
    elif len(action.description) > DESCRIPTION_MAX:
        errors["description"] = f"The action must be {DESCRIPTION_MAX:,} characters or fewer"
    if action.owner_id is None:
        errors["owner"] = "Select who owns the action"
    elif not policy.programmes.users_with("assign", action.programme).filter(
            pk=(owner := action.owner).pk).exists():
        errors["owner"] = (f"{owner.get_username()} is not staff of a partner agency in "
                           f"{action.programme}, so cannot own its actions")
    return errors


def _action_due_errors(action: MeetingAction, today: date) -> dict[str, str]:
    due, meeting = action.due, action.meeting
    if due is None:
        return {"due": "Enter the due date"}
    if meeting is not None and _meeting_day(meeting) < today:
        if due < _meeting_day(meeting):
            return {"due": "The due date must be on or after the day of the meeting"}
    elif due < today:
        return {"due": "The due date must be today or in the future"}
    return {}


def _action_subject_errors(action: MeetingAction) -> dict[str, str]:
    errors: dict[str, str] = {}
    programme_pk = action.programme_id
    if action.meeting is not None and action.meeting.programme_id != programme_pk:
        errors["meeting"] = "The meeting belongs to another programme"
    if action.entry is not None and action.entry.programme_id != programme_pk:
        errors["entry"] = "The person is not in this programme's cohort"
    if action.group is not None and action.group.programme_id != programme_pk:
        errors["group"] = "The group is not in this programme"
    return errors


def do_add_action(actor: AbstractBaseUser, action: MeetingAction) -> MeetingAction:
    """Write a checked action with its audit row."""
    with transaction.atomic():
        action.save()
        audit.record(actor, "add_action", "action", action.pk, programme=action.programme_id,
                     meeting=action.meeting_id, entry=action.entry_id, group=action.group_id,
                     owner=action.owner_id, due=action.due)
    return action


def set_action_status(actor: AbstractBaseUser, action: MeetingAction, status: str) -> MeetingAction:
    """Done, cancelled or reopened, by the owner or the coordinator; done is time-stamped."""
    if not policy.meeting_actions.can(actor, "update", action):
        _refuse(actor, "set_action_status", "action", action.pk,
                "Only the action's owner or the coordinator may change it", status=status)
    if status not in MeetingAction.Status.values:
        raise ValidationError({"status": "Select done, cancelled or open"})
    before = action.status
    if status == before:
        return action
    with transaction.atomic():
        action.status = status
        action.completed_at = timezone.now() if status == MeetingAction.Status.DONE else None
        action.save(update_fields=["status", "completed_at"])
        audit.record(actor, "set_action_status", "action", action.pk,
                     programme=action.programme_id, status=[before, status])
    return action


# --- call-ins ---------------------------------------------------------------------------------


def _recording_agency_id(actor: AbstractBaseUser, programme: Programme) -> int:
    """The actor's own agency in the programme, which records the call-in for the person."""
    own = (policy.roles_of(actor).filter(agency__programmes=programme)
           .order_by("agency__name").values_list("agency_id", flat=True).first())
    if own is not None:
        return own
    return programme.agencies.order_by("name").values_list("pk", flat=True).first()


def invite(actor: AbstractBaseUser, meeting: Meeting, role: str, person: Person | None = None,
           name: str = "") -> CallInInvitation:
    """Invite a cohort member, a speaker or a family to a call-in.

    A cohort member must be active in the programme; everyone else is named (Deter holds no
    names of cohort members, and speakers need no account).
    """
    return do_invite(actor, check_invite(actor, meeting, role, person, name))


def check_invite(actor: AbstractBaseUser, meeting: Meeting, role: str, person: Person | None,
                 name: str) -> CallInInvitation:
    """Authorise and validate an invitation; writes nothing but a refusal's audit row."""
    if not policy.meetings.can(actor, "manage", meeting):
        _refuse(actor, "invite_to_call_in", "meeting", meeting.pk,
                "You may not change this meeting", role=role)
    if meeting.kind != Kind.CALL_IN:
        raise ValidationError("Invitations are for call-ins; this is a "
                              f"{meeting.get_kind_display().lower()}")
    if role not in Role.values:
        raise ValidationError({"role": "Select who is being invited"})
    if role == Role.SUBJECT:
        _check_subject(meeting, person)
        name = ""
    else:
        name = _checked_name(person, name)
    return CallInInvitation(meeting=meeting, role=role, person=person, name=name)


def _check_subject(meeting: Meeting, person: Person | None) -> None:
    if person is None:
        raise ValidationError({"person": "Select the cohort member to invite"})
    active = CohortEntry.objects.filter(programme=meeting.programme_id, person=person,
                                        status=CohortEntry.Status.ACTIVE).exists()
    if not active:
        raise ValidationError(
            {"person": f"{person} is not active in {meeting.programme}'s cohort"})
    if meeting.invitations.filter(person=person).exists():
        raise ValidationError({"person": f"{person} is already invited"})


def _checked_name(person: Person | None, name: str) -> str:
    if person is not None:
        raise ValidationError({"person": "Only a cohort member is chosen from the cohort"})
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Enter the name of the person invited"})
    if len(name) > 200:
        raise ValidationError({"name": "The name must be 200 characters or fewer"})
    return name


def do_invite(actor: AbstractBaseUser, invitation: CallInInvitation) -> CallInInvitation:
    """Write a checked invitation; a cohort member's call-in is also a planned intervention."""
    meeting, person = invitation.meeting, invitation.person
    with transaction.atomic():
        invitation.save()
        if person is not None:
            Intervention.objects.create(
                programme=meeting.programme, person=person,
                kind=Intervention.Kind.COMMUNICATION, category=Intervention.Category.CALL_IN,
                title=f"Call-in: {meeting.title}"[:200], meeting=meeting,
                agency_id=_recording_agency_id(actor, meeting.programme),
                status=Intervention.Status.PLANNED, start=_meeting_day(meeting),
                created_by=actor,
            )
        audit.record(actor, "invite_to_call_in", "call_in_invitation", invitation.pk,
                     meeting=meeting.pk, role=invitation.role,
                     person=person.pk if person else None)
    return invitation


def record_attendance(actor: AbstractBaseUser, invitation: CallInInvitation, attended: bool,
                      *, today: date | None = None) -> CallInInvitation:
    """Who came. For a cohort member the call-in intervention becomes completed (attended)
    or declined (did not attend), with an update on the day of the call-in."""
    meeting = invitation.meeting
    if not policy.meetings.can(actor, "manage", meeting):
        _refuse(actor, "record_attendance", "call_in_invitation", invitation.pk,
                "You may not change this meeting", attended=attended)
    if not isinstance(attended, bool):
        raise ValidationError({"attended": "Select attended or did not attend"})
    day = _meeting_day(meeting)
    if day > (today or timezone.localdate()):
        raise ValidationError(
            f"Attendance can be recorded from the day of the call-in ({day:%d %B %Y})")
    status = Intervention.Status.COMPLETED if attended else Intervention.Status.DECLINED
    with transaction.atomic():
        before = invitation.attended
        invitation.attended = attended
        invitation.save(update_fields=["attended"])
        intervention = None
        if invitation.person_id is not None:
            intervention = _call_in_intervention(actor, invitation)
            if intervention.status != status:
                intervention.status = status
                intervention.start = intervention.start or day
                intervention.end = day
                intervention.outcome = ("Attended the call-in" if attended
                                        else "Did not attend the call-in")
                intervention.save(update_fields=["status", "start", "end", "outcome"])
                InterventionUpdate.objects.create(
                    intervention=intervention, status=status, on=day,
                    note=intervention.outcome, recorded_by=actor)
        audit.record(actor, "record_attendance", "call_in_invitation", invitation.pk,
                     meeting=meeting.pk, person=invitation.person_id,
                     attended=[before, attended],
                     intervention=intervention.pk if intervention else None)
    return invitation


def _call_in_intervention(actor: AbstractBaseUser, invitation: CallInInvitation) -> Intervention:
    meeting = invitation.meeting
    found = (Intervention.objects.select_for_update()
             .filter(meeting=meeting, person_id=invitation.person_id,
                     category=Intervention.Category.CALL_IN).order_by("pk").first())
    if found is not None:
        return found
    return Intervention.objects.create(
        programme=meeting.programme, person_id=invitation.person_id,
        kind=Intervention.Kind.COMMUNICATION, category=Intervention.Category.CALL_IN,
        title=f"Call-in: {meeting.title}"[:200], meeting=meeting,
        agency_id=_recording_agency_id(actor, meeting.programme),
        status=Intervention.Status.PLANNED, start=_meeting_day(meeting), created_by=actor,
    )
