"""Agencies and the roles their staff hold: the facts the access policy decides on."""

from django.conf import settings
from django.db import models


class Agency(models.Model):
    class Kind(models.TextChoices):
        POLICE = "police", "Police"
        VRU = "vru", "Violence Reduction Unit"
        CHILDRENS_SERVICES = "childrens_services", "Children's social care"
        SCHOOL = "school", "School or college"
        COUNCIL = "council", "Council"
        HOUSING = "housing", "Housing"
        HEALTH = "health", "Health"
        PROBATION = "probation", "Probation"
        TREATMENT = "treatment", "Drug and alcohol treatment"
        COMMUNITY = "community", "Community or voluntary"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    # the letterhead (actions.administration keeps them; letters copy them when written)
    address = models.TextField(blank=True, help_text="Postal address, as on the letterhead")
    phone = models.CharField(max_length=40, blank=True)
    logo = models.ForeignKey("AgencyLogo", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", help_text="The logo printed on its letters")

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AgencyLogo(models.Model):
    """One uploaded logo, never changed: a new upload is a new row, so a letter names the
    logo it was written with. Kept in the database, never as a file under a web-served
    folder: only the letters' PDF and Word documents ever draw it, and an upload cannot
    choose a path. Checked on upload (``domain.logos``): PNG or JPEG, at most 1 MB and
    2,000 pixels a side, re-encoded as PNG so nothing but pixels is kept."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="logos")
    image = models.BinaryField()  # PNG, re-encoded
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"logo of {self.agency_id} ({self.width}x{self.height})"


class StaffProfile(models.Model):
    """Who a user is on a letter or a page (full name, job title, contact), and whether they
    are a system administrator: the one who enters agencies, users and their roles. Being one
    grants no role in any programme and shows no record of a person."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="staff_profile")
    full_name = models.CharField(max_length=200, blank=True)
    job_title = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    system_administrator = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"profile of {self.user_id}"


class StaffRole(models.Model):
    """A user's role within one agency; a user may work for several agencies."""

    class Role(models.TextChoices):
        ANALYST = "analyst", "Analyst"
        COORDINATOR = "coordinator", "Programme coordinator"
        CASEWORKER = "caseworker", "Caseworker"
        PARTNER = "partner", "Partner agency user"
        DPO = "dpo", "Data protection officer"
        EVALUATOR = "evaluator", "Evaluator"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_roles"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="staff_roles")
    role = models.CharField(max_length=32, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "agency", "role"], name="unique_staff_role")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}, {self.agency}"


def profile_of(user) -> StaffProfile | None:
    """The user's profile, or None for one made before profiles (or anonymous)."""
    if user is None or not getattr(user, "pk", None):
        return None
    try:
        return user.staff_profile
    except StaffProfile.DoesNotExist:
        return None


def display_name(user, *, fallback: str | None = None) -> str:
    """The user's full name (their profile's, else Django's first and last name); without
    one, ``fallback``, or the user name when no fallback is given."""
    profile = profile_of(user)
    name = (profile.full_name if profile else "") or user.get_full_name()
    return name or (user.get_username() if fallback is None else fallback)
