"""The panel at a real proposal count: paged, sorted by harm, searched and filtered in the
database, each page small, and bulk rejection or deferral with one reason, all or none."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from deter.web.models import (
    AnalysisRun,
    AuditEvent,
    CohortDecision,
    CohortEntry,
    CohortGroup,
    CohortStatus,
    PersonScore,
)
from deter.web.views.panel import PAGE_SIZE

from .factories import make_entry, make_person

Status = CohortStatus
CROWD = 3 * PAGE_SIZE + 5  # four pages
TEENS = range(0, CROWD, 7)  # every seventh is 14 or 15; the rest are adults
HARM_PAGE_LIMIT = 200 * 1024


@pytest.fixture
def crowd(world):
    """``CROWD`` proposals in the world's programme, scored in its current run with distinct
    harm (person ``C-000`` lowest), the first ten in one group."""
    run = AnalysisRun.objects.create(started_at=timezone.now(), finished_at=timezone.now(),
                                     status=AnalysisRun.Status.COMPLETE, code_version="test")
    world.programme.current_run = run
    world.programme.save(update_fields=["current_run"])
    group = CohortGroup.objects.create(programme=world.programme, label="G-CROWD",
                                       status=Status.PROPOSED)
    entries = []
    for n in range(CROWD):
        person = make_person(f"C-{n:03}", age=14 + n % 2 if n in TEENS else 30)
        entry = make_entry(world.programme, person, Status.PROPOSED)
        if n < 10:
            entry.group = group
            entry.save(update_fields=["group"])
        entries.append(entry)
    PersonScore.objects.bulk_create(
        PersonScore(run=run, person=entry.person, harm_score=100.0 + 10 * n,
                    victim_harm_score=0.0, rank=CROWD - n, explanation=[], top_events=[])
        for n, entry in enumerate(entries))
    return entries, group


def panel(client, world, **query):
    response = client.get(reverse("panel", args=[world.programme.pk]), query)
    assert response.status_code == 200
    return response


def shown(response) -> list[str]:
    return re.findall(r'<h3 class="govuk-summary-card__title"><a class="govuk-link" '
                      r'href="[^"]+">(C-\d{3})</a>', response.content.decode())


def test_the_panel_is_paged_highest_harm_first_and_each_page_is_small(client, world, crowd):
    client.force_login(world.coordinator)
    first = panel(client, world)
    expected = [f"C-{n:03}" for n in reversed(range(CROWD))]
    assert shown(first) == expected[:PAGE_SIZE]
    assert f"Showing 1 to {PAGE_SIZE} of" in first.content.decode()
    last = panel(client, world, page=4)
    assert shown(last) == expected[3 * PAGE_SIZE:]
    for page in (1, 2, 3, 4):
        assert len(panel(client, world, page=page).content) < HARM_PAGE_LIMIT


def test_each_page_view_is_audited_with_the_people_it_showed(client, world, crowd):
    client.force_login(world.coordinator)
    panel(client, world, page=2)
    row = AuditEvent.objects.filter(action="view_panel").latest("id")
    assert row.detail["page"] == 2
    assert len(row.detail["people"]) == PAGE_SIZE
    assert row.detail["matching"] >= CROWD


def test_the_panel_filters_children_age_bands_groups_and_ids(client, world, crowd):
    entries, group = crowd
    client.force_login(world.coordinator)
    teens = {f"C-{n:03}" for n in TEENS}
    children = panel(client, world, child="yes", sort="person")
    assert teens <= set(shown(children)) and not set(shown(children)) - teens
    fourteen = {f"C-{n:03}" for n in TEENS if n % 2 == 0}
    assert set(shown(panel(client, world, age_band="14_15"))) == teens
    assert fourteen < teens  # both ages are in the 14-15 band
    assert shown(panel(client, world, group=group.pk, sort="person")) == [
        f"C-{n:03}" for n in range(10)]
    assert shown(panel(client, world, q="C-042")) == ["C-042"]
    empty = panel(client, world, q="nobody-like-this")
    assert shown(empty) == [] and "Nobody before the panel matches" in empty.content.decode()


def test_the_score_band_and_other_sorts_are_honoured(client, world, crowd):
    client.force_login(world.coordinator)
    # harm 100 + 10n: the 100-999 band holds all; under 100 none
    assert shown(panel(client, world, score_band="under_100")) == []
    youngest_first = shown(panel(client, world, sort="age", child="yes"))
    ages = {f"C-{n:03}": 14 + n % 2 for n in TEENS}
    assert [ages[p] for p in youngest_first] == sorted(ages[p] for p in youngest_first)


def bulk(client, world, entries, **data):
    return client.post(reverse("panel_bulk_decide", args=[world.programme.pk]), {
        "bulk-entries": [entry.pk for entry in entries], **data})


def test_the_coordinator_rejects_several_with_one_reason(client, world, crowd):
    entries, _ = crowd
    chosen = entries[:5]
    client.force_login(world.coordinator)
    response = bulk(client, world, chosen, **{"bulk-to_status": Status.REJECTED,
                                               "bulk-reason": "Below this panel's threshold"})
    assert response.status_code == 302
    for entry in chosen:
        entry.refresh_from_db()
        assert entry.status == Status.REJECTED
        decision = CohortDecision.objects.filter(entry=entry).latest("id")
        assert decision.reason == "Below this panel's threshold"
        assert decision.decided_by == world.coordinator
    assert AuditEvent.objects.filter(action="decide", object_id__in=[
        str(e.pk) for e in chosen]).count() == 5
    assert not {e.person.person_id for e in chosen} & set(shown(panel(client, world,
                                                                      sort="person")))


def test_a_bulk_decision_is_all_or_none_and_names_who_stopped_it(client, world, crowd):
    entries, _ = crowd
    accepted = entries[3]
    accepted.status = Status.ACTIVE
    accepted.save(update_fields=["status"])
    client.force_login(world.coordinator)
    response = bulk(client, world, entries[:5], **{"bulk-to_status": Status.REJECTED,
                                                    "bulk-reason": "Not for now"})
    assert response.status_code == 400
    assert "no longer before the panel" in response.content.decode()
    assert CohortEntry.objects.filter(pk__in=[e.pk for e in entries[:5]],
                                      status=Status.REJECTED).count() == 0


def test_accepting_in_bulk_is_refused(client, world, crowd):
    entries, _ = crowd
    client.force_login(world.coordinator)
    response = bulk(client, world, entries[:2], **{"bulk-to_status": Status.ACTIVE,
                                                    "bulk-reason": "All of them"})
    assert response.status_code == 400
    assert "Select reject or defer" in response.content.decode()
    assert not CohortEntry.objects.filter(pk__in=[e.pk for e in entries[:2]]).exclude(
        status=Status.PROPOSED).exists()


def test_a_bulk_deferral_made_on_an_earlier_day_is_dated_then(client, world, crowd):
    entries, _ = crowd
    day = timezone.localdate() - timedelta(days=3)
    review = timezone.localdate() + timedelta(days=28)
    client.force_login(world.coordinator)
    fields = {"bulk-to_status": Status.DEFERRED, "bulk-reason": "Bring back with the school's "
              "view", "bulk-review_date_day": review.day, "bulk-review_date_month": review.month,
              "bulk-review_date_year": review.year, "bulk-decided_on_day": day.day,
              "bulk-decided_on_month": day.month, "bulk-decided_on_year": day.year}
    refused = bulk(client, world, entries[:3], **fields)
    assert refused.status_code == 400  # a backdated decision without a meeting needs a reason
    assert not CohortDecision.objects.filter(entry__in=entries[:3],
                                             to_status=Status.DEFERRED).exists()
    response = bulk(client, world, entries[:3], **fields,
                    **{"bulk-backdated_reason": "Agreed by e-mail between panels"})
    assert response.status_code == 302
    decisions = CohortDecision.objects.filter(entry__in=entries[:3], to_status=Status.DEFERRED)
    assert decisions.count() == 3
    for decision in decisions:
        assert timezone.localdate(decision.decided_at) == day
        assert decision.backdated_reason == "Agreed by e-mail between panels"
        assert decision.recorded_at.date() == timezone.now().date()


@pytest.mark.parametrize("role", ["analyst", "caseworker", "partner"])
def test_only_the_coordinator_decides_in_bulk(client, world, crowd, role):
    entries, _ = crowd
    client.force_login(getattr(world, role))
    response = bulk(client, world, entries[:2], **{"bulk-to_status": Status.REJECTED,
                                                    "bulk-reason": "No"})
    assert response.status_code in (403, 404)
    assert not CohortEntry.objects.filter(pk__in=[e.pk for e in entries[:2]],
                                          status=Status.REJECTED).exists()


def test_a_decision_page_returns_to_the_same_panel_page_and_filters(client, world, crowd):
    entries, _ = crowd
    client.force_login(world.coordinator)
    listed = panel(client, world, page=2, child="no").content.decode()
    first = shown(panel(client, world, page=2, child="no"))[0]
    target = next(entry for entry in entries if entry.person.person_id == first)
    decide_at = reverse("panel_decide_person", args=[world.programme.pk, target.pk])
    link = re.search(rf'href="({re.escape(decide_at)}\?[^"]+)"', listed).group(1)
    own = client.get(link.replace("&amp;", "&"))
    assert own.status_code == 200 and "Back to the panel" in own.content.decode()
    back = re.search(r'name="back" value="([^"]+)"', own.content.decode()).group(1)
    prefix = f"person-{target.pk}"
    response = client.post(decide_at, {f"{prefix}-to_status": Status.REJECTED,
                                       f"{prefix}-reason": "Not for this programme",
                                       "back": back.replace("&amp;", "&")})
    assert response.status_code == 302
    assert response["Location"] == (reverse("panel", args=[world.programme.pk])
                                     + "?child=no&page=2#people")


def test_a_refused_decision_stays_on_its_page_naming_the_field(client, world, crowd):
    entries, _ = crowd
    client.force_login(world.coordinator)
    prefix = f"person-{entries[0].pk}"
    response = client.post(
        reverse("panel_decide_person", args=[world.programme.pk, entries[0].pk]),
        {f"{prefix}-to_status": Status.ACTIVE, f"{prefix}-reason": "Accept"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "Decision about C-000" in text and "Select the lead professional" in text
    entries[0].refresh_from_db()
    assert entries[0].status == Status.PROPOSED


def test_the_return_address_is_rebuilt_never_taken_as_given(client, world, crowd):
    entries, _ = crowd
    client.force_login(world.coordinator)
    prefix = f"person-{entries[0].pk}"
    response = client.post(
        reverse("panel_decide_person", args=[world.programme.pk, entries[0].pk]),
        {f"{prefix}-to_status": Status.REJECTED, f"{prefix}-reason": "No",
         "back": "next=https://evil.example/&page=3"})
    assert response["Location"] == reverse("panel", args=[world.programme.pk]) + "?page=3#people"


def test_the_groups_are_paged_and_decided_on_their_own_page(client, world, crowd):
    for n in range(25):
        CohortGroup.objects.create(programme=world.programme, label=f"G-{n:02}",
                                   status=Status.PROPOSED)
    client.force_login(world.coordinator)
    first = panel(client, world).content.decode()
    groups = first.split('id="groups"')[1]
    assert "Groups (26)" in first and groups.count('class="govuk-summary-card"') == 20
    second = panel(client, world, groups_page=2).content.decode().split('id="groups"')[1]
    assert second.count('class="govuk-summary-card"') == 6
    group = CohortGroup.objects.get(label="G-24")
    own = client.get(reverse("panel_decide_group", args=[world.programme.pk, group.pk]))
    assert own.status_code == 200 and "Decision about group G-24" in own.content.decode()
