"""Fetching the record a URL names: visible, or a 404 that looks exactly like a missing one."""

from collections.abc import Mapping

from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from .. import audit, policy


def get_visible_or_404(
    request: HttpRequest,
    kind: str,
    pk: object,
    action: str,
    *,
    among: QuerySet | None = None,
    where: Mapping[str, object] | None = None,
    related: tuple[str, ...] = (),
    permission: str | None = None,
    **audit_details,
) -> Model:
    """The record of ``kind`` with key ``pk`` that the user may see, or ``Http404``.

    ``among`` narrows the records to choose from (by default every one the policy shows the
    user), ``where`` adds conditions from the URL (a group of the programme in the path), and
    ``permission`` also requires ``policy.<kind>.can(user, permission, record)``. A refusal,
    for whatever reason, is audited under ``action`` and answered exactly like a missing
    record."""
    records = policy.KINDS[kind]
    candidates = records.visible(request.user) if among is None else among
    found = (
        candidates.select_related(*related).filter(pk=pk, **(where or {})).first()
        if policy.valid_pk(pk) else None
    )
    if found is not None and permission is not None \
            and not records.can(request.user, permission, found):
        found = None
    if found is None:
        audit.record(request.user, action, kind, pk,
                     outcome=audit.DENIED, path=request.path, **audit_details)
        raise Http404(f"No {kind.replace('_', ' ')} found")
    return found


def sees(categories: frozenset[policy.Category]) -> dict[str, bool]:
    """The data categories a template may render: ``{% if sees.date_of_birth %}``."""
    return {category.value: category in categories for category in policy.Category}


def audit_form(request: HttpRequest, action: str, kind: str, pk: object, form,
               **audit_details) -> None:
    """Audit a form page: shown (``view_form``), or sent back with its errors
    (``form_invalid``, refused, naming the fields in error but never what was typed).
    ``action`` is what the form would do when sent."""
    if form.is_bound and form.errors:
        audit.record(request.user, "form_invalid", kind, pk, outcome=audit.DENIED, form=action,
                     fields=sorted(form.errors), **audit_details)
    elif not form.is_bound:
        audit.record(request.user, "view_form", kind, pk, form=action, **audit_details)
