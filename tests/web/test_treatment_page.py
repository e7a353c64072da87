"""A person's treatment page in a drug-market programme (issue 16): the drug worker refers
and records the episode there; the clinical detail shows only to the provider and the lead
agency's coordinator; a stranger gets the 404 a missing entry gets."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from deter.web.actions import drug_market as actions
from deter.web.models import AuditEvent, TreatmentReferral

from .drug_market_factories import make_adder

TODAY = timezone.localdate()


@pytest.fixture
def market(world):
    return make_adder(world)


def page(market):
    return reverse("entry_treatment", args=[market.entry.pk])


def parts(prefix, day):
    return {f"{prefix}_day": day.day, f"{prefix}_month": day.month, f"{prefix}_year": day.year}


def test_the_drug_worker_refers_and_starts_treatment_through_the_page(client, market):
    client.force_login(market.drug_worker)
    referred = TODAY - timedelta(days=10)
    response = client.post(page(market), {"refer-source": "custody",
                                          **parts("refer-referred_on", referred)})
    assert response.status_code == 302
    referral = TreatmentReferral.objects.get()
    assert (referral.source, referral.referred_on) == ("custody", referred)
    started = TODAY - timedelta(days=3)
    step = reverse("treatment_step", args=[referral.pk, "start"])
    response = client.post(step, {f"r{referral.pk}-start-modality": "ost_methadone",
                                  **parts(f"r{referral.pk}-start-on", started)})
    assert response.status_code == 302
    body = client.get(page(market)).content.decode()
    assert "Opioid substitution: methadone" in body and "7 days after referral" in body


def test_an_empty_referral_names_each_field_and_writes_nothing(client, market):
    client.force_login(market.drug_worker)
    response = client.post(page(market), {})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Select where the referral came from" in body and "Enter the date of referral" in body
    assert not TreatmentReferral.objects.exists()
    assert AuditEvent.objects.filter(action="form_invalid").exists()


def test_a_start_before_the_referral_is_refused_on_the_page(client, market):
    referral = actions.refer(market.drug_worker, market.entry, source="self",
                             referred_on=TODAY - timedelta(days=5))
    client.force_login(market.drug_worker)
    response = client.post(reverse("treatment_step", args=[referral.pk, "start"]), {
        f"r{referral.pk}-start-modality": "psychosocial",
        **parts(f"r{referral.pk}-start-on", TODAY - timedelta(days=9))})
    assert response.status_code == 400
    body = response.content.decode()
    assert "cannot be before the referral" in body
    assert f'href="#id_r{referral.pk}-start-on_0"' in body  # the summary links to the date
    referral.refresh_from_db()
    assert referral.started_on is None


def test_others_see_that_a_referral_exists_and_its_stage_only(client, world, market):
    referral = actions.refer(market.drug_worker, market.entry, source="court",
                             referred_on=TODAY - timedelta(days=20))
    actions.record_start(market.drug_worker, referral, TODAY - timedelta(days=2),
                         "residential_rehab")
    client.force_login(world.analyst)  # the police: health data agreed, but not the provider's
    body = client.get(page(market)).content.decode()
    assert 'data-stage="in_treatment"' in body
    assert "Residential rehabilitation" not in body and "Court" not in body
    assert "Refer into treatment" not in body  # nor may they refer
    client.force_login(world.coordinator)  # the lead agency's coordinator
    assert "Residential rehabilitation" in client.get(page(market)).content.decode()
    row = AuditEvent.objects.filter(action="view_treatment").last()
    assert str(referral.pk) in str(row.detail)


def test_a_stranger_gets_the_missing_entrys_404(client, world, market):
    client.force_login(world.stranger)
    assert client.get(page(market)).status_code == 404
    assert client.get(reverse("entry_treatment", args=[999999])).status_code == 404
    assert AuditEvent.objects.filter(action="view_treatment", outcome="denied").count() == 2


def test_a_partner_who_may_not_refer_is_refused(client, world, market):
    client.force_login(world.analyst)
    response = client.post(page(market), {"refer-source": "custody",
                                          **parts("refer-referred_on", TODAY)})
    assert response.status_code == 403
    assert not TreatmentReferral.objects.exists()
