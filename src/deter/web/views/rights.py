"""Individuals' rights pages: a programme's notifications, exemptions and challenges (the
coordinator's and the DPO's), recording a notification, logging and deciding a challenge
with the reasons letter, and the DPO's subject access requests with their archive."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .. import audit, policy
from ..actions import rights as actions
from ..domain import letters
from ..domain import rights as deadlines
from ..forms.rights import (
    ChallengeDecisionForm,
    ChallengeForm,
    ExtensionForm,
    NotificationForm,
    SubjectAccessForm,
)
from ..models import Challenge, CohortEntry, SubjectAccessRequest
from ..queries import rights as rights_query
from . import AuthenticatedHttpRequest
from .access import audit_form, get_visible_or_404

FORM = ["GET", "HEAD", "POST"]


def _posted(request: AuthenticatedHttpRequest):
    """The submitted data, even if empty, or ``None`` for a GET (an unbound form)."""
    return request.POST if request.method == "POST" else None


def _status(form) -> int:
    return 400 if form.is_bound else 200


@login_required
@require_safe
def programme_rights(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    programme = get_visible_or_404(request, "programme", pk, "view_rights",
                                   permission="see_rights")
    today = timezone.localdate()
    found = rights_query.overview(request.user, programme, today)
    audit.record(request.user, "view_rights", "programme", programme.pk,
                 not_told=[e.person_id for e in found.not_told],
                 review_due=[e.person_id for e in found.review_due],
                 challenges=[c.pk for c in found.challenges])
    return render(request, "deter/rights/programme.html", {
        "programme": programme, "found": found, "today": today,
        "challenge_days": deadlines.challenge_days(),
    })


def _listed_entry(request: AuthenticatedHttpRequest, pk: int, action: str) -> CohortEntry:
    return get_visible_or_404(request, "cohort_entry", pk, action,
                              among=policy.notifications.entries(request.user))


@login_required
@require_http_methods(FORM)
def notification_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    entry = _listed_entry(request, pk, "record_notification")
    users = list(policy.programmes.users_with("assign", entry.programme))
    form = NotificationForm(_posted(request), users=users)
    if request.method == "POST" and form.is_valid():
        try:
            actions.record_notification(request.user, entry, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Recorded for {entry.person.person_id}")
            return redirect("programme_rights", pk=entry.programme_id)
    audit_form(request, "record_notification", "cohort_entry", entry.pk, form,
               person=entry.person_id)
    return render(request, "deter/rights/notification_form.html", {
        "entry": entry, "form": form}, status=_status(form))


@login_required
@require_http_methods(FORM)
def challenge_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    entry = _listed_entry(request, pk, "log_challenge")
    form = ChallengeForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            challenge = actions.log_challenge(request.user, entry, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Challenge logged: decide by "
                                      f"{letters.long_date(challenge.due_on)}")
            return redirect("challenge", pk=challenge.pk)
    audit_form(request, "log_challenge", "cohort_entry", entry.pk, form, person=entry.person_id)
    return render(request, "deter/rights/challenge_form.html", {
        "entry": entry, "form": form, "challenge_days": deadlines.challenge_days(),
    }, status=_status(form))


@login_required
@require_http_methods(FORM)
def challenge_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    challenge = get_visible_or_404(request, "challenge", pk, "view_challenge",
                                   related=("entry__person", "entry__programme", "logged_by",
                                            "decided_by"))
    user = request.user
    form = ChallengeDecisionForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            actions.decide_challenge(user, challenge, **form.cleaned_data)
        except PermissionDenied as refusal:
            form.add_error(None, str(refusal))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Challenge decided")
            return redirect("challenge", pk=challenge.pk)
    if request.method != "POST":
        audit.record(user, "view_challenge", "challenge", challenge.pk,
                     person=challenge.entry.person_id)
    else:
        audit_form(request, "decide_challenge", "challenge", challenge.pk, form,
                   person=challenge.entry.person_id)
    today = timezone.localdate()
    return render(request, "deter/rights/challenge.html", {
        "challenge": challenge, "form": form, "today": today,
        "overdue": challenge.is_open and challenge.due_on < today,
        "can_decide": policy.challenges.can(user, "decide", challenge),
        "own_decision": policy.rights.original_decider(challenge.entry) == user.pk,
    }, status=400 if form.errors else 200)


@login_required
@require_safe
def challenge_letter(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The outcome and reasons, as a PDF letter to give to the person."""
    challenge = get_visible_or_404(request, "challenge", pk, "download_challenge_letter",
                                   related=("entry__person", "entry__programme"))
    if challenge.is_open:
        raise Http404("The challenge has not been decided")
    body = _outcome_letter(challenge)
    audit.record(request.user, "download_challenge_letter", "challenge", challenge.pk,
                 person=challenge.entry.person_id)
    pdf = letters.to_pdf(challenge.made_by or "(their name and address, added by hand)", "", body,
                         f"Outcome of your challenge to {challenge.entry.programme.name}")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="challenge-{challenge.pk}.pdf"'
    return response


def _outcome_letter(challenge: Challenge) -> str:
    programme = challenge.entry.programme
    kept = challenge.outcome == Challenge.Outcome.KEPT
    return "\n".join([
        letters.long_date(timezone.localdate(challenge.decided_at)), "",
        f"You challenged being in {programme.name} on "
        f"{letters.long_date(challenge.received_on)}. Someone who did not make the first "
        "decision has looked at it again.", "",
        ("We have decided that you stay in the programme." if kept else
         "We agree with you. You have been removed from the programme, and every partner "
         "agency has been asked to delete its own copies of information about you from it."),
        "", "Our reasons:", challenge.reasons, "",
        "If you are not happy with this you can complain to us, and then to the Information "
        "Commissioner's Office (ICO): ico.org.uk, 0303 123 1113.",
    ])


# --- subject access ---------------------------------------------------------------------------


@login_required
@require_http_methods(FORM)
def subject_access_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    programmes = list(policy.subject_access_requests.programmes(user))
    if not programmes:
        audit.record(user, "view_subject_access", "subject_access_request", None,
                     outcome=audit.DENIED, path=request.path)
        raise Http404("No programme found")
    form = SubjectAccessForm(_posted(request), programmes=programmes)
    if request.method == "POST" and form.is_valid():
        programme = form.chosen_programme()
        person = policy.subject_access_requests.people(user, programme).filter(
            person_id=form.cleaned_data["person_id"].strip()).first()
        try:
            made = actions.log_subject_access(user, programme, person,
                                              received_on=form.cleaned_data["received_on"])
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error({"person": "person_id"}.get(field, field), problems)
        else:
            messages.success(request, f"Logged: answer by {letters.long_date(made.deadline)}")
            return redirect("subject_access_request", pk=made.pk)
    found = list(policy.subject_access_requests.visible(user).order_by("status", "deadline"))
    today = timezone.localdate()
    for item in found:
        item.overdue = item.status != SubjectAccessRequest.Status.ANSWERED \
            and item.due_on < today
    if request.method != "POST":
        audit.record(user, "view_subject_access", "subject_access_request", None,
                     requests=[r.pk for r in found])
    else:
        audit_form(request, "log_subject_access", "subject_access_request", None, form)
    return render(request, "deter/rights/subject_access_list.html", {
        "requests": found, "form": form, "today": today,
    }, status=_status(form) if request.method == "POST" else 200)


def _sar(request: AuthenticatedHttpRequest, pk: int, action: str, permission=None):
    return get_visible_or_404(request, "subject_access_request", pk, action,
                              permission=permission)


@login_required
@require_safe
def subject_access_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = _sar(request, pk, "view_subject_access")
    audit.record(request.user, "view_subject_access", "subject_access_request", found.pk,
                 person=found.person_id)
    return _detail(request, found)


def _detail(request: AuthenticatedHttpRequest, found: SubjectAccessRequest,
            extension: ExtensionForm | None = None) -> HttpResponse:
    today = timezone.localdate()
    return render(request, "deter/rights/subject_access.html", {
        "sar": found, "today": today, "extension": extension or ExtensionForm(),
        "overdue": found.status != SubjectAccessRequest.Status.ANSWERED
        and found.due_on < today,
        "latest": deadlines.latest_extension(found.received_on),
        "can_extend": policy.subject_access_requests.can(request.user, "extend", found),
        "can_answer": policy.subject_access_requests.can(request.user, "answer", found),
    }, status=400 if extension is not None else 200)


@login_required
@require_POST
def subject_access_extend(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = _sar(request, pk, "extend_subject_access", permission="extend")
    form = ExtensionForm(request.POST)
    if form.is_valid():
        try:
            actions.extend_subject_access(request.user, found, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Deadline extended")
            return redirect("subject_access_request", pk=found.pk)
    audit_form(request, "extend_subject_access", "subject_access_request", found.pk, form)
    return _detail(request, found, extension=form)


@login_required
@require_POST
def subject_access_answer(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = _sar(request, pk, "answer_subject_access", permission="answer")
    actions.answer_subject_access(request.user, found)
    messages.success(request, "Marked as answered")
    return redirect("subject_access_request", pk=found.pk)


@login_required
@require_safe
def subject_access_archive(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = _sar(request, pk, "export_subject_access", permission="export")
    archive = actions.export_subject_access(request.user, found)
    response = HttpResponse(archive, content_type="application/zip")
    response["Content-Disposition"] = (
        f'attachment; filename="subject-access-{found.person.person_id}.zip"')
    return response
