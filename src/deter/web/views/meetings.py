"""Meetings: the list, arranging one, and a meeting's page (agenda generated from the data,
decisions recorded at it, actions, notes, and for a call-in its invitations and attendance)."""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .. import audit, policy
from ..actions import meetings as actions
from ..forms.base import GovukForm
from ..forms.meetings import ActionForm, InviteForm, MeetingForm, NotesForm
from ..models import CallInInvitation, Meeting, MeetingAction
from ..queries import agenda as agendas
from . import AuthenticatedHttpRequest
from .access import audit_form, get_visible_or_404

PAST_PAGE_SIZE = 25
AGENDA_ITEMS = 25  # per section on the page; ?agenda=full shows the whole agenda


def _meeting_or_404(request: AuthenticatedHttpRequest, pk: int, action: str) -> Meeting:
    return get_visible_or_404(request, "meeting", pk, action, related=("programme", "chair"))


def add_errors(form: GovukForm, error: ValidationError) -> None:
    """An action's errors on the form's fields where it has them, else above the form."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            for message in errors:
                form.add_error(name if name in form.fields else None, message)
    else:
        form.add_error(None, error)


# --- the list and arranging a meeting ---------------------------------------------------------


@login_required
@require_safe
def meeting_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    visible = policy.meetings.visible(request.user).select_related("programme", "chair")
    start_of_today = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    upcoming = list(visible.filter(held_at__gte=start_of_today).order_by("held_at", "pk"))
    past = Paginator(visible.filter(held_at__lt=start_of_today).order_by("-held_at", "-pk"),
                     PAST_PAGE_SIZE).get_page(request.GET.get("page"))
    audit.record(request.user, "view_meetings", "meeting", None,
                 meetings=[m.pk for m in upcoming] + [m.pk for m in past])
    return render(request, "deter/meetings/list.html", {
        "upcoming": upcoming, "past": past,
        "page_numbers": past.paginator.get_elided_page_range(past.number, on_each_side=2,
                                                             on_ends=1),
        "can_arrange": policy.programmes.instances(request.user, "decide").exists(),
    })


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def meeting_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not policy.programmes.instances(request.user, "decide").exists():
        audit.record(request.user, "create_meeting", "meeting", None, outcome=audit.DENIED)
        raise PermissionDenied
    initial = {"kind": request.GET.get("kind", "")}
    form = MeetingForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = actions.create_meeting(request.user, **form.action_arguments())
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Meeting arranged: {meeting.title}")
            return redirect("meeting", pk=meeting.pk)
    audit_form(request, "create_meeting", "meeting", None, form)
    return render(request, "deter/meetings/new.html", {"form": form},
                  status=400 if form.is_bound else 200)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def meeting_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The coordinator or chair changes a meeting's title, time, place, chair or attendees."""
    meeting = _meeting_or_404(request, pk, "update_meeting")
    if not policy.meetings.can(request.user, "manage", meeting):
        audit.record(request.user, "update_meeting", "meeting", meeting.pk, outcome=audit.DENIED)
        raise PermissionDenied
    form = MeetingForm(request.POST or None, user=request.user, meeting=meeting)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_meeting(request.user, meeting, **form.action_arguments())
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Meeting changed: {meeting.title}")
            return redirect("meeting", pk=meeting.pk)
    audit_form(request, "update_meeting", "meeting", meeting.pk, form)
    return render(request, "deter/meetings/edit.html", {"form": form, "meeting": meeting},
                  status=400 if form.is_bound else 200)


# --- one meeting ------------------------------------------------------------------------------


@dataclass
class InvitationGroup:
    role: str
    label: str
    invitations: list[CallInInvitation]


@login_required
@require_safe
def meeting_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting_or_404(request, pk, "view_meeting")
    return _render_meeting(request, meeting)


@login_required
@require_POST
def meeting_notes(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting_or_404(request, pk, "update_meeting_notes")
    form = NotesForm(request.POST)
    if form.is_valid():
        try:
            actions.update_meeting_notes(request.user, meeting, form.cleaned_data["notes"])
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Notes saved")
            return redirect(reverse("meeting", args=[meeting.pk]) + "#notes")
    return _render_meeting(request, meeting, notes_form=form, status=400)


@login_required
@require_POST
def meeting_agenda(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting_or_404(request, pk, "regenerate_agenda")
    try:
        actions.regenerate_agenda(request.user, meeting)
    except ValidationError as error:
        return _render_meeting(request, meeting, errors=error.messages, status=400)
    messages.success(request, "Agenda brought up to date")
    return redirect(reverse("meeting", args=[meeting.pk]) + "#agenda")


@login_required
@require_POST
def meeting_add_action(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting_or_404(request, pk, "add_action")
    if not policy.meetings.can(request.user, "manage", meeting):
        audit.record(request.user, "add_action", "meeting", meeting.pk, outcome=audit.DENIED)
        raise PermissionDenied
    form = ActionForm(request.POST, user=request.user, programme=meeting.programme)
    if form.is_valid():
        data = form.cleaned_data
        try:
            action = actions.add_action(
                request.user, meeting.programme, data["description"], data["owner"],
                data["due"], meeting=meeting, entry=data["entry"])
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Action added for {action.owner.get_username()}")
            return redirect(reverse("meeting", args=[meeting.pk]) + "#actions")
    return _render_meeting(request, meeting, action_form=form, status=400)


@login_required
@require_POST
def meeting_invite(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting_or_404(request, pk, "invite_to_call_in")
    if not policy.meetings.can(request.user, "manage", meeting):
        audit.record(request.user, "invite_to_call_in", "meeting", meeting.pk,
                     outcome=audit.DENIED)
        raise PermissionDenied
    form = InviteForm(request.POST, user=request.user, meeting=meeting)
    if form.is_valid():
        data = form.cleaned_data
        try:
            invitation = actions.invite(request.user, meeting, data["role"],
                                        person=data["person"], name=data["name"])
        except ValidationError as error:
            add_errors(form, error)
        else:
            who = invitation.person.person_id if invitation.person else invitation.name
            messages.success(request, f"Invited: {who}")
            return redirect(reverse("meeting", args=[meeting.pk]) + "#invitations")
    return _render_meeting(request, meeting, invite_form=form, status=400)


@login_required
@require_POST
def invitation_attendance(request: AuthenticatedHttpRequest, pk: int,
                          invitation_pk: int) -> HttpResponse:
    meeting = _meeting_or_404(request, pk, "record_attendance")
    invitation = meeting.invitations.select_related("person").filter(pk=invitation_pk).first()
    if invitation is None:
        audit.record(request.user, "record_attendance", "call_in_invitation", invitation_pk,
                     outcome=audit.DENIED, meeting=meeting.pk)
        raise Http404("No invitation found")
    invitation.meeting = meeting
    attended = {"yes": True, "no": False}.get(request.POST.get("attended", ""))
    if attended is None:
        return _render_meeting(request, meeting, status=400,
                               errors=["Select attended or did not attend"])
    try:
        actions.record_attendance(request.user, invitation, attended)
    except ValidationError as error:
        return _render_meeting(request, meeting, errors=error.messages, status=400)
    return redirect(reverse("meeting", args=[meeting.pk]) + "#invitations")


def _render_meeting(
    request: AuthenticatedHttpRequest,
    meeting: Meeting,
    *,
    action_form: ActionForm | None = None,
    notes_form: NotesForm | None = None,
    invite_form: InviteForm | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    programme = meeting.programme
    can_manage = policy.meetings.can(user, "manage", meeting)
    coordinates = policy.programmes.can(user, "decide", programme)
    case_detail = policy.programmes.can(user, "see_case_detail", programme)
    is_call_in = meeting.kind == Meeting.Kind.CALL_IN

    decisions = list(
        policy.decisions.visible(user).filter(meeting=meeting)
        .select_related("entry__person", "group", "decided_by", "lead_professional")
        .order_by("decided_at", "pk")
    )
    meeting_actions = list(
        policy.meeting_actions.visible(user).filter(meeting=meeting)
        .select_related("owner", "entry__person", "group").order_by("due", "pk")
    )
    meeting_actions.sort(key=lambda a: a.status != MeetingAction.Status.OPEN)
    invitations = list(meeting.invitations.select_related("person")) if is_call_in else []

    named = {d.entry.person_id for d in decisions if d.entry_id}
    named |= {a.entry.person_id for a in meeting_actions if a.entry_id}
    named |= {i.person_id for i in invitations if i.person_id}
    agenda = meeting.agenda or {}
    visible = agendas.visible_to(
        agenda, people=policy.people.visible(user),
        entries=policy.entries.visible(user),
        groups=policy.groups.visible(user),
        actions=policy.meeting_actions.visible(user), also_people=named,
    )
    visible_people = visible.people
    whole_agenda = request.GET.get("agenda") == "full"
    agenda_view = agendas.present(agenda, visible=visible, case_detail=case_detail,
                                  limit=None if whole_agenda else AGENDA_ITEMS)
    for action in meeting_actions:
        action.can_update = coordinates or action.owner_id == user.pk
        action.person_visible = bool(action.entry_id) and action.entry.person_id in visible_people
    for invitation in invitations:
        invitation.person_visible = invitation.person_id in visible_people

    context = {
        "meeting": meeting,
        "programme": programme,
        "attendees": list(meeting.attendees.order_by("username")),
        "can_manage": can_manage,
        "case_detail": case_detail,
        # proposals are for those who see every cohort status (the panel's members)
        "sees_proposals": case_detail and policy.programmes.instances(user, "run_panel").filter(
            pk=programme.pk).exists(),
        "agenda": agenda_view,
        "can_regenerate": can_manage and not is_call_in
        and timezone.localdate(meeting.held_at) >= timezone.localdate(),
        "decisions": decisions,
        "visible_people": visible_people,
        "meeting_actions": meeting_actions,
        "is_call_in": is_call_in,
        "is_panel": meeting.kind == Meeting.Kind.PANEL,
        "invitation_groups": _by_role(invitations),
        "counts": _attendance_counts(invitations),
        "attendance_open": timezone.localdate(meeting.held_at) <= timezone.localdate(),
        "action_form": action_form or (
            ActionForm(user=user, programme=programme) if can_manage else None),
        "notes_form": notes_form or (
            NotesForm(initial={"notes": meeting.notes}) if can_manage else None),
        "invite_form": invite_form or (
            InviteForm(user=user, meeting=meeting) if can_manage and is_call_in else None),
        "errors": errors or [],
        "today": timezone.localdate(),
    }
    audit.record(user, "view_meeting", "meeting", meeting.pk, case_detail=case_detail,
                 people=sorted(visible_people))
    return render(request, "deter/meetings/detail.html", context, status=status)


def _by_role(invitations: list[CallInInvitation]) -> list[InvitationGroup]:
    groups = []
    for role, label in CallInInvitation.Role.choices:
        members = [i for i in invitations if i.role == role]
        if members:
            groups.append(InvitationGroup(role=role, label=label, invitations=members))
    return groups


def _attendance_counts(invitations: list[CallInInvitation]) -> dict[str, int]:
    subjects = [i for i in invitations if i.role == CallInInvitation.Role.SUBJECT]
    tally = Counter(i.attended for i in invitations)
    subject_tally = Counter(i.attended for i in subjects)
    return {
        "invited": len(invitations), "attended": tally[True], "absent": tally[False],
        "unknown": tally[None], "members_invited": len(subjects),
        "members_attended": subject_tally[True], "members_absent": subject_tally[False],
    }
