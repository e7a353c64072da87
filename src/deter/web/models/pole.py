"""POLE records (Person, Location, Event) and the links between them, as imported."""

from datetime import date

from django.db import models


class Person(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        OTHER = "other", "Other"
        UNKNOWN = "unknown", "Unknown"

    person_id = models.CharField(max_length=64, unique=True, help_text="Pseudonymous identifier")
    date_of_birth = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=16, choices=Sex.choices, blank=True)
    ethnicity = models.CharField(
        max_length=64, blank=True, help_text="Recorded for disproportionality monitoring only"
    )

    class Meta:
        ordering = ["person_id"]

    def __str__(self) -> str:
        return self.person_id

    def age_on(self, day: date) -> int | None:
        if self.date_of_birth is None:
            return None
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class Location(models.Model):
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    lsoa_code = models.CharField(max_length=16, blank=True, db_index=True)
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["latitude", "longitude", "lsoa_code", "description"],
                name="unique_location",
            )
        ]

    def __str__(self) -> str:
        return self.label(self.description, self.lsoa_code, self.latitude, self.longitude)

    @staticmethod
    def label(description: str, lsoa_code: str, latitude: float, longitude: float) -> str:
        """How a place is named, from its fields (for rows read as values, not instances)."""
        return description or lsoa_code or f"{latitude}, {longitude}"


class Event(models.Model):
    event_id = models.CharField(max_length=80, unique=True)
    occurred_at = models.DateTimeField(db_index=True)
    offence_code = models.CharField(max_length=32, blank=True, help_text="Home Office offence code")
    offence_category = models.CharField(max_length=100, blank=True)
    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.PROTECT)
    source = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-occurred_at"]

    def __str__(self) -> str:
        return self.event_id


class Involvement(models.Model):
    class Role(models.TextChoices):
        SUSPECT = "suspect", "Suspect"
        OFFENDER = "offender", "Offender"
        VICTIM = "victim", "Victim"
        WITNESS = "witness", "Witness"
        OTHER = "other", "Other"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="involvements")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="involvements")
    role = models.CharField(max_length=16, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "person", "role"], name="unique_involvement")
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.role} in {self.event}"


class Association(models.Model):
    person_a = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    person_b = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=64)
    weight = models.FloatField(null=True, blank=True)
    observed_at = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return f"{self.person_a} – {self.person_b} ({self.kind})"


class RecordedGroup(models.Model):
    group_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["group_id"]

    def __str__(self) -> str:
        return self.name or self.group_id


class Membership(models.Model):
    """A recorded membership (intelligence), with its source and confidence."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    group = models.ForeignKey(RecordedGroup, on_delete=models.CASCADE, related_name="memberships")
    start = models.DateField(null=True, blank=True)
    end = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=100, blank=True)
    confidence = models.FloatField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.person} in {self.group}"


class GroupRelation(models.Model):
    class Kind(models.TextChoices):
        RIVALRY = "rivalry", "Rivalry"
        ALLIANCE = "alliance", "Alliance"

    group_a = models.ForeignKey(RecordedGroup, on_delete=models.CASCADE, related_name="+")
    group_b = models.ForeignKey(RecordedGroup, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    events = models.ManyToManyField(Event, blank=True, help_text="The events behind the relation")
    first_seen = models.DateField(null=True, blank=True)
    last_seen = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.group_a} {self.kind} {self.group_b}"
