"""The person's timeline: every kind of item, newest first, filtered, as each role may see it;
with the query count flat however long the history."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from deter.web.models import (
    AuditEvent,
    CallInInvitation,
    CohortDecision,
    CohortEntry,
    GroupViolenceFlag,
    Intervention,
    InterventionUpdate,
    Letter,
    LetterTemplate,
    Meeting,
    OrderBreach,
)
from deter.web.queries import timeline

from .factories import make_event, make_user
from .meetings_factories import make_flag, make_group, make_meeting

ALL_KINDS = {"event", "flag", "decision", "intervention", "update", "breach", "letter", "call_in"}


def url(person, show: str | None = None) -> str:
    path = reverse("person", args=[person.pk])
    return f"{path}?show={show}" if show is not None else path


def days_ago(n: int):
    return timezone.now() - timedelta(days=n)


def entry_of(world, person) -> CohortEntry:
    return CohortEntry.objects.get(programme=world.programme, person=person)


def add_history(world, person, n: int = 1, prefix: str = "H") -> None:
    """``n`` items of every kind for ``person``, each kind on its own known day.

    Days ago: event 100+, flag 90+, decision 80+, intervention 70+ (start), update 60+,
    breach 50+, letter 40+ (its intervention 45+), call-in 30+: newest first reads call-in,
    letter, intervention ... event.
    """
    entry = entry_of(world, person)
    group = make_group(world.programme, f"{prefix}-GROUP-{person.pk}")
    template = LetterTemplate.objects.create(
        programme=world.programme, name=f"{prefix} template {person.pk}", body="Dear $name",
        updated_by=world.coordinator,
    )
    for i in range(n):
        make_event(f"{prefix}-EV-{person.pk}-{i}", person, days_ago=100 + i)
        flag = make_flag(group, person, f"{prefix}-FLAG-EV-{person.pk}-{i}", days_ago=300 + i)
        GroupViolenceFlag.objects.filter(pk=flag.pk).update(raised_at=days_ago(90 + i))
        decision = CohortDecision.objects.create(
            entry=entry, from_status="proposed", to_status="active",
            reason=f"{prefix} reason {i}", decided_by=world.coordinator,
        )
        CohortDecision.objects.filter(pk=decision.pk).update(decided_at=days_ago(80 + i))
        order = Intervention.objects.create(
            programme=world.programme, person=person, kind="enforcement", category="aba",
            title=f"{prefix} ABA {i}", agency=world.police, status="active",
            start=timezone.localdate() - timedelta(days=70 + i), created_by=world.coordinator,
        )
        InterventionUpdate.objects.create(
            intervention=order, status="active", note=f"{prefix} signed {i}",
            on=timezone.localdate() - timedelta(days=60 + i), recorded_by=world.coordinator,
        )
        OrderBreach.objects.create(
            intervention=order, occurred_on=timezone.localdate() - timedelta(days=50 + i),
            description=f"{prefix} breach {i}", recorded_by=world.coordinator,
        )
        notice = Intervention.objects.create(
            programme=world.programme, person=person, kind="communication", category="letter",
            title=f"{prefix} letter {i}", agency=world.vru, status="completed",
            start=timezone.localdate() - timedelta(days=45 + i), created_by=world.coordinator,
        )
        letter = Letter.objects.create(
            template=template, intervention=notice, recipient="The young person",
            body="Dear you", created_by=world.coordinator,
        )
        Letter.objects.filter(pk=letter.pk).update(created_at=days_ago(40 + i))
        meeting = make_meeting(world.programme, world.coordinator, kind=Meeting.Kind.CALL_IN,
                               days_ahead=-(30 + i), title=f"{prefix} call-in {i}")
        CallInInvitation.objects.create(meeting=meeting, role="subject", person=person,
                                        attended=[True, False, None][i % 3])


@pytest.fixture
def history(world):
    add_history(world, world.active)
    return world


def items(response, kind: str | None = None) -> list:
    found = response.context["timeline"].items
    return [i for i in found if kind is None or i.kind == kind]


def test_it_shows_every_kind_newest_first_to_a_coordinator(client, history):
    world = history
    client.force_login(world.coordinator)
    response = client.get(url(world.active))
    assert response.status_code == 200
    found = items(response)
    assert {i.kind for i in found} == ALL_KINDS
    days = [(i.day, i.at) for i in found]
    assert days == sorted(days, reverse=True)
    # the world's own events (30 and 200 days ago) around the planted history
    mine = [i.kind for i in found if "H" in i.summary + i.detail or i.kind != "event"]
    assert mine[:8] == ["call_in", "letter", "intervention", "breach", "update",
                        "intervention", "decision", "flag"]
    page = response.content.decode()
    assert "Invited to H call-in 0: attended" in page
    assert "Breach of H ABA 0" in page and "H breach 0" in page
    assert "H ABA 0: in force" in page
    assert "Knife crime: Proposed to Active" in page and "H reason 0" in page
    assert "Letter written for H letter 0 from the template" in page
    assert "Violence flagged for the response of group H-GROUP" in page
    assert "Suspect: Violence and sexual offences (5A)" in page


def test_each_item_links_to_its_page(client, history):
    world = history
    client.force_login(world.coordinator)
    page = client.get(url(world.active)).content.decode()
    order = Intervention.objects.get(title="H ABA 0")
    meeting = Meeting.objects.get(title="H call-in 0")
    entry = entry_of(world, world.active)
    group = GroupViolenceFlag.objects.get(person=world.active).group
    for path in (reverse("intervention", args=[order.pk]), reverse("meeting", args=[meeting.pk]),
                 reverse("entry_plan", args=[entry.pk]),
                 reverse("group_plan", args=[world.programme.pk, group.pk])):
        assert f'href="{path}"' in page


@pytest.mark.parametrize(("show", "kinds"), [
    ("events", {"event", "flag"}),
    ("decisions", {"decision"}),
    ("interventions", {"intervention", "update", "breach", "letter", "call_in"}),
    ("", ALL_KINDS),
])
def test_it_filters_by_kind_with_links(client, history, show, kinds):
    client.force_login(history.coordinator)
    response = client.get(url(history.active, show))
    assert response.status_code == 200
    assert {i.kind for i in items(response)} == kinds
    page = response.content.decode()
    assert 'aria-current="page"' in page
    for other in ("events", "decisions", "interventions"):
        if other != show:
            assert f'?show={other}#timeline"' in page


def test_the_filter_counts_add_up(client, history):
    client.force_login(history.coordinator)
    counts = client.get(url(history.active)).context["timeline"].counts
    assert counts[""] == counts["events"] + counts["decisions"] + counts["interventions"]
    assert counts["decisions"] == 1


@pytest.mark.parametrize("bad", ["everything", "EVENTS", "<script>", "events,decisions"])
def test_an_unknown_filter_is_a_400_naming_the_field(client, history, bad):
    client.force_login(history.coordinator)
    response = client.get(url(history.active), {"show": bad})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Show must be all, events, decisions or interventions" in page
    assert "<title>Error:" in page
    assert "<script>" not in page.split("</head>")[1].replace("<script src", "")
    assert {i.kind for i in items(response)} == ALL_KINDS  # shows everything meanwhile
    assert not Intervention.objects.filter(title__contains=bad).exists()


def test_a_partner_sees_interventions_and_decisions_but_no_events_flags_or_letters(
    client, history
):
    world = history
    client.force_login(world.partner)
    response = client.get(url(world.active))
    assert response.status_code == 200
    kinds = {i.kind for i in items(response)}
    assert kinds == {"decision", "intervention", "update", "breach"}
    page = response.content.decode()
    assert "H ABA 0" in page
    assert "H-EV-" not in page and "H-FLAG" not in page and "E-P-ACTIVE" not in page
    assert "Violence flagged" not in page
    assert "Letter written" not in page
    assert "H call-in 0" not in page  # not invited, and meetings are case detail
    assert "Police-held events and group violence flags are not shared with you" in page
    assert response.context["timeline"].counts["events"] == 0


def test_a_partner_invited_to_the_call_in_sees_it(client, history):
    world = history
    meeting = Meeting.objects.get(title="H call-in 0")
    meeting.attendees.add(world.partner)
    client.force_login(world.partner)
    response = client.get(url(world.active))
    assert [i.summary for i in items(response, "call_in")] == [
        "Invited to H call-in 0: attended"]


def test_a_caseworker_sees_letters_an_analyst_does_not(client, history):
    world = history
    client.force_login(world.caseworker)
    assert len(items(client.get(url(world.active)), "letter")) == 1
    client.force_login(world.analyst)
    response = client.get(url(world.active))
    assert items(response, "letter") == []
    assert len(items(response, "event")) >= 2  # but the analyst sees the case detail


def test_the_lead_professional_sees_letters(client, history):
    world = history
    lead = make_user("lead", world.school, "partner")
    CohortEntry.objects.filter(pk=entry_of(world, world.active).pk).update(
        lead_professional=lead)
    client.force_login(lead)
    assert len(items(client.get(url(world.active)), "letter")) == 1


def test_decisions_about_other_programmes_stay_hidden(client, history):
    world = history
    police_entry = CohortEntry.objects.get(person=world.police_only)
    CohortDecision.objects.create(entry=police_entry, from_status="proposed",
                                  to_status="active", reason="Drug market reason",
                                  decided_by=world.coordinator)
    client.force_login(world.analyst)  # police: in both programmes
    assert "Drug market reason" in client.get(url(world.police_only)).content.decode()
    client.force_login(world.coordinator)  # VRU: not in the drug-market programme
    assert client.get(url(world.police_only)).status_code == 404


def test_a_flag_on_a_group_the_viewer_cannot_see_is_hidden(client, history):
    world = history
    GroupViolenceFlag.objects.update(group=make_group(world.programme, "PROPOSED-G",
                                                      status="proposed"))
    client.force_login(world.caseworker)  # caseworkers see active and stepped-down groups
    assert items(client.get(url(world.active)), "flag") == []
    client.force_login(world.coordinator)
    assert len(items(client.get(url(world.active)), "flag")) == 1


def test_a_stranger_gets_a_404_and_the_attempt_is_audited(client, history):
    world = history
    client.force_login(world.stranger)
    for show in (None, "events", "decisions"):
        response = client.get(url(world.active, show))
        assert response.status_code == 404
        assert b"H ABA" not in response.content
    rows = AuditEvent.objects.filter(action="view_person")
    assert [r.outcome for r in rows] == ["denied"] * 3


def test_a_caseworker_gets_a_404_for_a_proposed_person(client, history):
    client.force_login(history.caseworker)
    assert client.get(url(history.proposed, "events")).status_code == 404


def test_every_view_is_audited(client, history):
    world = history
    client.force_login(world.partner)
    for show in (None, "events", "decisions", "interventions", "bad"):
        client.get(url(world.active, show))
    rows = AuditEvent.objects.filter(action="view_person", actor=world.partner)
    assert rows.count() == 5
    assert all(r.outcome == "allowed" and r.object_id == str(world.active.pk) for r in rows)


def test_an_empty_filter_says_so(client, world):
    client.force_login(world.partner)
    response = client.get(url(world.active, "decisions"))
    assert response.status_code == 200
    assert "Nothing of this kind recorded that you may see." in response.content.decode()


def _queries(client, path) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(path).status_code == 200
    return len(context)


@pytest.mark.parametrize("role", ["coordinator", "caseworker", "partner"])
def test_the_query_count_does_not_grow_with_the_history(
    client, world, django_assert_max_num_queries, role
):
    client.force_login(getattr(world, role))
    add_history(world, world.active, n=5, prefix="S")
    small = _queries(client, url(world.active))
    add_history(world, world.stepped_down, n=50, prefix="L")
    response = client.get(url(world.stepped_down))
    assert response.context["timeline"].total > client.get(url(world.active)).context[
        "timeline"].total
    with django_assert_max_num_queries(small):
        client.get(url(world.stepped_down))
    assert _queries(client, url(world.stepped_down)) == small


def test_build_parses_and_refuses_filters():
    assert timeline.parse_show(None) == ""
    assert timeline.parse_show(" events ") == "events"
    with pytest.raises(timeline.UnknownFilter):
        timeline.parse_show("flags")


def test_a_decision_names_its_meeting_only_to_those_who_see_the_meeting(client, history):
    world = history
    panel = make_meeting(world.programme, world.coordinator, title="Spring panel")
    CohortDecision.objects.update(meeting=panel)
    client.force_login(world.coordinator)
    (decision,) = items(client.get(url(world.active)), "decision")
    assert "at Spring panel" in decision.detail
    client.force_login(world.partner)
    (decision,) = items(client.get(url(world.active)), "decision")
    assert "Spring panel" not in decision.detail
    # the panel's reasons draw on police data, which the school's agreement does not share
    assert "H reason 0" not in decision.detail and decision.detail.endswith(timeline.WITHHELD)


def test_a_long_history_is_paged_newest_first(client, world):
    for i in range(timeline.PAGE_SIZE + 30):
        make_event(f"E-LONG-{i:03}", world.active, days_ago=10 + i)
    client.force_login(world.coordinator)
    first = client.get(url(world.active, "events"))
    assert len(items(first)) == timeline.PAGE_SIZE
    assert items(first)[0].detail == "Event E-LONG-000"
    page = first.content.decode()
    size, total = timeline.PAGE_SIZE, timeline.PAGE_SIZE + 32  # 2 of them the world's
    assert f"Showing items 1 to {size} of {total}, page 1 of 2." in page
    assert f'href="{url(world.active)}?show=events&amp;page=2#timeline"' in page
    second = client.get(url(world.active), {"show": "events", "page": "2"})
    # page 1 held the world's own event of 30 days ago, so page 2 starts one earlier
    assert [i.detail for i in items(second)][:2] == [f"Event E-LONG-{size - 1:03}",
                                                     f"Event E-LONG-{size:03}"]
    assert len(items(second)) == 32
    assert 'rel="prev"' in second.content.decode() and 'rel="next"' not in (
        second.content.decode())
    beyond = client.get(url(world.active), {"show": "events", "page": "99"})
    assert beyond.status_code == 200 and beyond.context["timeline"].page == 2


@pytest.mark.parametrize("bad", ["0", "-1", "two", "1.5", "²"])
def test_a_bad_page_is_a_400_naming_the_field(client, world, bad):
    client.force_login(world.coordinator)
    response = client.get(url(world.active), {"page": bad})
    assert response.status_code == 400
    assert "Page must be a whole number, 1 or more" in response.content.decode()
    assert response.context["timeline"].page == 1


def test_links_are_built_like_reverse():
    assert timeline._url("intervention", 5) == reverse("intervention", args=[5])
    assert timeline._url("group_plan", 12, 345) == reverse("group_plan", args=[12, 345])
    with pytest.raises(NoReverseMatch):  # a link to a page that does not exist is a bug
        timeline._url("no_such_page", 1)


def test_group_wide_interventions_show_on_each_members_timeline_to_those_who_see_the_group(
        client, world):
    from deter.web import actions

    from .casework_factories import active_group

    group = active_group(world, members=[world.active])
    actions.add_intervention(
        world.coordinator, None, world.programme, group=group, agency=world.police,
        kind=Intervention.Kind.ENFORCEMENT, category="hotspot_operation",
        title="Knife arch at the group's estate", status=Intervention.Status.ACTIVE)
    client.force_login(world.coordinator)
    (found,) = [i for i in items(client.get(url(world.active)), "intervention")
                if "Knife arch" in i.summary]
    assert found.summary.startswith("For the group Group G1: Enforcement")
    assert found.url == f"/interventions/{Intervention.objects.get(group=group).pk}/"
    # not on the timeline of someone outside the group
    assert not [i for i in items(client.get(url(world.stepped_down)))
                if "Knife arch" in i.summary]
    # partners see the person, not police-held groups
    client.force_login(world.partner)
    assert not [i for i in items(client.get(url(world.active))) if "Knife arch" in i.summary]
