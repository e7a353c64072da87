"""Local accounts: each signed-in session of a user, so that all of them can be ended at once
(sign out everywhere, a password change, deactivation), and whether a user must choose a new
password at the next sign-in (after an administrator's reset). Docs: ADR 12."""

from django.conf import settings
from django.db import models


class UserSession(models.Model):
    """One session a user signed in with, written at sign-in and removed at sign-out. Django's
    session store cannot list a user's sessions; this table can. A row can outlive its session
    (an expired one): ending a user's sessions removes both."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="deter_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    signed_in_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-signed_in_at", "-pk"]

    def __str__(self) -> str:
        return f"session of {self.user_id} from {self.signed_in_at:%Y-%m-%d %H:%M}"


class AccountSecurity(models.Model):
    """What a user must do at the next sign-in: choose a new password, after an administrator
    set a temporary one (``deter user reset-password``)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="deter_security")
    must_change_password = models.BooleanField(default=False)
    password_changed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"account security of {self.user_id}"


class FormSubmission(models.Model):
    """A once-only form token that has been sent (``actions.forms``): every form a page draws
    carries a fresh token, so a second send of the same form (a double click, a resend after
    going back) is recognised and answered with where the first went, and saves nothing
    twice. Rows are kept a day."""

    token = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.CASCADE, related_name="+")
    path = models.CharField(max_length=2000)
    sent_at = models.DateTimeField(db_index=True)
    location = models.CharField(max_length=2000, blank=True,
                                help_text="Where the first send was redirected once it was saved")
    # an API write sent with an Idempotency-Key (api/idempotency.py): what it was and what
    # it was answered, so a retry is answered the same without writing again
    fingerprint = models.CharField(max_length=64, blank=True,
                                   help_text="SHA-256 of the request's method, path and body")
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    answer = models.TextField(max_length=20_000, blank=True, help_text="The JSON answered")

    def __str__(self) -> str:
        return f"form sent to {self.path} at {self.sent_at:%Y-%m-%d %H:%M}"
