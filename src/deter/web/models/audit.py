"""The audit trail: every view of a person and every change, append-only and hash-chained.

Rows are added only by ``deter.web.audit.record``, which chains each to the one before
(``domain/audit_chain.py``), and read like any other. The ORM refuses to change or remove
them, whether through an instance (``save`` of an existing row, ``delete``) or a queryset
(``update``, ``delete``, ``bulk_update``, and the ``_raw_delete`` Django's deletion collector
uses), and refuses ``bulk_create``, which would bypass the chain. The database refuses too:
triggers created by migration 0011 reject UPDATE, DELETE and (PostgreSQL) TRUNCATE of the
table whatever the client (``deter.web.audit.guard``). Emptying a whole database for
``deter demo`` goes through Django's ``flush`` command, which Deter overrides to lift the
triggers for that one statement, log it, and start a new chain that records it.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

USER_AGENT_LENGTH = 512
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

    def bulk_create(self, objs, *args, **kwargs):
        raise AppendOnlyError("audit events are written one by one through audit.record, "
                              "which chains each to the one before: bulk_create is refused")

    # as Django marks its own: not on the manager (``objects.delete()``), not from templates
    delete.queryset_only = True  # type: ignore[attr-defined]
    update.alters_data = delete.alters_data = True  # type: ignore[attr-defined]
    bulk_update.alters_data = _raw_delete.alters_data = True  # type: ignore[attr-defined]
    bulk_create.alters_data = True  # type: ignore[attr-defined]


class AuditEvent(models.Model):
    class Outcome(models.TextChoices):
        ALLOWED = "allowed", "Allowed"
        DENIED = "denied", "Denied"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(max_length=150, help_text="Kept if the user is renamed")
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=80, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default="allowed")
    detail = models.JSONField(default=dict, blank=True)
    # the request the row was written in; blank for the system acting outside a request
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=USER_AGENT_LENGTH, blank=True)
    session = models.CharField(
        max_length=64, blank=True, help_text="Keyed HMAC-SHA256 of the session key, never the key")
    actor_roles = models.JSONField(
        default=list, blank=True, help_text="The actor's roles then: [{agency, agency_id, role}]")
    purpose = models.CharField(max_length=32, blank=True,
                               help_text="Why the data was used: the view's declared purpose")
    previous_hash = models.CharField(max_length=64, unique=True)
    hash = models.CharField(max_length=64, unique=True)

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
