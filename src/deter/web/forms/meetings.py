"""Forms for meetings, their actions and notes, and call-in invitations."""

import re
from datetime import datetime, time

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from .. import policy
from ..domain import limits
from ..models import CallInInvitation, CohortEntry, Meeting, Person, Programme
from .base import DatePartsField, GovukForm, GovukRadios
from .programmes import GovukCheckboxes

TIME = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*$")

KIND_HINTS = {
    "panel": "Decides who joins, stays in or leaves the cohort, and agrees actions",
    "adolescent_harm": "Complex adolescent harm: children at risk of exploitation or violence",
    "contextual": "Contextual safeguarding: places and peer groups rather than one child",
    "call_in": "Cohort members hear the message from police, services and the community",
}
ROLE_HINTS = {
    "subject": "An active member of the programme's cohort",
    "police": "A police officer delivering the enforcement message",
    "services": "Someone offering help: youth work, health, housing, employment",
    "community": "A faith leader, a reformed former member, a community figure",
    "victims_family": "A family member of someone harmed by the violence",
    "family": "A parent or carer of a cohort member",
}


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: AbstractBaseUser) -> str:
        full = obj.get_full_name() if hasattr(obj, "get_full_name") else ""
        return f"{full} ({obj.get_username()})" if full else obj.get_username()


class StaffMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: AbstractBaseUser) -> str:
        return StaffChoiceField.label_from_instance(self, obj)


class EntryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: CohortEntry) -> str:
        return f"{obj.person.person_id} ({obj.get_status_display().lower()})"


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Person) -> str:
        return obj.person_id


def parse_time(value: str) -> time | None:
    match = TIME.match(value or "")
    if not match:
        return None
    hour, minute = int(match[1]), int(match[2])
    return time(hour, minute) if hour < 24 and minute < 60 else None


class MeetingForm(GovukForm):
    programme = forms.ModelChoiceField(
        queryset=Programme.objects.none(), empty_label=None,
        error_messages={"required": "Select the programme",
                        "invalid_choice": "Select a programme you coordinate"},
    )
    kind = forms.ChoiceField(
        label="Type of meeting", choices=Meeting.Kind.choices, widget=GovukRadios(hints=KIND_HINTS),
        error_messages={"required": "Select the type of meeting",
                        "invalid_choice": "Select the type of meeting"},
    )
    title = forms.CharField(
        label="Title", max_length=200,
        help_text="For example, 'Northside panel, December' or 'Call-in, Eastgate groups'",
        error_messages={"required": "Enter the meeting's title",
                        "max_length": "The title must be 200 characters or fewer"},
    )
    held_on = DatePartsField(name="Date", label="Date", help_text="For example, 27 3 2026")
    held_time = forms.CharField(
        label="Time", max_length=5, help_text="24-hour clock, for example 14:30",
        error_messages={"required": "Enter the time of the meeting",
                        "max_length": "Enter the time like 14:30"},
    )
    place = forms.CharField(
        label="Place", max_length=200, required=False, help_text="Optional",
        error_messages={"max_length": "The place must be 200 characters or fewer"},
    )
    chair = StaffChoiceField(
        label="Chair", queryset=get_user_model().objects.none(), required=False,
        empty_label="No chair recorded", help_text="Optional. The chair may manage the meeting",
        error_messages={"invalid_choice": "Select the chair from the partner agencies' staff"},
    )
    attendees = StaffMultipleChoiceField(
        label="Attendees with a Deter account", queryset=get_user_model().objects.none(),
        required=False, widget=GovukCheckboxes,
        help_text="Invited attendees see this meeting, its agenda and their own actions",
        error_messages={"invalid_choice": "Select attendees from the partner agencies' staff"},
    )
    other_attendees = forms.CharField(
        label="Other attendees", required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional. People without a Deter account, with their role, one per line",
    )

    def __init__(self, *args, user: AbstractBaseUser, meeting: Meeting | None = None,
                 **kwargs) -> None:
        """Arranging a meeting, or with ``meeting`` changing one: its programme and type stay,
        so those fields are left out."""
        if meeting is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": meeting.title, "held_on": timezone.localtime(meeting.held_at).date(),
                "held_time": timezone.localtime(meeting.held_at).strftime("%H:%M"),
                "place": meeting.place, "chair": meeting.chair_id,
                "attendees": list(meeting.attendees.values_list("pk", flat=True)),
                "other_attendees": meeting.other_attendees,
            }
        super().__init__(*args, **kwargs)
        if meeting is not None:
            del self.fields["programme"], self.fields["kind"]
            staff = policy.programmes.users_with("assign", meeting.programme)
        else:
            programmes = policy.programmes.instances(user, "decide")
            field = self.fields["programme"]
            field.queryset = programmes
            choices = list(programmes)
            if len(choices) == 1:
                field.widget = forms.HiddenInput()
                field.initial = choices[0].pk
            staff = get_user_model().objects.filter(
                is_active=True, staff_roles__agency__programmes__in=programmes.values("pk")
            ).distinct().order_by("username")
        self.fields["chair"].queryset = staff
        self.fields["attendees"].queryset = staff
        self.fields["title"].widget.attrs["autocomplete"] = "off"
        self.fields["held_time"].widget.attrs.update(
            {"class": "govuk-input govuk-input--width-5", "inputmode": "numeric"})

    def clean(self) -> dict:
        data = super().clean()
        day = data.get("held_on")
        if "held_on" not in self.errors and day is None:
            self.add_error("held_on", "Enter the date of the meeting")
        raw_time = data.get("held_time")
        at = parse_time(raw_time) if raw_time else None
        if raw_time and at is None:
            self.add_error("held_time", "Enter the time like 14:30, using the 24-hour clock")
        if day and at:
            data["held_at"] = timezone.make_aware(datetime.combine(day, at))
        return data

    def action_arguments(self) -> dict:
        data = self.cleaned_data
        return {key: data[key] for key in ("programme", "kind", "title", "held_at", "place",
                                           "chair", "attendees", "other_attendees")
                if key in self.fields or key == "held_at"}


class ActionForm(GovukForm):
    description = forms.CharField(
        label="Action", widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Say plainly what is to be done, so that the owner can act on it",
        error_messages={"required": "Enter what is to be done"},
    )
    owner = StaffChoiceField(
        label="Owner", queryset=get_user_model().objects.none(), empty_label="Choose an owner",
        error_messages={"required": "Select who owns the action",
                        "invalid_choice": "Select an owner from the programme's partner agencies"},
    )
    due = DatePartsField(name="Due date", label="Due date", help_text="For example, 27 3 2026")
    entry = EntryChoiceField(
        label="About a person", queryset=CohortEntry.objects.none(), required=False,
        empty_label="Not about one person", help_text="Optional",
        error_messages={"invalid_choice": "Select a person in this programme's cohort"},
    )

    def __init__(self, *args, user: AbstractBaseUser, programme: Programme, **kwargs) -> None:
        kwargs.setdefault("prefix", "action")
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = policy.programmes.users_with("assign", programme)
        self.fields["entry"].queryset = (
            policy.entries.visible(user).filter(programme=programme)
            .exclude(status__in=(CohortEntry.Status.REJECTED, CohortEntry.Status.EXITED,
                                 CohortEntry.Status.REMOVED))
            .select_related("person").order_by("person__person_id")
            .only("status", "person__person_id")  # a choice per cohort member: its label only
        )

    def clean(self) -> dict:
        data = super().clean()
        if "due" not in self.errors and data.get("due") is None:
            self.add_error("due", "Enter the due date")
        return data


class NotesForm(GovukForm):
    edits_a_record = True
    notes = forms.CharField(
        label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 6}),
        max_length=limits.LONG,
        help_text="Facts and decisions only; the notes are shared with everyone who sees the "
        "meeting",
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("prefix", "notes")
        super().__init__(*args, **kwargs)


class InviteForm(GovukForm):
    role = forms.ChoiceField(
        label="Who is being invited", choices=CallInInvitation.Role.choices,
        widget=GovukRadios(hints=ROLE_HINTS),
        error_messages={"required": "Select who is being invited",
                        "invalid_choice": "Select who is being invited"},
    )
    person = PersonChoiceField(
        label="Which cohort member", queryset=Person.objects.none(), required=False,
        empty_label="Choose a cohort member",
        help_text="For a cohort member: only active members can be invited",
        error_messages={"invalid_choice": "Select an active member of the programme's cohort"},
    )
    name = forms.CharField(
        label="Name and role", max_length=200, required=False,
        help_text="For anyone else, for example 'Inspector Shah, neighbourhood policing'",
        error_messages={"max_length": "The name must be 200 characters or fewer"},
    )

    def __init__(self, *args, user: AbstractBaseUser, meeting: Meeting, **kwargs) -> None:
        kwargs.setdefault("prefix", "invite")
        super().__init__(*args, **kwargs)
        active = policy.entries.visible(user).filter(
            programme=meeting.programme_id, status=CohortEntry.Status.ACTIVE)
        self.fields["person"].queryset = (
            Person.objects.filter(pk__in=active.values("person_id"))
            .exclude(pk__in=meeting.invitations.filter(person__isnull=False)
                     .values("person_id"))
            .order_by("person_id")
        )
        self.fields["name"].widget.attrs["autocomplete"] = "off"

    def clean(self) -> dict:
        data = super().clean()
        role = data.get("role")
        if role == CallInInvitation.Role.SUBJECT:
            data["name"] = ""
            if data.get("person") is None and "person" not in self.errors:
                self.add_error("person", "Select the cohort member to invite")
        elif role:
            data["person"] = None
            if not (data.get("name") or "").strip() and "name" not in self.errors:
                self.add_error("name", "Enter the name and role of the person invited")
        return data
