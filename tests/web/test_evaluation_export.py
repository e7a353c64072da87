"""The evaluation export: pseudonyms keyed per agreement, coarse values, k-anonymity with what
was coarsened and suppressed reported, small summary cells suppressed, and only for an
evaluator of a party to an evaluation agreement in force (ADR 10)."""

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from deter.web import policy
from deter.web.actions.evaluation import export_evaluation, export_for_programme
from deter.web.actions.sharing import PartyTerms, draft_agreement
from deter.web.domain import anonymity as anon
from deter.web.models import (
    Agency,
    AuditEvent,
    CohortDecision,
    CohortEntry,
    DataSharingAgreement,
    Event,
    Intervention,
    Involvement,
    Person,
    Programme,
    StaffRole,
)
from deter.web.queries.evaluation import _suppressed

from .factories import make_agency, make_agreement, make_entry, make_programme, make_user

Role = StaffRole.Role
QIS = ["entry_period", "age_band", "sex", "ethnicity"]


def at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(10)))


def born(age: int, on: date) -> date:
    return on.replace(year=on.year - age) - timedelta(days=30)


@dataclass
class Planted:
    programme: Programme
    agreement: DataSharingAgreement
    university: Agency
    evaluator: object
    people: list[Person]


# (how many, accepted on, age then, sex, ethnicity, status): two large combinations and one
# of two people, who must not be released as they are
PLANTED = [
    (12, date(2025, 2, 10), 16, "male", "White British", "active"),
    (12, date(2025, 5, 10), 19, "female", "Black British", "active"),
    (2, date(2025, 8, 10), 27, "male", "Asian British", "exited"),
]


def plant(programme: Programme, coordinator, groups=PLANTED, prefix="P-EVAL") -> list[Person]:
    people = []
    for group, (count, accepted, age, sex, ethnicity, status) in enumerate(groups):
        for i in range(count):
            person = Person.objects.create(
                person_id=f"{prefix}-{group}-{i:02}", date_of_birth=born(age, accepted),
                sex=sex, ethnicity=ethnicity)
            entry = make_entry(programme, person, status)
            for to_status, day in (("proposed", accepted - timedelta(days=20)),
                                   ("active", accepted)):
                decision = CohortDecision.objects.create(
                    entry=entry, from_status="", to_status=to_status, reason="Panel",
                    decided_by=coordinator)
                CohortDecision.objects.filter(pk=decision.pk).update(decided_at=at(day))
            people.append(person)
    return people


def offence(person: Person, day: date, role: str = "suspect") -> None:
    event = Event.objects.create(event_id=f"E-{person.person_id}-{day}-{role}",
                                 occurred_at=at(day), offence_category="robbery")
    Involvement.objects.create(event=event, person=person, role=role)


@pytest.fixture
def planted(world) -> Planted:
    university = make_agency("Testshire University", Agency.Kind.COMMUNITY)
    programme = make_programme("Evaluated", [world.police, world.vru], lead=world.police)
    agreement = make_agreement(programme, {university: ()}, purpose="evaluation",
                               title="Evaluating the programme", includes_ethnicity=True)
    evaluator = make_user("evaluator", university, Role.EVALUATOR)
    return Planted(programme, agreement, university, evaluator,
                   plant(programme, world.coordinator))


def rows_of(export) -> list[dict]:
    return list(csv.DictReader(io.StringIO(export.files["people.csv"].decode())))


# --- pseudonyms and coarse values --------------------------------------------------------------


def test_the_pseudonym_is_a_keyed_hmac():
    key = "00" * 32
    assert anon.pseudonym(key, "P-1") == anon.pseudonym(key, "P-1")
    assert anon.pseudonym(key, "P-1") != anon.pseudonym("01" * 32, "P-1")
    assert anon.pseudonym(key, "P-1") != anon.pseudonym(key, "P-2")
    assert re.fullmatch(r"[0-9a-f]{16}", anon.pseudonym(key, "P-1"))


def test_coarse_values():
    assert anon.quarter(date(2025, 8, 10)) == "2025-Q3" and anon.quarter(None) == "unknown"
    assert [anon.fine_age_band(a) for a in (13, 15, 17, 18, 24, 27, 39, 40, None)] == [
        "under 14", "14-15", "16-17", "18-20", "21-24", "25-29", "30-39", "40 or over",
        "unknown"]
    assert [anon.count_band(n) for n in (0, 1, 2, 3, 5, 6, 40)] == [
        "0", "1-2", "1-2", "3-5", "3-5", "6+", "6+"]
    assert anon.top_coded(9) == "9" and anon.top_coded(12) == "10+"


# --- k-anonymity, known answers ------------------------------------------------------------------


def qi_rows(*groups: tuple[int, str, str, str, str]) -> list[dict]:
    return [dict(zip(QIS, values, strict=True)) for count, *values in groups
            for _ in range(count)]


def test_a_combination_of_two_is_suppressed_within_the_budget():
    rows = qi_rows((12, "2025-Q1", "16-17", "male", "White"),
                   (12, "2025-Q2", "18-20", "female", "Black"),
                   (2, "2025-Q3", "25-29", "male", "Asian"))
    result = anon.anonymise(rows, QIS, k=5)
    assert result.max_suppressed == 2
    assert result.suppressed == 2 and len(result.rows) == 24
    assert result.k == 12 and result.generalised() == []


def test_classes_of_three_are_merged_by_coarsening_the_dates_first():
    """Four combinations of three: suppressing would lose every row, withholding sex loses
    more than turning quarters into half years, which makes two combinations of six."""
    rows = qi_rows((3, "2025-Q1", "16-17", "male", "White"),
                   (3, "2025-Q1", "16-17", "female", "White"),
                   (3, "2025-Q2", "16-17", "male", "White"),
                   (3, "2025-Q2", "16-17", "female", "White"))
    result = anon.anonymise(rows, QIS, k=5)
    assert result.generalised() == [("entry_period", "quarter", "half year")]
    assert result.suppressed == 0 and result.k == 6
    assert {r["entry_period"] for r in result.rows} == {"2025-H1"}


def test_fewer_rows_than_k_are_all_withheld():
    result = anon.anonymise(qi_rows((3, "2025-Q1", "16-17", "male", "White")), QIS, k=5)
    assert result.rows == [] and result.suppressed == 3 and result.k is None


def test_a_lone_small_summary_cell_takes_the_next_smallest_with_it():
    assert _suppressed({"a": 3, "b": 12, "c": 15, "d": 0}, 10) == {
        "a": "fewer than 10", "b": "fewer than 10", "c": "15", "d": "0"}
    assert _suppressed({"a": 3, "b": 4, "c": 15}, 10) == {
        "a": "fewer than 10", "b": "fewer than 10", "c": "15"}


# --- the export ---------------------------------------------------------------------------------


def test_the_planted_pair_is_suppressed_and_k_reported(planted):
    export = export_evaluation(planted.evaluator, planted.agreement)
    rows = rows_of(export)
    assert len(rows) == 24
    assert {(r["entry_period"], r["age_band"], r["sex"], r["ethnicity"]) for r in rows} == {
        ("2025-Q1", "16-17", "male", "White British"),
        ("2025-Q2", "18-20", "female", "Black British")}
    manifest = json.loads(export.files["manifest.json"])
    assert manifest["k"] == 12 and manifest["k_required"] == 5
    assert manifest["rows_suppressed"] == 2 and manifest["rows_released"] == 24
    assert manifest["generalised"] == []
    readme = export.files["README.md"].decode()
    assert "**k = 12**" in readme and "Rows suppressed" in readme and "2 of 26" in readme
    assert rows == sorted(rows, key=lambda r: r["pseudonym"])


def test_generalisation_is_reported_in_the_readme(world):
    university = make_agency("Testshire University", Agency.Kind.COMMUNITY)
    programme = make_programme("Evaluated", [world.police, world.vru], lead=world.police)
    agreement = make_agreement(programme, {university: ()}, purpose="evaluation",
                               includes_ethnicity=False)
    evaluator = make_user("evaluator", university, Role.EVALUATOR)
    plant(programme, world.coordinator, [
        (3, date(2025, 2, 10), 16, "male", "White", "active"),
        (3, date(2025, 2, 10), 16, "female", "White", "active"),
        (3, date(2025, 5, 10), 16, "male", "White", "active"),
        (3, date(2025, 5, 10), 16, "female", "White", "active")])
    export = export_evaluation(evaluator, agreement)
    manifest = export.manifest
    assert manifest["k"] == 6 and manifest["rows_suppressed"] == 0
    assert manifest["generalised"] == [
        {"column": "entry_period", "from": "quarter", "to": "half year"}]
    assert "`entry_period`: coarsened from quarter to half year" in \
        export.files["README.md"].decode()
    assert {r["entry_period"] for r in rows_of(export)} == {"2025-H1"}


def test_the_rows_hold_counts_by_kind_and_coarse_offence_counts(world, planted):
    person = planted.people[0]  # accepted 10 February 2025
    for day in (date(2024, 6, 1), date(2024, 9, 1), date(2024, 12, 1)):
        offence(person, day)
    offence(person, date(2025, 3, 1), role="victim")
    offence(person, date(2023, 1, 1))  # more than a year before: not counted
    for kind in ("support", "support", "enforcement"):
        Intervention.objects.create(programme=planted.programme, person=person, kind=kind,
                                    title="Help", agency=world.vru, created_by=world.coordinator)
    key_row = {r["pseudonym"]: r for r in rows_of(
        export_evaluation(planted.evaluator, planted.agreement))}
    planted.agreement.refresh_from_db()
    row = key_row[anon.pseudonym(planted.agreement.pseudonym_key, person.person_id)]
    assert row["offences_12m_before"] == "3-5" and row["offences_12m_after"] == "0"
    assert row["victimisations_12m_before"] == "0" and row["victimisations_12m_after"] == "1-2"
    assert row["interventions_support"] == "2" and row["interventions_enforcement"] == "1"
    assert row["interventions_community"] == "0" and row["months_followed_after"] == "12 or more"
    assert row["status"] == "active"


def test_no_id_name_date_of_birth_exact_date_or_key_is_in_any_file(planted):
    export = export_evaluation(planted.evaluator, planted.agreement)
    planted.agreement.refresh_from_db()
    text = "\n".join(content.decode() for content in export.files.values())
    assert planted.agreement.pseudonym_key and planted.agreement.pseudonym_key not in text
    for person in planted.people:
        assert person.person_id not in text
        born_on = person.date_of_birth
        for shown in (born_on.isoformat(), f"{born_on:%d/%m/%Y}", f"{born_on.day} {born_on:%B}"):
            assert shown not in text
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{4}\b", text)
    assert not re.search(r"\b\d{1,2} (January|February|March|April|May|June|July|August|"
                         r"September|October|November|December)\b", text)
    assert "P-EVAL" not in text and "person_id" not in text


def test_ethnicity_only_where_the_agreement_includes_it(planted):
    DataSharingAgreement.objects.filter(pk=planted.agreement.pk).update(includes_ethnicity=False)
    planted.agreement.refresh_from_db()
    export = export_evaluation(planted.evaluator, planted.agreement)
    text = "\n".join(content.decode() for content in export.files.values())
    assert "ethnicity" not in rows_of(export)[0]
    assert "British" not in text
    assert export.manifest["quasi_identifiers"] == ["entry_period", "age_band", "sex"]


def test_the_summary_suppresses_small_cells(planted, settings):
    export = export_evaluation(planted.evaluator, planted.agreement)
    summary = {(r["characteristic"], r["value"], r["status"]): r["count"] for r in
               csv.DictReader(io.StringIO(export.files["summary.csv"].decode()))}
    assert summary[("sex", "male", "active")] == "12"
    assert summary[("sex", "female", "exited")] == "0"
    settings.DETER_SUPPRESS_BELOW = 13
    export = export_evaluation(planted.evaluator, planted.agreement)
    summary = {(r["characteristic"], r["value"], r["status"]): r["count"] for r in
               csv.DictReader(io.StringIO(export.files["summary.csv"].decode()))}
    assert summary[("sex", "male", "active")] == "fewer than 13"


# --- pseudonyms across exports -----------------------------------------------------------------


def test_pseudonyms_are_stable_under_one_agreement_and_differ_under_another(world, planted):
    first = {r["pseudonym"] for r in rows_of(export_evaluation(planted.evaluator,
                                                               planted.agreement))}
    second = {r["pseudonym"] for r in rows_of(export_evaluation(planted.evaluator,
                                                                planted.agreement))}
    assert first == second and len(first) == 24

    other = make_programme("Evaluated elsewhere", [world.police, world.vru], lead=world.police)
    for person in planted.people:
        make_entry(other, person, "active")
        CohortDecision.objects.create(entry=other.cohort.get(person=person), from_status="",
                                      to_status="active", reason="Panel",
                                      decided_by=world.coordinator)
    CohortDecision.objects.filter(entry__programme=other).update(decided_at=at(date(2025, 2, 1)))
    other_agreement = make_agreement(other, {planted.university: ()}, purpose="evaluation",
                                     includes_ethnicity=False)
    elsewhere = {r["pseudonym"] for r in rows_of(export_evaluation(planted.evaluator,
                                                                   other_agreement))}
    assert elsewhere and not elsewhere & first


def test_a_new_version_of_the_agreement_keeps_the_pseudonyms(world, planted):
    before = {r["pseudonym"] for r in rows_of(export_evaluation(planted.evaluator,
                                                                planted.agreement))}
    planted.agreement.refresh_from_db()
    coordinator = make_user("evaluated-coordinator", world.police, Role.COORDINATOR)
    version_2 = draft_agreement(
        coordinator, planted.programme, title="Evaluating, version 2", purpose="evaluation",
        purpose_detail="Evaluation", starts=timezone.localdate(),
        review_date=timezone.localdate() + timedelta(days=365),
        parties=[PartyTerms(planted.university)], includes_ethnicity=True)
    assert version_2.supersedes == planted.agreement
    assert version_2.pseudonym_key == planted.agreement.pseudonym_key
    DataSharingAgreement.objects.filter(pk=version_2.pk).update(status="active")
    DataSharingAgreement.objects.filter(pk=planted.agreement.pk).update(status="superseded")
    after = {r["pseudonym"] for r in rows_of(export_for_programme(planted.evaluator,
                                                                  planted.programme))}
    assert after == before


def test_a_first_evaluation_agreement_gets_its_own_random_key(world):
    coordinator = make_user("evaluated-coordinator", world.police, Role.COORDINATOR)
    programme = make_programme("Evaluated", [world.police], lead=world.police)
    drafted = [draft_agreement(
        coordinator, p, title="Evaluation", purpose=purpose, purpose_detail="Evaluation",
        starts=timezone.localdate(), review_date=timezone.localdate() + timedelta(days=365),
        parties=[PartyTerms(world.vru)])
        for p, purpose in ((programme, "evaluation"), (world.police_only_programme,
                                                        "evaluation"), (programme, "delivery"))]
    assert re.fullmatch(r"[0-9a-f]{64}", drafted[0].pseudonym_key)
    assert drafted[0].pseudonym_key != drafted[1].pseudonym_key
    assert drafted[2].pseudonym_key == ""


# --- who may take it ------------------------------------------------------------------------


def test_refused_without_an_evaluation_agreement_and_audited(world, planted):
    DataSharingAgreement.objects.filter(pk=planted.agreement.pk).update(status="expired")
    with pytest.raises(PermissionDenied, match="has no evaluation agreement in force"):
        export_for_programme(planted.evaluator, planted.programme)
    row = AuditEvent.objects.get(action="export_evaluation")
    assert row.outcome == "denied" and row.object_id == str(planted.programme.pk)
    with pytest.raises(PermissionDenied, match="Only an evaluator"):
        export_evaluation(planted.evaluator, planted.agreement)


@pytest.mark.parametrize("who", ["coordinator", "analyst", "superuser", "other_evaluator",
                                 "vru_evaluator"])
def test_only_an_evaluator_of_a_party_may_export(world, planted, who):
    users = {"other_evaluator": make_user("elsewhere", world.housing, Role.EVALUATOR),
             "vru_evaluator": make_user("vru-evaluator", world.vru, Role.EVALUATOR)}
    user = users.get(who) or getattr(world, who)
    with pytest.raises(PermissionDenied):
        export_evaluation(user, planted.agreement)
    assert not policy.evaluations.visible(user).exists()
    assert AuditEvent.objects.filter(action="export_evaluation", outcome="denied").count() == 1


def test_a_delivery_agreement_is_no_evaluation_agreement(world):
    evaluator = make_user("school-evaluator", world.school, Role.EVALUATOR)
    with pytest.raises(PermissionDenied, match="has no evaluation agreement in force"):
        export_for_programme(evaluator, world.programme)


def test_the_export_is_audited_without_pseudonyms(planted):
    export_evaluation(planted.evaluator, planted.agreement, via="web")
    row = AuditEvent.objects.get(action="export_evaluation", outcome="allowed")
    assert row.actor == planted.evaluator and row.object_type == "evaluation_agreement"
    assert row.object_id == str(planted.agreement.pk)
    assert row.detail["k"] == 12 and row.detail["suppressed"] == 2
    assert row.detail["released"] == 24 and row.detail["via"] == "web"
    planted.agreement.refresh_from_db()
    assert planted.agreement.pseudonym_key not in json.dumps(row.detail)


# --- the download page ------------------------------------------------------------------------


def test_the_evaluator_sees_the_page_and_downloads_the_zip(client, planted):
    client.force_login(planted.evaluator)
    page = client.get(reverse("evaluation_exports"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Evaluated" in html and "Evaluating the programme" in html
    url = reverse("evaluation_export_download", args=[planted.agreement.pk])
    assert url in html
    assert AuditEvent.objects.filter(action="view_evaluation_exports",
                                     actor=planted.evaluator).exists()
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert "no-store" in response["Cache-Control"]
    files = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(files.namelist()) == ["README.md", "manifest.json", "people.csv",
                                        "summary.csv"]
    assert json.loads(files.read("manifest.json"))["k"] == 12
    assert AuditEvent.objects.filter(action="export_evaluation", outcome="allowed",
                                     detail__via="web").count() == 1


@pytest.mark.parametrize("who", ["coordinator", "partner", "stranger"])
def test_others_get_the_same_404_as_a_missing_agreement(client, world, planted, who):
    client.force_login(getattr(world, who))
    hidden = client.get(reverse("evaluation_export_download", args=[planted.agreement.pk]))
    missing = client.get(reverse("evaluation_export_download", args=[planted.agreement.pk + 99]))
    assert hidden.status_code == missing.status_code == 404
    assert AuditEvent.objects.filter(action="export_evaluation", outcome="denied").count() == 2


def test_the_page_for_someone_with_no_evaluation_agreement_says_so(client, world):
    client.force_login(world.coordinator)
    page = client.get(reverse("evaluation_exports"))
    assert page.status_code == 200
    assert "no evaluation agreement in force" in page.content.decode()



def test_a_person_removed_after_a_challenge_is_not_exported(planted):
    before = json.loads(export_evaluation(planted.evaluator, planted.agreement)
                        .files["manifest.json"])
    entry = CohortEntry.objects.filter(programme=planted.programme).order_by("pk").first()
    CohortEntry.objects.filter(pk=entry.pk).update(status=CohortEntry.Status.REMOVED)
    after = json.loads(export_evaluation(planted.evaluator, planted.agreement)
                       .files["manifest.json"])
    total = lambda m: m["rows_released"] + m["rows_suppressed"]  # noqa: E731
    assert total(after) == total(before) - 1
