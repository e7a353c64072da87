"""``Idempotency-Key`` on the API's writes: a partner system that retries a POST (after a
timeout or a dropped connection) records it once.

A POST may carry the header (1 to 64 printable ASCII characters, chosen by the caller, e.g. a
UUID). The first request with a key claims it for the caller (the once-only tokens of
``actions.forms``, kept a day); once it succeeds, its status and JSON are kept, and a retry
with the same key, the same path and the same body is answered with them (and
``Idempotent-Replayed: true``) without writing again. The same key with another path or body
is refused (422); a retry while the first is still being written is told to wait (409). A
request that was refused (4xx) gives its key back, so the corrected request may reuse it.
Without the header a POST is written every time it is sent.
"""

from __future__ import annotations

import hashlib
import json
import re

from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, status
from rest_framework.utils.encoders import JSONEncoder

from ..actions import forms as once
from ..models import FormSubmission

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
_KEY = re.compile(r"[\x21-\x7e]{1,64}")

PARAMETER = OpenApiParameter(
    HEADER, str, OpenApiParameter.HEADER, required=False, pattern=r"^[\x21-\x7e]{1,64}$",
    description="Optional: the same key on a retry answers the first request's result "
    "without recording it again (kept a day)")


class KeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = ("This Idempotency-Key was used for a different request: use a new key "
                      "for a new request")


class StillWriting(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = ("The first request with this Idempotency-Key is still being recorded: "
                      "retry in a moment")


class Replay(Exception):  # noqa: N818 (not an error: the first request's answer, again)
    def __init__(self, status: int, data: object) -> None:
        super().__init__(status)
        self.status, self.data = status, data


def _key(request) -> str | None:
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    if not _KEY.fullmatch(raw):
        raise exceptions.ValidationError(
            {HEADER: ["Must be 1 to 64 printable characters without spaces"]})
    return raw


def _fingerprint(request) -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(request.body)
    return digest.hexdigest()


def begin(request) -> FormSubmission | None:
    """Claim the request's key, if it has one; raise ``Replay`` with the first answer, or
    refuse a key reused for another request or one still being written."""
    key = _key(request)
    if key is None:
        return None
    token = hashlib.sha256(f"api:{request.user.pk}:{key}".encode()).hexdigest()
    fingerprint = _fingerprint(request)
    claimed = once.claim(request.user, token, request.path, fingerprint=fingerprint)
    if claimed is not None:
        return claimed
    first = once.first_send(token)
    if first is None:  # given back between the claim and this read: claim it now
        return begin(request)
    if first.fingerprint != fingerprint:
        raise KeyReused()
    if first.status is None:
        raise StillWriting()
    raise Replay(first.status, json.loads(first.answer))


def finish(claimed: FormSubmission, response) -> None:
    """Keep a successful answer for retries; give a refused request's key back."""
    if response.status_code >= 400:
        once.give_back(claimed)
    else:
        once.answered(claimed, response.status_code,
                      json.dumps(response.data, cls=JSONEncoder))


def abandon(claimed: FormSubmission) -> None:
    once.give_back(claimed)
