"""Which account a person of the single sign-on provider signs in to (docs/sign-in.md)."""

from django.conf import settings
from django.db import models


class SingleSignOnIdentity(models.Model):
    """The provider's subject (``iss`` and ``sub`` of its ID token, never the e-mail address
    or user name, which can change or be reused) that signs in as ``user``. Made at the
    subject's first sign-in by ``actions.accounts.sync_sso_user``."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="sso_identity")
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "single sign-on identities"
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"],
                                               name="unique_sso_subject")]

    def __str__(self) -> str:
        return f"{self.user} ({self.subject} at {self.issuer})"
