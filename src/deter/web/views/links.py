"""A programme's partner links: which partner agency works with which person. The
coordinator records them; the coordinator or the linked agency ends one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from .. import audit, policy
from ..actions import sharing
from ..forms.sharing import LinkForm
from . import AuthenticatedHttpRequest
from .access import get_visible_or_404


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def programme_links(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    programme = get_visible_or_404(request, "programme", pk, "view_links")
    can_record = policy.links.can(user, "record", programme=programme)
    if request.method == "POST" and not can_record:
        audit.record(user, "record_link", "programme", programme.pk, outcome=audit.DENIED)
        raise Http404("No programme found")
    form = LinkForm(request.POST if request.method == "POST" else None, user=user,
                    programme=programme) if can_record \
        else None
    if form is not None and form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            link = sharing.record_link(user, programme, agency=data["agency"],
                                       person=data["person"],
                                       relationship=data["relationship"], note=data["note"])
        except ValidationError as error:
            for key, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(key if key in form.fields else None, message)
        else:
            messages.success(request, f"Recorded: {link}")
            return redirect("programme_links", pk=programme.pk)
    links = list(policy.links.visible(user).filter(programme=programme, ended_at__isnull=True)
                 .order_by("agency__name", "person__person_id"))
    for link in links:
        link.can_end = policy.links.can(user, "end", link)
    audit.record(user, "view_links", "programme", programme.pk, links=[k.pk for k in links])
    return render(request, "deter/sharing/links.html", {
        "programme": programme, "links": links, "form": form,
    }, status=400 if form is not None and form.is_bound else 200)


@login_required
@require_POST
def end_link(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    link = get_visible_or_404(request, "person_link", pk, "end_link", permission="end",
                              related=("agency", "person", "programme"))
    sharing.end_link(request.user, link)
    messages.success(request, f"Ended: {link.agency} no longer sees {link.person}")
    return redirect("programme_links", pk=link.programme_id)
