"""A programme's current run is explicit: chosen by its analyst or coordinator, audited, and
used by the pages instead of the newest run; the newest complete run is only the fallback."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from deter.web import policy
from deter.web.actions.programmes import set_current_run
from deter.web.models import AnalysisRun, AuditEvent

from .factories import make_run


@pytest.fixture
def backfill(world):
    """An older period analysed after the weekly run: it started later, so creation order
    would make it current."""
    run = make_run([])
    AnalysisRun.objects.filter(pk=run.pk).update(started_at=timezone.now() + timedelta(hours=1))
    return AnalysisRun.objects.get(pk=run.pk)


def test_without_a_choice_the_newest_complete_run_is_the_fallback(world, backfill):
    assert policy.runs.current(world.programme) == backfill


def test_the_run_marked_current_is_used_though_a_newer_one_exists(world, backfill):
    set_current_run(world.coordinator, world.programme, world.run.pk)
    world.programme.refresh_from_db()
    assert policy.runs.current(world.programme) == world.run
    assert policy.runs.current_for(world.caseworker) == world.run
    row = AuditEvent.objects.get(action="set_current_run", outcome="allowed")
    assert row.detail == {"run": world.run.pk, "previous": None}


def test_the_programme_page_and_the_panel_use_the_current_run(client, world, backfill):
    set_current_run(world.analyst, world.programme, world.run.pk)
    client.force_login(world.coordinator)
    page = client.get(reverse("programme", args=[world.programme.pk]))
    assert page.context["run"] == world.run
    panel = client.get(reverse("panel", args=[world.programme.pk]))
    assert panel.context["run"] == world.run


def test_a_caseworker_or_partner_may_not_choose_and_is_audited(world):
    for who in (world.caseworker, world.partner):
        with pytest.raises(PermissionDenied):
            set_current_run(who, world.programme, world.run.pk)
    assert AuditEvent.objects.filter(action="set_current_run", outcome="denied").count() == 2
    world.programme.refresh_from_db()
    assert world.programme.current_run is None


@pytest.mark.parametrize("choice", ["", "abc", "999999", None])
def test_a_run_that_is_not_a_complete_run_is_refused(world, choice):
    with pytest.raises(ValidationError) as caught:
        set_current_run(world.coordinator, world.programme, choice)
    assert caught.value.message_dict == {"run": ["Choose a complete analysis run"]}


def test_a_failed_run_may_not_be_chosen(world):
    failed = make_run([])
    AnalysisRun.objects.filter(pk=failed.pk).update(status=AnalysisRun.Status.FAILED)
    with pytest.raises(ValidationError):
        set_current_run(world.coordinator, world.programme, failed.pk)


def test_the_runs_page_sets_the_current_run(client, world, backfill):
    client.force_login(world.analyst)
    url = reverse("programme_runs", args=[world.programme.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert f'data-current-run="{backfill.pk}"' in page.content.decode()
    assert "No run has been chosen yet" in page.content.decode()
    done = client.post(url, {"run": str(world.run.pk)})
    assert done.status_code == 302
    world.programme.refresh_from_db()
    assert world.programme.current_run == world.run
    empty = client.post(url, {})
    assert empty.status_code == 400
    assert "Select the analysis run the programme works from" in empty.content.decode()
    world.programme.refresh_from_db()
    assert world.programme.current_run == world.run


def test_the_runs_page_is_missing_for_a_caseworker(client, world):
    client.force_login(world.caseworker)
    assert client.get(reverse("programme_runs", args=[world.programme.pk])).status_code == 404
