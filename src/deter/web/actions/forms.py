"""Once-only forms: a form sent twice saves once.

Every form a page draws carries a fresh token (the ``csrf_token`` tag, ``templatetags/
deter_once``). ``OnceOnlyFormsMiddleware`` claims the token before the view runs: the first
send claims it; a second send finds it claimed and is answered with where the first went
(``location``), or, while the first is still being saved, told so. A send the view refused
(a form with errors) gives its token back, so the corrected form can be sent. The API's
writes use the same tokens for their Idempotency-Key (``api/idempotency.py``), keeping the
answer to replay.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models import FormSubmission

FIELD = "deter_once"  # the hidden field's name
KEPT = timedelta(days=1)


def new_token() -> str:
    return secrets.token_urlsafe(24)


def claim(user: AbstractBaseUser | None, token: str, path: str,
          fingerprint: str = "") -> FormSubmission | None:
    """Claim ``token`` for this send; None if it is claimed already (a second send)."""
    now = timezone.now()
    FormSubmission.objects.filter(sent_at__lt=now - KEPT).delete()
    try:
        with transaction.atomic():
            return FormSubmission.objects.create(
                token=token[:64], user=user if user and user.is_authenticated else None,
                path=path[:2000], sent_at=now, fingerprint=fingerprint)
    except IntegrityError:
        return None


def first_send(token: str) -> FormSubmission | None:
    return FormSubmission.objects.filter(token=token[:64]).first()


def saved(submission: FormSubmission, location: str) -> None:
    """The first send was saved and redirected to ``location``: a second send goes there."""
    FormSubmission.objects.filter(pk=submission.pk).update(location=location[:2000])


def answered(submission: FormSubmission, status: int, answer: str) -> None:
    """An API write was done and answered: a retry with the same key gets the same answer."""
    FormSubmission.objects.filter(pk=submission.pk).update(status=status, answer=answer)


def give_back(submission: FormSubmission) -> None:
    """The view refused the send (nothing was saved): the token may be sent again."""
    FormSubmission.objects.filter(pk=submission.pk).delete()
