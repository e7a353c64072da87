"""Tokens for partner systems calling the HTTP API (``deter.web.api``, docs/api.md).

A token belongs to one integration (a treatment provider's case system, a school's MIS), is
bound to one agency and acts as that integration's service user, whose roles are all in that
agency, so the access policy answers for it as for any of the agency's staff. Only the token's
SHA-256 digest is stored: the token itself is shown once, when it is made.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from .agency import Agency


class ApiToken(models.Model):
    name = models.CharField(max_length=200, help_text="The integration, e.g. its system's name")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="api_tokens", help_text="The service user it acts as")
    prefix = models.CharField(max_length=16, unique=True,
                              help_text="The token's public start, named in lists and the audit")
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    def live(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now
