"""The audit trail is append-only and names its actor."""

import pytest
from django.contrib.auth.models import AnonymousUser

from deter.web import audit
from deter.web.models import AuditEvent
from deter.web.models.audit import AppendOnlyError


def test_it_records_actor_action_object_and_detail(world):
    row = audit.record(world.analyst, "view_person", "person", 7, extra="x")
    assert (row.actor, row.actor_name, row.action, row.object_type, row.object_id) == (
        world.analyst, "analyst", "view_person", "person", "7")
    assert row.outcome == "allowed" and row.detail == {"extra": "x"} and row.at is not None


def test_it_names_anonymous_and_system_actors(db):
    assert audit.record(AnonymousUser(), "sign_in", "user", None).actor_name == "anonymous"
    assert audit.record(None, "create_demo_world", "programme", 1).actor_name == "system"


def test_it_refuses_unknown_outcomes(db):
    with pytest.raises(ValueError):
        audit.record(None, "x", "y", 1, outcome="maybe")


def test_its_rows_cannot_be_changed_or_deleted(world):
    row = audit.record(world.analyst, "view_person", "person", 1)
    row.action = "nothing"
    with pytest.raises(ValueError):
        row.save()
    with pytest.raises(ValueError):
        row.delete()
    assert AuditEvent.objects.get().action == "view_person"


def rows() -> list[tuple]:
    return list(AuditEvent.objects.order_by("pk").values_list(
        "pk", "actor_id", "actor_name", "action", "object_type", "object_id", "outcome", "detail"))


@pytest.fixture
def trail(world) -> list[tuple]:
    audit.record(world.analyst, "view_person", "person", 1, reason="panel")
    audit.record(world.coordinator, "accept", "cohort_entry", 2)
    before = rows()
    assert len(before) == 2
    return before


def test_its_rows_cannot_be_updated_through_a_queryset(trail):
    with pytest.raises(AppendOnlyError, match="append-only"):
        AuditEvent.objects.update(action="nothing")
    with pytest.raises(AppendOnlyError, match="append-only"):
        AuditEvent.objects.filter(action="accept").update(outcome="denied")
    assert rows() == trail


def test_its_rows_cannot_be_deleted_through_a_queryset(trail):
    with pytest.raises(AppendOnlyError, match="append-only"):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError, match="append-only"):
        AuditEvent.objects.filter(action="accept").delete()
    with pytest.raises(AppendOnlyError, match="append-only"):
        AuditEvent.objects.all()._raw_delete(using="default")
    assert rows() == trail


def test_its_rows_cannot_be_bulk_updated(trail):
    events = list(AuditEvent.objects.all())
    for event in events:
        event.action = "nothing"
    with pytest.raises(AppendOnlyError, match="append-only"):
        AuditEvent.objects.bulk_update(events, ["action"])
    with pytest.raises(AppendOnlyError, match="append-only"):
        AuditEvent.objects.filter(pk__in=[e.pk for e in events]).bulk_update(events, ["action"])
    assert rows() == trail


def test_it_refuses_bulk_create_which_would_bypass_the_chain(trail):
    with pytest.raises(AppendOnlyError, match="bulk_create is refused"):
        AuditEvent.objects.bulk_create([
            AuditEvent(actor_name="system", action="import", object_type="extract"),
        ])
    assert rows() == trail


def test_flushing_the_database_empties_it_for_demo_reset(transactional_db):
    # ``deter demo --reset`` empties the database with Django's ``flush`` (SQL truncation of
    # every table), the one explicit path that removes audit rows
    from django.core.management import call_command
    audit.record(None, "create_demo_world", "programme", 1)
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists()
