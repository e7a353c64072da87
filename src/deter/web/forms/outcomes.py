"""Forms for what interventions achieved: an operation's counted results, premises, a
recurring schedule and its occurrences, and a sighting or GPS point (issue 13). They only
validate; ``actions.outcomes`` checks the rules again and writes."""

from datetime import datetime, time

from django import forms
from django.utils import timezone

from ..models import InterventionSchedule, Occurrence, Premises
from .base import DatePartsField, GovukForm, GovukRadios


def _count(label: str, help_text: str = "") -> forms.IntegerField:
    return forms.IntegerField(
        label=label, min_value=0, initial=0, help_text=help_text,
        error_messages={"required": f"Enter the number of {label.lower()}, 0 if none",
                        "invalid": f"{label} must be a whole number",
                        "min_value": f"{label} must be 0 or more"})


class OperationOutcomeForm(GovukForm):
    fixed_penalties = _count("Fixed penalties", "Fixed penalty notices issued")
    seizures = _count("Seizures")
    seized = forms.CharField(label="What was seized", required=False, max_length=300,
                             help_text="For example, alcohol from under-18s")
    weapons_found = _count("Weapons found")
    weapons = forms.CharField(label="Which weapons", required=False, max_length=300,
                              help_text="For example, a bladed article")
    arrests = _count("Arrests")
    notes = forms.CharField(label="Notes", required=False,
                            widget=forms.Textarea(attrs={"rows": 2}))


class PremisesForm(GovukForm):
    name = forms.CharField(label="Name of the premises", max_length=200,
                           error_messages={"required": "Enter the premises' name"})
    kind = forms.ChoiceField(label="Kind of premises", choices=Premises.Kind.choices,
                             widget=GovukRadios,
                             error_messages={"required": "Select the kind of premises"})
    address = forms.CharField(label="Address", required=False, max_length=300)
    lsoa_code = forms.CharField(label="LSOA code", required=False, max_length=16,
                                help_text="Optional, for example E01024877")
    latitude = forms.FloatField(label="Latitude", required=False,
                                error_messages={"invalid": "Latitude must be a number"})
    longitude = forms.FloatField(label="Longitude", required=False,
                                 error_messages={"invalid": "Longitude must be a number"})


class PremisesLinkForm(GovukForm):
    premises = forms.ModelChoiceField(
        label="Premises", queryset=Premises.objects.none(), empty_label="Choose premises",
        error_messages={"required": "Select the premises",
                        "invalid_choice": "Select one of this programme's premises"})

    def __init__(self, *args, premises, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["premises"].queryset = premises


class ScheduleForm(GovukForm):
    frequency = forms.ChoiceField(
        label="How often", choices=InterventionSchedule.Frequency.choices, widget=GovukRadios,
        error_messages={"required": "Select how often it happens"})
    starts = DatePartsField(name="First day", label="First day",
                            help_text="For example, 1 7 2024")
    ends = DatePartsField(name="Last day", label="Last day", help_text="For example, 31 7 2024")


class OccurrenceForm(GovukForm):
    outcome = forms.ChoiceField(
        label="What happened",
        choices=[c for c in Occurrence.Outcome.choices if c[0]], widget=GovukRadios,
        error_messages={"required": "Select what happened"})
    notes = forms.CharField(label="Notes", required=False,
                            widget=forms.Textarea(attrs={"rows": 2}))


class SightingForm(GovukForm):
    method = forms.ChoiceField(
        label="How it was recorded",
        choices=[("sighting", "Seen by an officer or partner"), ("gps", "GPS tag")],
        widget=GovukRadios, error_messages={"required": "Select a sighting or a GPS point"})
    on = DatePartsField(name="Date", label="Date", help_text="For example, 14 7 2024")
    at_time = forms.TimeField(label="Time", required=False, help_text="For example, 22:15",
                              error_messages={"invalid": "Enter the time like 22:15"})
    description = forms.CharField(label="Where", required=False, max_length=200,
                                  help_text="A place or area, for example Dover Priory station")
    lsoa_code = forms.CharField(label="LSOA code", required=False, max_length=16)
    latitude = forms.FloatField(label="Latitude", required=False,
                                error_messages={"invalid": "Latitude must be a number"})
    longitude = forms.FloatField(label="Longitude", required=False,
                                 error_messages={"invalid": "Longitude must be a number"})

    def clean(self) -> dict:
        data = super().clean()
        if "on" in data and data["on"] is None and "on" not in self.errors:
            self.add_error("on", "Enter the date")
        day = data.get("on")
        data["at"] = timezone.make_aware(datetime.combine(day, data.get("at_time") or time(12))) \
            if day else None
        return data
