"""Forms for data-sharing agreements, partner links and the DPO console's questions."""

from datetime import date, timedelta

from django import forms
from django.contrib.auth.models import AbstractBaseUser

from .. import policy
from ..domain.data_categories import LABELS, Category
from ..models import (
    Agency,
    AgreementParty,
    DataSharingAgreement,
    Person,
    PersonLink,
    Programme,
)
from ..queries.audit_log import Period
from .base import DatePartsField, GovukForm, GovukRadios
from .programmes import GovukCheckboxes

YES_NO = (("yes", "Yes"), ("no", "No"))
NOT_A_PARTY, RECEIVES, SUPPLIES = "", "receives", "supplies"
PART_CHOICES = ((NOT_A_PARTY, "Not a party"), (RECEIVES, "A party that receives data"),
                (SUPPLIES, "A party that supplies data (its DPO must approve)"))
AGES = (("both", "Adults and children"), ("children", "Children only"), ("adults", "Adults only"))
CHECKLIST_LABELS = dict(DataSharingAgreement.CHECKLIST)


def yes_no(label: str, help_text: str = "") -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label, choices=YES_NO, widget=GovukRadios, coerce=lambda v: v == "yes",
        help_text=help_text, error_messages={"required": f"Select whether: {label.lower()}"})


def _date(name: str, label: str, help_text: str) -> DatePartsField:
    return DatePartsField(name=name, label=label, help_text=help_text)


class AgreementForm(GovukForm):
    """A new version of a programme's agreement, starting from the newest one's terms."""

    title = forms.CharField(label="Title", max_length=200, error_messages={
        "required": "Enter the agreement's title",
        "max_length": "The title must be 200 characters or fewer"})
    purpose = forms.ChoiceField(
        label="What the sharing is for", choices=DataSharingAgreement.Purpose.choices,
        widget=GovukRadios, error_messages={"required": "Select what the sharing is for",
                                            "invalid_choice": "Select what the sharing is for"})
    purpose_detail = forms.CharField(
        label="The purpose in plain words", widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Describe the purpose of the sharing in plain words"})
    starts = _date("Start date", "Start date", "For example, 1 4 2026")
    ends = _date("End date", "End date", "Optional. The agreement expires after this date")
    review_date = _date("Review date", "Review date", "When the partners review the agreement")
    special_category = yes_no("Health or treatment data is shared",
                              "Special-category data under UK GDPR Article 9")
    includes_ethnicity = yes_no("Ethnicity is shared", "Special category under Article 9")
    dpia_reference = forms.CharField(label=CHECKLIST_LABELS["dpia_reference"], required=False,
                                     max_length=200, help_text="Its reference or date")
    equality_assessment = forms.CharField(
        label=CHECKLIST_LABELS["equality_assessment"], required=False, max_length=200,
        help_text="Its reference or date")
    privacy_information = forms.CharField(
        label=CHECKLIST_LABELS["privacy_information"], required=False, max_length=200,
        help_text="Where people are told about the sharing")
    security_arrangements = forms.CharField(
        label=CHECKLIST_LABELS["security_arrangements"], required=False,
        widget=forms.Textarea(attrs={"rows": 2}))
    rights_procedure = forms.CharField(
        label=CHECKLIST_LABELS["rights_procedure"], required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="How access requests, objections and challenges are handled")

    CHECKLIST = ("dpia_reference", "equality_assessment", "privacy_information",
                 "security_arrangements", "rights_procedure")

    def __init__(self, *args, programme: Programme, **kwargs) -> None:
        latest = programme.agreements.order_by("-version").first()
        unbound = (args[0] if args else kwargs.get("data")) is None
        if latest is not None and unbound and "initial" not in kwargs:
            kwargs["initial"] = self._initial_from(latest)
        super().__init__(*args, **kwargs)
        self.programme = programme
        self.agencies = list(programme.agencies.order_by("name"))
        self.party_fields: list[tuple[Agency, list[str]]] = []
        for agency in self.agencies:
            names = [f"part_{agency.pk}", f"basis_{agency.pk}", f"categories_{agency.pk}",
                     f"ages_{agency.pk}"]
            self.fields[names[0]] = forms.ChoiceField(
                label=f"{agency.name}'s part", choices=PART_CHOICES, required=False,
                widget=GovukRadios, error_messages={"invalid_choice": "Select its part"})
            self.fields[names[1]] = forms.ChoiceField(
                label=f"Lawful basis for {agency.name}", required=False,
                choices=(("", "Choose a lawful basis"), *AgreementParty.LawfulBasis.choices),
                error_messages={"invalid_choice": "Select a lawful basis from the list"})
            self.fields[names[2]] = forms.MultipleChoiceField(
                label=f"What {agency.name}'s users may see", required=False, widget=GovukCheckboxes,
                choices=[(c.value, LABELS[c]) for c in Category],
                error_messages={"invalid_choice": "Select data categories from the list"})
            self.fields[names[3]] = forms.ChoiceField(
                label=f"Whom {agency.name}'s users may see", choices=AGES, widget=GovukRadios,
                required=False, error_messages={"invalid_choice": "Select whom it may see"})
            self.initial.setdefault(names[3], "both")
            self.party_fields.append((agency, names))
        for name in self.CHECKLIST:
            self.fields[name].widget.attrs["autocomplete"] = "off"

    def agreement_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if not name.split("_")[-1].isdigit()]

    def parties(self) -> list[tuple[Agency, list[forms.BoundField]]]:
        return [(agency, [self[n] for n in names]) for agency, names in self.party_fields]

    @staticmethod
    def _initial_from(latest: DataSharingAgreement) -> dict:
        initial = {
            "title": latest.title, "purpose": latest.purpose,
            "purpose_detail": latest.purpose_detail, "starts": latest.starts,
            "ends": latest.ends, "review_date": latest.review_date,
            "special_category": "yes" if latest.special_category else "no",
            "includes_ethnicity": "yes" if latest.includes_ethnicity else "no",
            **{name: getattr(latest, name) for name in AgreementForm.CHECKLIST},
        }
        for party in latest.parties.all():
            pk = party.agency_id
            initial[f"part_{pk}"] = SUPPLIES if party.supplies_data else RECEIVES
            initial[f"basis_{pk}"] = party.lawful_basis
            initial[f"categories_{pk}"] = list(party.categories)
            initial[f"ages_{pk}"] = ("both" if party.sees_adults and party.sees_children
                                     else "children" if party.sees_children else "adults")
        return initial

    def clean(self) -> dict:
        data = super().clean()
        for name, label in (("starts", "Enter the start date"),
                            ("review_date", "Enter the review date")):
            if name in data and data[name] is None and name not in self.errors:
                self.add_error(name, label)
        starts, ends = data.get("starts"), data.get("ends")
        if starts and ends and ends < starts:
            self.add_error("ends", "The end date must be the same as or after the start date")
        chosen = [(a, n) for a, n in self.party_fields if data.get(n[0])]
        if not chosen and self.party_fields:
            self.add_error(self.party_fields[0][1][0], "Choose at least one agency's part in "
                                                       "the agreement")
        for agency, (_, _, categories, _) in chosen:
            picked = set(data.get(categories) or ())
            if Category.HEALTH in picked and not data.get("special_category"):
                self.add_error(categories, f"{agency.name} may see health data only if the "
                                           "agreement says health or treatment data is shared")
            if Category.ETHNICITY in picked and not data.get("includes_ethnicity"):
                self.add_error(categories, f"{agency.name} may see ethnicity only if the "
                                           "agreement says ethnicity is shared")
        return data

    def terms(self) -> dict:
        """The keyword arguments of ``actions.sharing.draft_agreement``."""
        from ..actions.sharing import PartyTerms

        data = self.cleaned_data
        parties = []
        for agency, (part, basis, categories, ages) in self.party_fields:
            if not data.get(part):
                continue
            parties.append(PartyTerms(
                agency=agency, supplies_data=data[part] == SUPPLIES,
                lawful_basis=data.get(basis) or "",
                categories=frozenset(data.get(categories) or ()),
                sees_adults=data.get(ages) in ("both", "adults", ""),
                sees_children=data.get(ages) in ("both", "children", "")))
        return {
            "title": data["title"], "purpose": data["purpose"],
            "purpose_detail": data["purpose_detail"], "starts": data["starts"],
            "ends": data.get("ends"), "review_date": data["review_date"],
            "special_category": data["special_category"],
            "includes_ethnicity": data["includes_ethnicity"], "parties": parties,
            **{name: data.get(name) or "" for name in self.CHECKLIST},
        }

    def field_for_action_error(self, key: str) -> str | None:
        """Where an action's error about ``key`` belongs on this form (``parties``: the
        first party's part)."""
        if key in self.fields:
            return key
        if key == "parties" and self.party_fields:
            return self.party_fields[0][1][0]
        return None


class RevokeForm(GovukForm):
    reason = forms.CharField(
        label="Why is the agreement revoked?", widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The parties' access ends at once; this is recorded in the audit trail",
        error_messages={"required": "Enter why the agreement is revoked"})


class LinkForm(GovukForm):
    """The coordinator records that a partner agency works with a person in the cohort."""

    agency = forms.ModelChoiceField(
        label="Agency", queryset=Agency.objects.none(), empty_label="Choose an agency",
        error_messages={"required": "Select the agency",
                        "invalid_choice": "Select a partner agency of this programme"})
    person = forms.ModelChoiceField(
        label="Person", queryset=Person.objects.none(),
        empty_label="Choose a person", to_field_name="person_id",
        error_messages={"required": "Select the person",
                        "invalid_choice": "Select a person in this programme's cohort"})
    relationship = forms.ChoiceField(
        label="Their working relationship", choices=PersonLink.Relationship.choices,
        widget=GovukRadios, error_messages={
            "required": "Select the working relationship",
            "invalid_choice": "Select the working relationship"})
    note = forms.CharField(label="Note", required=False, max_length=200,
                           help_text="Optional. For example, the school year or the referral")

    def __init__(self, *args, user: AbstractBaseUser, programme: Programme, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = programme.agencies.exclude(
            pk=programme.lead_agency_id).order_by("name")
        self.fields["person"].queryset = policy.people.visible(user).filter(
            cohort_entries__programme=programme).distinct().order_by("person_id")
        self.fields["person"].label_from_instance = lambda person: person.person_id


class PeriodForm(GovukForm):
    """A period of whole days; the last 30 days when nothing is given."""

    start = _date("The start of the period", "From", "For example, 1 11 2026")
    end = _date("The end of the period", "To", "For example, 30 11 2026")

    DEFAULT_DAYS = 30
    MAX_DAYS = 366

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The end of the period must be the same as or after its "
                                  "start")
        elif start and end and (end - start).days >= self.MAX_DAYS:
            self.add_error("start", f"The period must be {self.MAX_DAYS} days or fewer")
        return data

    def period(self, today: date) -> Period:
        """The period asked for; without an end, up to today; without a start, the
        ``DEFAULT_DAYS`` up to the end."""
        data = getattr(self, "cleaned_data", {})  # an unbound form: the defaults
        end = data.get("end") or today
        start = data.get("start") or end - timedelta(days=self.DEFAULT_DAYS - 1)
        return Period(min(start, end), end)


class PersonViewsForm(PeriodForm):
    person_id = forms.CharField(
        label="The person's pseudonymous id", max_length=64, help_text="For example, P-00123",
        error_messages={"required": "Enter the person's pseudonymous id"})
    field_order = ["person_id", "start", "end"]


class UserActivityForm(PeriodForm):
    username = forms.CharField(
        label="Username", max_length=150,
        error_messages={"required": "Enter the username of the member of staff"})
    field_order = ["username", "start", "end"]
