"""The audit trail: every view of a person and every change, append-only.

Rows are added with ``create`` or ``bulk_create`` and read like any other; the ORM refuses to
change or remove them, whether through an instance (``save`` of an existing row, ``delete``)
or a queryset (``update``, ``delete``, ``bulk_update``, and the ``_raw_delete`` Django's
deletion collector uses). Emptying a whole database for ``deter demo --reset`` goes through
Django's ``flush`` command, which truncates every table in SQL and never through this model.
"""

from django.conf import settings
from django.db import models

APPEND_ONLY = "the audit trail is append-only: audit events cannot be {}"


class AppendOnlyError(ValueError):
    """An attempt to change or delete audit rows."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(APPEND_ONLY.format("updated"))

    def delete(self):
        raise AppendOnlyError(APPEND_ONLY.format("deleted"))

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError(APPEND_ONLY.format("updated"))

    def _raw_delete(self, using):
        raise AppendOnlyError(APPEND_ONLY.format("deleted"))

    # as Django marks its own: not on the manager (``objects.delete()``), not from templates
    delete.queryset_only = True  # type: ignore[attr-defined]
    update.alters_data = delete.alters_data = True  # type: ignore[attr-defined]
    bulk_update.alters_data = _raw_delete.alters_data = True  # type: ignore[attr-defined]


class AuditEvent(models.Model):
    class Outcome(models.TextChoices):
        ALLOWED = "allowed", "Allowed"
        DENIED = "denied", "Denied"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(max_length=150, help_text="Kept if the user is renamed")
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=80, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default="allowed")
    detail = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError(APPEND_ONLY.format("changed"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(APPEND_ONLY.format("deleted"))
