"""How long what people type may be: one set of limits for forms, the API and the database.

A page, a panel card and a letter quote what a coordinator writes, so a rationale, a reason,
a support offer or a consequence is at most ``TEXT`` characters (a 500,000-character
consequence once made a 208-page letter); notes, letters and agreements are at most ``LONG``.
A model's ``max_length`` is its limit (``TextField`` without one: ``LONG``), and
``refuse_overlong`` checks it before every save, on SQLite (which stores any length) as on
PostgreSQL (which would answer "value too long" with a server error).
"""

from django.core.exceptions import ValidationError
from django.db import models

LINE = 200  # a name, a title: one line
TEXT = 2_000  # a rationale, a reason, an offer, an action: what a card or a letter quotes
LONG = 20_000  # meeting notes, a letter's body, an agreement's terms


def limit_of(field: models.Field) -> int | None:
    """The most characters ``field`` holds, or None for a field that is not text."""
    if isinstance(field, models.TextField):
        return field.max_length or LONG
    if isinstance(field, models.CharField):
        return field.max_length
    return None


def too_long(label: str, limit: int, length: int) -> str:
    return f"{label} must be {limit:,} characters or fewer (it has {length:,})"


def refuse_overlong(sender: type[models.Model], instance: models.Model, **kwargs) -> None:
    """``pre_save``: refuse a value longer than its field's limit, naming the field; nothing
    is written."""
    update_fields = kwargs.get("update_fields")
    errors = {}
    for field in sender._meta.concrete_fields:
        if update_fields is not None and field.name not in update_fields:
            continue
        limit = limit_of(field)
        value = getattr(instance, field.attname, None)
        if limit is not None and isinstance(value, str) and len(value) > limit:
            label = str(field.verbose_name).capitalize()
            errors[field.name] = too_long(label, limit, len(value))
    if errors:
        raise ValidationError(errors)
