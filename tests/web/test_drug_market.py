"""The drug-market pathway (issue 16): referrals into treatment and their steps, harm
reduction, who records and who sees the clinical detail."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from deter.web import policy
from deter.web.actions import drug_market as actions
from deter.web.models import AuditEvent, HarmReductionRecord, TreatmentReferral
from deter.web.policy import Category

from .drug_market_factories import make_adder

TODAY = timezone.localdate()
DAY = timedelta(days=1)


@pytest.fixture
def adder(world):
    return make_adder(world)


def refer(adder, days_ago=30, source="custody"):
    return actions.refer(adder.drug_worker, adder.entry, source=source,
                         referred_on=TODAY - days_ago * DAY)


def audit_rows(action):
    return AuditEvent.objects.filter(action=action)


# --- referring -------------------------------------------------------------------------------


def test_the_drug_worker_refers_with_their_agency_as_provider_and_an_audit_row(adder):
    referral = refer(adder)
    assert referral.provider == adder.treatment
    assert referral.stage == TreatmentReferral.Stage.REFERRED
    row = audit_rows("refer_to_treatment").get()
    assert row.object_id == str(referral.pk) and row.outcome == "allowed"


@pytest.mark.parametrize(("values", "field"), [
    ({"source": "custody", "referred_on": TODAY + DAY}, "referred_on"),
    ({"source": "custody", "referred_on": None}, "referred_on"),
    ({"source": "the pub", "referred_on": TODAY}, "source"),
])
def test_bad_input_names_the_field_and_writes_nothing(adder, values, field):
    with pytest.raises(ValidationError) as error:
        actions.refer(adder.drug_worker, adder.entry, **values)
    assert field in error.value.message_dict
    assert not TreatmentReferral.objects.exists()
    assert not audit_rows("refer_to_treatment").exists()


def test_a_second_open_referral_is_refused_until_the_first_ends(adder):
    first = refer(adder, days_ago=40)
    with pytest.raises(ValidationError) as error:
        refer(adder, days_ago=1)
    assert "already has an open treatment referral" in error.value.message_dict["person"][0]
    actions.record_exit(adder.drug_worker, first, TODAY - 2 * DAY, "dropped_out")
    assert refer(adder, days_ago=1).pk != first.pk


def test_only_a_treatment_providers_staff_refer(world, adder):
    # the police analyst and the lead agency's coordinator both see the person
    for user in (world.analyst, world.coordinator, world.stranger):
        with pytest.raises(PermissionDenied):
            refer_as(user, adder)
    assert not TreatmentReferral.objects.exists()
    assert audit_rows("refer_to_treatment").filter(outcome="denied").count() == 3


def refer_as(user, adder):
    return actions.refer(user, adder.entry, source="self", referred_on=TODAY)


# --- the episode's steps ---------------------------------------------------------------------


def test_the_steps_in_order_and_the_waiting_time(adder):
    referral = refer(adder, days_ago=30)
    actions.record_triage(adder.drug_worker, referral, TODAY - 28 * DAY)
    actions.record_assessment(adder.drug_worker, referral, TODAY - 25 * DAY)
    referral = actions.record_start(adder.drug_worker, referral, TODAY - 21 * DAY,
                                    "ost_buprenorphine")
    referral.refresh_from_db()
    assert referral.stage == TreatmentReferral.Stage.IN_TREATMENT
    assert referral.waiting_days == 9 and referral.modality == "ost_buprenorphine"
    assert audit_rows("record_treatment_start").count() == 1


@pytest.mark.parametrize(("step", "days_ago", "extra", "field", "message"), [
    ("triage", 31, {}, "triaged_on", "cannot be before the referral"),
    ("triage", -1, {}, "triaged_on", "cannot be in the future"),
    ("start", 10, {}, "modality", "Select the treatment modality"),
    ("start", 29, {"modality": "psychosocial"}, "started_on", "cannot be before the triage"),
    ("exit", 10, {"exit_reason": "completed_drug_free"}, "exit_reason", "never started"),
    ("exit", 10, {}, "exit_reason", "Select why"),
])
def test_a_step_out_of_order_is_refused_naming_the_field(adder, step, days_ago, extra, field,
                                                         message):
    referral = refer(adder, days_ago=30)
    if step != "triage":
        actions.record_triage(adder.drug_worker, referral, TODAY - 28 * DAY)
    before = TreatmentReferral.objects.values().get(pk=referral.pk)
    with pytest.raises(ValidationError) as error:
        actions.record_step(adder.drug_worker, referral, step, TODAY - days_ago * DAY, **extra)
    assert message in " ".join(error.value.message_dict[field])
    assert TreatmentReferral.objects.values().get(pk=referral.pk) == before
    assert not audit_rows(f"record_treatment_{step}").exists()


def test_a_step_is_recorded_once_and_nothing_after_the_exit(adder):
    referral = refer(adder, days_ago=30)
    actions.record_triage(adder.drug_worker, referral, TODAY - 28 * DAY)
    with pytest.raises(ValidationError, match="already recorded"):
        actions.record_triage(adder.drug_worker, referral, TODAY - 27 * DAY)
    actions.record_exit(adder.drug_worker, referral, TODAY - 20 * DAY, "transferred")
    with pytest.raises(ValidationError, match="ended on"):
        actions.record_start(adder.drug_worker, referral, TODAY - 10 * DAY, "psychosocial")


def test_only_the_provider_records_the_steps(world, adder):
    referral = refer(adder)
    with pytest.raises(PermissionDenied):
        actions.record_triage(world.coordinator, referral, TODAY)
    assert audit_rows("record_treatment_triage").get().outcome == "denied"
    assert TreatmentReferral.objects.get().triaged_on is None


# --- retention -------------------------------------------------------------------------------


@pytest.mark.parametrize(("started", "exited", "reason", "retained"), [
    (100, None, "", True),  # in treatment past 12 weeks
    (100, 90, "dropped_out", False),  # dropped out in week 2
    (100, 10, "dropped_out", True),  # dropped out after the 12 weeks
    (100, 60, "completed_drug_free", True),  # completed within them
    (60, None, "", None),  # the 12 weeks are not up
    (60, 50, "dropped_out", False),  # ...but it is known they were not retained
])
def test_retained_at_12_weeks(adder, started, exited, reason, retained):
    referral = TreatmentReferral(referred_on=TODAY - 120 * DAY,
                                 started_on=TODAY - started * DAY,
                                 exited_on=exited and TODAY - exited * DAY, exit_reason=reason)
    assert referral.retained_at_12_weeks() is retained


# --- who sees what ---------------------------------------------------------------------------


def test_clinical_detail_is_the_providers_and_the_lead_coordinators(world, adder):
    referral = refer(adder)
    clinical = {Category.IDENTITY, Category.COHORT, Category.HEALTH}
    assert policy.treatment_referrals.fields(adder.drug_worker, referral) == clinical
    assert policy.treatment_referrals.fields(world.coordinator, referral) == clinical
    # the police analyst's agreement grants health data, but the detail stays with the provider
    assert Category.HEALTH in policy.grants.categories_in(world.analyst, adder.programme.pk)
    assert policy.treatment_referrals.fields(world.analyst, referral) == {
        Category.IDENTITY, Category.COHORT}
    assert policy.treatment_referrals.visible(world.analyst).filter(pk=referral.pk).exists()
    for outsider in (world.stranger, world.partner, world.caseworker):
        assert not policy.treatment_referrals.visible(outsider).exists()
        assert policy.treatment_referrals.fields(outsider, referral) == frozenset()


# --- harm reduction --------------------------------------------------------------------------


def test_naloxone_names_whom_it_was_given_to(world, adder):
    with pytest.raises(ValidationError) as error:
        actions.record_harm_reduction(adder.drug_worker, adder.entry, kind="naloxone", on=TODAY)
    assert "recipient" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        actions.record_harm_reduction(adder.drug_worker, adder.entry,
                                      kind="near_fatal_overdose", on=TODAY, recipient="peer")
    assert "recipient" in error.value.message_dict
    assert not HarmReductionRecord.objects.exists()
    kit = actions.record_harm_reduction(adder.drug_worker, adder.entry, kind="naloxone",
                                        on=TODAY, recipient="family")
    assert kit.agency == adder.treatment and kit.get_recipient_display() == "A family member"
    assert audit_rows("record_harm_reduction").get().object_id == str(kit.pk)


def test_a_death_is_recorded_once(world, adder):
    actions.record_harm_reduction(world.coordinator, adder.entry, kind="drug_related_death",
                                  on=TODAY - DAY)
    with pytest.raises(ValidationError, match="already recorded"):
        actions.record_harm_reduction(adder.drug_worker, adder.entry,
                                      kind="drug_related_death", on=TODAY)


def test_harm_reduction_is_seen_where_health_data_is_agreed(world, adder):
    record = actions.record_harm_reduction(adder.drug_worker, adder.entry,
                                           kind="near_fatal_overdose", on=TODAY)
    for user in (adder.drug_worker, world.coordinator, world.analyst):
        assert policy.harm_reduction.visible(user).filter(pk=record.pk).exists()
    for user in (world.stranger, world.partner):
        assert not policy.harm_reduction.visible(user).exists()
        with pytest.raises(PermissionDenied):
            actions.record_harm_reduction(user, adder.entry, kind="naloxone", on=TODAY,
                                          recipient="person")


# --- the programme's model -------------------------------------------------------------------


def test_the_coordinator_says_the_programme_is_a_drug_market_and_the_evaluation_agrees(world):
    from deter.web.actions import programmes
    from deter.web.queries.programme_evaluation import default_model

    programme = world.programme
    assert default_model(programme) == "individual"  # no model said, no group accepted
    programmes.update_programme(world.coordinator, programme,
                                agencies=list(programme.agencies.all()),
                                delivery_model="drug_market")
    programme.refresh_from_db()
    assert default_model(programme) == "drug_market"
    row = AuditEvent.objects.filter(action="update_programme").get()
    assert row.detail["changes"]["delivery_model"] == ["", "drug_market"]
    assert policy.programmes.can(world.coordinator, "see_adder", programme)


def test_the_offence_codes_are_the_home_office_groups_in_the_harm_table():
    """The dashboard's trafficking and weapons codes are the harm table's "Trafficking of
    drugs" subgroup and "Possession of weapons offences" group, not a list typed twice."""
    import csv
    from pathlib import Path

    from deter.analysis import data
    from deter.web.domain import offences

    with (Path(data.__file__).parent / "harm_cchi_2026.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert offences.TRAFFICKING_CODES == {
        r["offence_code"] for r in rows if r["offence_subgroup"] == "Trafficking of drugs"}
    assert offences.WEAPONS_CODES == {
        r["offence_code"] for r in rows if r["offence_group"] == "Possession of weapons offences"}
    assert offences.DRUG_POSSESSION_CODES == {
        r["offence_code"] for r in rows if r["offence_subgroup"] == "Possession of drugs"}


def test_the_subject_access_archive_holds_the_episode_and_harm_reduction(adder):
    from deter.web.queries import subject_access

    referral = refer(adder, days_ago=20)
    actions.record_start(adder.drug_worker, referral, TODAY - 10 * DAY, "ost_methadone")
    actions.record_harm_reduction(adder.drug_worker, adder.entry, kind="naloxone", on=TODAY,
                                  recipient="person")
    archive = subject_access.gather(adder.person)
    [episode] = archive.sections["treatment_referrals"]
    assert episode["source"] == "Police custody (arrest referral)"
    assert episode["modality"] == "Opioid substitution: methadone"
    assert archive.sections["harm_reduction"][0]["given_to"] == "The person"
    assert archive.title("treatment_referrals").startswith("Referrals into drug treatment")
