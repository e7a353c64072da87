"""What the API takes and gives. A person's fields appear only where the policy grants their
data category (``domain.data_categories.FIELDS``); ``categories`` lists those granted."""

from django.utils import timezone
from rest_framework import serializers

from ..domain import limits
from ..domain.data_categories import FIELDS, Category
from ..domain.people import is_child
from ..models import CohortEntry, Intervention

PERSON = FIELDS["person"]


class ErrorDetail(serializers.Serializer):
    status = serializers.IntegerField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()),
                                   help_text="Each field in error ('body': the whole request)")


class Error(serializers.Serializer):
    error = ErrorDetail()


class ProgrammeEntry(serializers.Serializer):
    entry = serializers.IntegerField(help_text="The cohort entry's id")
    programme = serializers.IntegerField()
    programme_name = serializers.CharField()
    status = serializers.ChoiceField(choices=CohortEntry.Status.choices, required=False,
                                     help_text="Only with the 'cohort' category")
    review_date = serializers.DateField(required=False, allow_null=True,
                                        help_text="Only with the 'cohort' category")


class PersonOut(serializers.Serializer):
    """Fields not granted are left out, never sent empty."""

    id = serializers.IntegerField()
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=[c.value for c in Category]),
        help_text="The data categories of this person the caller may see")
    person_id = serializers.CharField(required=False, help_text="Pseudonymous id ('identity')")
    sex = serializers.CharField(required=False, allow_blank=True)
    age = serializers.IntegerField(required=False, allow_null=True,
                                   help_text="Age in years today ('identity')")
    is_child = serializers.BooleanField(
        required=False, help_text="Under 18, or of unknown age ('identity')")
    date_of_birth = serializers.DateField(required=False, allow_null=True,
                                          help_text="Only with 'date_of_birth'")
    ethnicity = serializers.CharField(required=False, allow_blank=True,
                                      help_text="Only with 'ethnicity'")
    programmes = ProgrammeEntry(many=True)


class PeoplePage(serializers.Serializer):
    count = serializers.IntegerField()
    limit = serializers.IntegerField()
    offset = serializers.IntegerField()
    results = PersonOut(many=True)


class Paging(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=100, default=50)
    offset = serializers.IntegerField(min_value=0, max_value=10**9, default=0)


def person_out(person, categories: frozenset[Category], entry_categories) -> dict:
    """``entry_categories(entry)``: the categories granted in that entry's programme."""
    out: dict = {"id": person.pk, "categories": sorted(c.value for c in categories)}
    if PERSON["person_id"] in categories:
        age = person.age_on(timezone.localdate())
        out.update(person_id=person.person_id, sex=person.sex, age=age, is_child=is_child(age))
    if PERSON["date_of_birth"] in categories:
        out["date_of_birth"] = person.date_of_birth
    if PERSON["ethnicity"] in categories:
        out["ethnicity"] = person.ethnicity
    out["programmes"] = [_entry_out(entry, entry_categories(entry))
                         for entry in person.visible_entries]
    return out  # not through PersonOut, which would send a field not granted as null


def _entry_out(entry, categories) -> dict:
    out = {"entry": entry.pk, "programme": entry.programme_id,
           "programme_name": entry.programme.name}
    if Category.COHORT in categories:
        out.update(status=entry.status, review_date=entry.review_date)
    return out


class AgencyOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class UpdateOut(serializers.Serializer):
    status = serializers.ChoiceField(choices=Intervention.Status.choices)
    on = serializers.DateField()
    note = serializers.CharField(allow_blank=True)
    recorded_at = serializers.DateTimeField()


class InterventionOut(serializers.Serializer):
    id = serializers.IntegerField()
    programme = serializers.IntegerField(source="programme_id")
    person = serializers.IntegerField(source="person_id")
    kind = serializers.ChoiceField(choices=Intervention.Kind.choices)
    category = serializers.ChoiceField(choices=Intervention.Category.choices, allow_blank=True)
    title = serializers.CharField()
    agency = AgencyOut()
    status = serializers.ChoiceField(choices=Intervention.Status.choices)
    start = serializers.DateField(allow_null=True)
    end = serializers.DateField(allow_null=True)
    outcome = serializers.CharField(allow_blank=True)
    conditions = serializers.CharField(allow_blank=True, help_text="An order's conditions")
    expires = serializers.DateField(allow_null=True, help_text="When an order expires")
    cps_decision = serializers.CharField(allow_blank=True)
    cps_decision_date = serializers.DateField(allow_null=True)
    created_at = serializers.DateTimeField()
    updates = UpdateOut(many=True, source="updates_in_order",
                        help_text="The life-cycle, oldest first")


class InterventionIn(serializers.Serializer):
    """A new intervention for the person: the fields of the person page's form."""

    programme = serializers.IntegerField(min_value=1, help_text="A programme the person is in")
    agency = serializers.IntegerField(min_value=1, help_text="The providing agency")
    kind = serializers.ChoiceField(choices=Intervention.Kind.choices)
    category = serializers.ChoiceField(choices=Intervention.Category.choices, required=False,
                                       allow_blank=True, default="")
    title = serializers.CharField(max_length=200)
    status = serializers.ChoiceField(choices=Intervention.Status.choices,
                                     default=Intervention.Status.PLANNED)
    start = serializers.DateField(required=False, allow_null=True, default=None)
    end = serializers.DateField(required=False, allow_null=True, default=None)
    outcome = serializers.CharField(required=False, allow_blank=True, default="",
                                    max_length=limits.TEXT)
    conditions = serializers.CharField(required=False, allow_blank=True, default="",
                                       max_length=limits.TEXT)
    expires = serializers.DateField(required=False, allow_null=True, default=None)
    cps_decision = serializers.CharField(required=False, allow_blank=True, default="",
                                         max_length=200)
    cps_decision_date = serializers.DateField(required=False, allow_null=True, default=None)


class UpdateIn(serializers.Serializer):
    """A step along the life-cycle (referred, accepted, engaged: attending, completed,
    declined, closed) on the day it happened."""

    status = serializers.ChoiceField(choices=Intervention.Status.choices)
    on = serializers.DateField(help_text="The day it happened: today or before")
    note = serializers.CharField(required=False, allow_blank=True, default="",
                                 max_length=limits.TEXT,
                                 help_text="e.g. 'attended the first session'")
