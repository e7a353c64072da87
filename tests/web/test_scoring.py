"""The scoring page: for every partner's staff; a programme's page; the public page only when
the coordinator publishes it, never showing a person or a count of people; and what changed
between the two newest runs."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from deter.analysis.config import AnalysisConfig
from deter.analysis.harm_tables import cchi_2026_asb
from deter.web.actions.programmes import set_publish_scoring
from deter.web.models import AuditEvent, Person, Programme

from .factories import make_run


def public_url(programme) -> str:
    return reverse("public_scoring", args=[programme.pk])


@pytest.mark.parametrize("who", ["analyst", "coordinator", "caseworker", "partner"])
def test_every_role_of_a_partner_agency_reads_it_from_the_code(client, world, who):
    client.force_login(getattr(world, who))
    response = client.get(reverse("scoring"))
    assert response.status_code == 200
    body = response.content.decode()
    table = cchi_2026_asb()  # the default since issue 13
    assert table.version in body and "cchi-2026-asb" in body
    assert "<td class=\"govuk-table__cell\">8N</td>" in body  # the weights
    assert "at most 30 days" in body and "1,825 days or more" in body  # the RFGV bands
    assert "Proposed when meeting all of: violent offence in 24 months; harm &gt;= 365 days." \
        in body
    assert "0.5 ^ (its age in days ÷ 365)" in body
    assert AuditEvent.objects.filter(action="view_scoring", actor=getattr(world, who),
                                     outcome="allowed").exists()
    assert client.get(reverse("programme_scoring", args=[world.programme.pk])).status_code \
        == 200


def test_a_stranger_gets_404s_and_anonymous_users_are_sent_to_sign_in(client, world):
    client.force_login(world.stranger)
    assert client.get(reverse("scoring")).status_code == 404
    assert client.get(reverse("programme_scoring", args=[world.programme.pk])).status_code \
        == 404
    assert AuditEvent.objects.filter(action="view_scoring", outcome="denied").count() == 2
    client.logout()
    assert client.get(reverse("scoring")).status_code == 302


def test_the_public_page_is_a_404_until_the_programme_publishes_it(client, world):
    programme = world.programme
    missing = client.get(reverse("public_scoring", args=[999_999]))
    hidden = client.get(public_url(programme))
    assert hidden.status_code == missing.status_code == 404
    denied = AuditEvent.objects.filter(action="view_public_scoring", outcome="denied")
    assert denied.count() == 2 and {e.actor_name for e in denied} == {"anonymous"}
    set_publish_scoring(world.coordinator, programme, True)
    response = client.get(public_url(programme))
    assert response.status_code == 200
    row = AuditEvent.objects.get(action="view_public_scoring", outcome="allowed")
    assert row.actor is None and row.actor_name == "anonymous"
    assert row.object_id == str(programme.pk)
    # another programme is still private
    assert client.get(public_url(world.police_only_programme)).status_code == 404


def test_the_public_page_never_shows_a_person_or_a_count_of_people(client, world):
    run = world.run
    run.summary = {"criteria": {"proposed": 4242, "people_meeting": {"x": 5151}},
                   "people": 6161, "harm_table": cchi_2026_asb().summary()}
    run.save()
    set_publish_scoring(world.coordinator, world.programme, True)
    body = client.get(public_url(world.programme)).content.decode()
    assert "How people are scored and selected" in body
    assert not any(person.person_id in body for person in Person.objects.all())
    assert not any(n in body for n in ("4242", "4,242", "5151", "5,151", "6161", "6,161"))
    assert "Sign out" not in body and "Signed in as" not in body


def test_only_the_coordinator_publishes_and_each_change_is_audited(client, world):
    programme = world.programme
    with pytest.raises(PermissionDenied):
        set_publish_scoring(world.analyst, programme, True)
    assert AuditEvent.objects.filter(action="publish_scoring", outcome="denied").count() == 1
    client.force_login(world.analyst)
    url = reverse("publish_scoring", args=[programme.pk])
    assert client.post(url, {"publish_scoring": "yes"}).status_code == 404
    programme.refresh_from_db()
    assert not programme.publish_scoring

    client.force_login(world.coordinator)
    assert client.post(url, {"publish_scoring": "nonsense"}).status_code == 400
    assert client.post(url, {}).status_code == 400
    assert not Programme.objects.get(pk=programme.pk).publish_scoring
    response = client.post(url, {"publish_scoring": "yes"})
    assert response.status_code == 302
    assert response["Location"] == reverse("programme_edit", args=[programme.pk])
    assert Programme.objects.get(pk=programme.pk).publish_scoring
    row = AuditEvent.objects.get(action="publish_scoring", outcome="allowed")
    assert row.actor == world.coordinator and row.detail == {"changes": {
        "publish_scoring": [False, True]}}
    settings_page = client.get(reverse("programme_edit", args=[programme.pk])).content.decode()
    assert public_url(programme) in settings_page


def test_what_changed_between_the_two_newest_runs(client, world, tmp_path):
    table = tmp_path / "force.csv"
    table.write_text("# name: force-chi\n# unit: days\noffence_code,weight,violent\n"
                     "8N,730,yes\n8R,10,no\n99Z,42,no\n")
    older = world.run
    older.started_at = timezone.now() - timedelta(days=30)
    older.summary = {"harm_table": cchi_2026_asb().summary()}
    older.save()
    newer = make_run([world.active])
    newer.config = AnalysisConfig(half_life_days=300, harm_table=str(table)).as_dict()
    newer.save()
    client.force_login(world.analyst)
    body = client.get(reverse("scoring")).content.decode()
    assert "<code>half_life_days</code></td><td class=\"govuk-table__cell\">365</td>" \
           "<td class=\"govuk-table__cell\">300</td>" in body
    assert "force.csv" in body and str(tmp_path) not in body  # a file by its name only
    assert "Added: 99Z (42)." in body
    assert "Reweighted: 8N (Assault with injury) from 365 to 730." in body
    assert "Now 8R (Malicious Communications) not violent." in body
    assert "Removed: " in body and "46 (1)" in body  # shoplifting, among others

    newer.config = AnalysisConfig().as_dict()
    newer.save()
    body = client.get(reverse("scoring")).content.decode()
    assert "No setting changed" in body
    assert f"Both used the same harm table (version {cchi_2026_asb().version})." in body


def test_with_one_run_there_is_nothing_to_compare(client, world):
    client.force_login(world.partner)
    body = client.get(reverse("scoring")).content.decode()
    assert "This is the first analysis" in body
