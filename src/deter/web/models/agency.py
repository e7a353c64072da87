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

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


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
