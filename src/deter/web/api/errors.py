"""Every refusal as JSON: ``{"error": {"status", "message", "fields"}}``, where ``fields``
names each field in error with its messages (``"body"`` for the request as a whole)."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


def _messages(detail) -> list[str]:
    if isinstance(detail, list | tuple):
        return [m for item in detail for m in _messages(item)]
    if isinstance(detail, dict):
        return [f"{key}: {m}" for key, value in detail.items() for m in _messages(value)]
    return [str(detail)]


def _fields(detail) -> dict[str, list[str]]:
    """A serializer's errors as field -> messages ("body" for non-field errors)."""
    if isinstance(detail, dict):
        return {("body" if key == "non_field_errors" else str(key)): _messages(value)
                for key, value in detail.items()}
    return {"body": _messages(detail)}


def body(code: int, message: str, fields: dict[str, list[str]] | None = None) -> dict:
    return {"error": {"status": code, "message": message, "fields": fields or {}}}


def handle(exc, context) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"body": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or "You may not do this")
    response = exception_handler(exc, context)  # sets WWW-Authenticate and Retry-After
    if response is None:
        return None  # a server error: Django's handler answers (and the middleware audits)
    if isinstance(exc, exceptions.ValidationError):
        fields = _fields(exc.detail)
        named = ", ".join(sorted(fields))
        response.data = body(status.HTTP_400_BAD_REQUEST,
                             f"The request has errors in: {named}", fields)
    else:
        response.data = body(response.status_code, " ".join(_messages(exc.detail)))
    return response
