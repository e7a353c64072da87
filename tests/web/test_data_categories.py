"""Every field has a data category, and no page renders a field whose category the reader's
agreement does not grant.

The first tests fail when a model gains a field that ``FIELDS`` does not classify. The leak
test plants a marked value in every restricted field of the browser tests' records, narrows the
school's agreement to identity, cohort and interventions, and fetches every page the
accessibility test enumerates for the school's user (so a new URL is covered as soon as it has
an accessibility case): no marked value may appear. The coordinator, who holds every category,
must see each marked value somewhere, so the test fails if a value is never rendered at all.
"""

from datetime import date

import pytest
from django.test import Client

from browser.records import make_records
from browser.test_accessibility import CASES, Page, login_for
from deter.web.domain.data_categories import FIELDS, Category
from deter.web.models import (
    AgreementParty,
    CohortDecision,
    CohortEntry,
    Intervention,
    InterventionUpdate,
    OrderBreach,
    Person,
    TreatmentReferral,
)

CLASSIFIED = {"person": Person, "cohort_entry": CohortEntry, "cohort_decision": CohortDecision,
              "treatment_referral": TreatmentReferral}


@pytest.mark.parametrize("kind", sorted(CLASSIFIED))
def test_every_field_of_a_classified_model_has_a_category(kind):
    model = CLASSIFIED[kind]
    names = {field.name for field in model._meta.get_fields()
             if field.concrete and not field.auto_created or field.name == "id"}
    unclassified = sorted(names - set(FIELDS[kind]))
    assert not unclassified, (
        f"{model.__name__} fields with no data category in FIELDS[{kind!r}] "
        f"(deter/web/domain/data_categories.py): {unclassified}")
    gone = sorted(set(FIELDS[kind]) - names - {"*"})
    assert not gone, f"FIELDS[{kind!r}] lists fields {model.__name__} no longer has: {gone}"


def test_every_category_named_in_fields_is_a_category():
    assert {c for fields in FIELDS.values() for c in fields.values()} <= set(Category)


# Marked values, each in a field of the category it is withheld under.
MARKS = {
    "rationale": ("MARK-RATIONALE-police", Category.POLICE_INTELLIGENCE),
    "decision reason": ("MARK-REASON-police", Category.POLICE_INTELLIGENCE),
    "enforcement consequence": ("MARK-CONSEQUENCE-enforcement", Category.ENFORCEMENT),
    "order conditions": ("MARK-CONDITIONS-enforcement", Category.ENFORCEMENT),
    "breach": ("MARK-BREACH-enforcement", Category.ENFORCEMENT),
    "health title": ("MARK-TREATMENT-health", Category.HEALTH),
    "health note": ("MARK-CLINICAL-NOTE-health", Category.HEALTH),
    "safeguarding status": ("Looked-after child", Category.SAFEGUARDING),
    "date of birth": ("17 February 2010", Category.DATE_OF_BIRTH),
}
GRANTED_TO_SCHOOL = [Category.IDENTITY, Category.COHORT, Category.INTERVENTIONS]


def plant_marks(records) -> None:
    world = records.world
    entry = records.entry
    entry.rationale = MARKS["rationale"][0]
    entry.enforcement_consequence = MARKS["enforcement consequence"][0]
    entry.safeguarding = CohortEntry.Safeguarding.LOOKED_AFTER
    entry.save()
    CohortDecision.objects.filter(entry=entry).update(reason=MARKS["decision reason"][0])
    Intervention.objects.filter(pk=records.order.pk).update(
        conditions=MARKS["order conditions"][0])
    OrderBreach.objects.filter(intervention=records.order).update(
        description=MARKS["breach"][0])
    treatment = Intervention.objects.create(
        programme=world.programme, person=world.active, kind="support",
        category=Intervention.Category.SUBSTANCE_MISUSE, title=MARKS["health title"][0],
        agency=world.social_care, status="referred", created_by=world.caseworker)
    InterventionUpdate.objects.create(intervention=treatment, status="referred",
                                      on=date(2026, 11, 1), note=MARKS["health note"][0],
                                      recorded_by=world.caseworker)
    Person.objects.filter(pk=world.active.pk).update(date_of_birth=date(2010, 2, 17))
    AgreementParty.objects.filter(agency=world.school).update(categories=GRANTED_TO_SCHOOL)


def pages_for(records, role: str) -> dict[str, str]:
    client = Client()
    client.force_login(login_for(records, role))
    pages = {}
    for name, cases in sorted(CASES.items()):
        for case in cases:
            if isinstance(case, Page) and role in case.roles:
                path = case.build(records)
                response = client.get(path)
                if response.status_code == 200 and "html" in response["Content-Type"]:
                    pages[f"{name} {path}"] = response.content.decode()
    return pages


@pytest.mark.django_db
def test_no_page_shows_a_partner_a_category_its_agreement_withholds():
    records = make_records()
    plant_marks(records)
    school_pages = pages_for(records, "partner")
    assert any(name.startswith("person ") for name in school_pages), (
        "the school must be able to read its pupil's page, or the test proves nothing")
    leaks = [f"{label} ({category}) on {page}"
             for page, html in school_pages.items()
             for label, (mark, category) in MARKS.items()
             if category not in GRANTED_TO_SCHOOL and mark in html]
    assert not leaks, "\n".join(leaks)

    coordinator_pages = "\n".join(pages_for(records, "coordinator").values())
    never_shown = [label for label, (mark, _) in MARKS.items() if mark not in coordinator_pages]
    assert not never_shown, (
        f"marked values no page shows even to the coordinator (plant them where a page "
        f"renders them): {never_shown}")


@pytest.mark.django_db
def test_a_treatment_episodes_clinical_detail_stays_with_the_provider():
    """The police analyst's agreement grants health data, but no page shows them the
    modality of the drug user's treatment; the provider's drug worker and the lead agency's
    coordinator see it (issue 16)."""
    records = make_records()
    modality = records.referral.get_modality_display()
    assert not [page for page, html in pages_for(records, "analyst").items() if modality in html]
    for role in ("drug_worker", "coordinator"):
        assert any(modality in html for html in pages_for(records, role).values()), role
