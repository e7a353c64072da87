"""What an intervention achieved, as facts rather than free text (issue 13).

* ``OperationOutcome``: an operation's or enforcement action's results in numbers: fixed
  penalties, what was seized, weapons found, arrests.
* ``Premises``: a named place the programme works with (a nightclub, shop, station), at a
  ``Location``; ``PremisesLink`` ties an intervention to the premises it concerned.
* ``InterventionSchedule`` and ``Occurrence``: a recurring intervention (daily home visits from
  one day to another) is one intervention with one row per occurrence and its outcome, not one
  intervention a visit.

Movement across areas is not a model here: a sighting or GPS point is an ``Event`` at a
``Location`` with the person involved as ``other`` (``actions.outcomes.record_sighting``).
"""

from django.conf import settings
from django.db import models

from .casework import Intervention
from .pole import Location
from .programme import Programme


class OperationOutcome(models.Model):
    """The counted results of one operation (or any enforcement or community action)."""

    intervention = models.OneToOneField(Intervention, on_delete=models.CASCADE,
                                        related_name="operation_outcome")
    fixed_penalties = models.PositiveIntegerField(default=0,
                                                  help_text="Fixed penalty notices issued")
    seizures = models.PositiveIntegerField(default=0, help_text="Seizures made")
    seized = models.CharField(max_length=300, blank=True,
                              help_text="What was seized (alcohol, drugs, cash, a vehicle)")
    weapons_found = models.PositiveIntegerField(default=0)
    weapons = models.CharField(max_length=300, blank=True,
                               help_text="Which weapons (a bladed article...)")
    arrests = models.PositiveIntegerField(default=0)
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"outcome of {self.intervention}"


class Premises(models.Model):
    class Kind(models.TextChoices):
        NIGHTCLUB = "nightclub", "Nightclub"
        PUB = "pub", "Pub or bar"
        SHOP = "shop", "Shop"
        TAKEAWAY = "takeaway", "Takeaway"
        STATION = "station", "Station"
        SCHOOL = "school", "School or college"
        PARK = "park", "Park or open space"
        OTHER = "other", "Other premises"

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="premises")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    address = models.CharField(max_length=300, blank=True)
    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "premises"
        ordering = ["programme", "name"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "name"], name="unique_premises_name")
        ]

    def __str__(self) -> str:
        return self.name


class PremisesLink(models.Model):
    """An intervention concerned these premises (an operation at the nightclub)."""

    intervention = models.ForeignKey(Intervention, on_delete=models.CASCADE,
                                     related_name="premises_links")
    premises = models.ForeignKey(Premises, on_delete=models.PROTECT, related_name="links")
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+")
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["intervention", "premises"],
                                    name="unique_premises_link")
        ]

    def __str__(self) -> str:
        return f"{self.intervention} at {self.premises}"


class InterventionSchedule(models.Model):
    """An intervention that recurs: every day or every week from ``starts`` to ``ends``."""

    class Frequency(models.TextChoices):
        DAILY = "daily", "Every day"
        WEEKLY = "weekly", "Every week"

    intervention = models.OneToOneField(Intervention, on_delete=models.CASCADE,
                                        related_name="schedule")
    frequency = models.CharField(max_length=8, choices=Frequency.choices)
    starts = models.DateField()
    ends = models.DateField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.intervention}: {self.get_frequency_display()} {self.starts}-{self.ends}"


class Occurrence(models.Model):
    """One planned occurrence of a recurring intervention and what happened."""

    class Outcome(models.TextChoices):
        PENDING = "", "Not recorded yet"
        ATTENDED = "attended", "Attended"
        NOT_ATTENDED = "not_attended", "Not attended"
        CANCELLED = "cancelled", "Cancelled"

    schedule = models.ForeignKey(InterventionSchedule, on_delete=models.CASCADE,
                                 related_name="occurrences")
    on = models.DateField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True, default="")
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["on"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "on"], name="unique_occurrence_day")
        ]

    def __str__(self) -> str:
        return f"{self.schedule.intervention} on {self.on}: {self.outcome or 'pending'}"
