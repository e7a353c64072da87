"""The audit trail is append-only and names its actor."""

import pytest
from django.contrib.auth.models import AnonymousUser

from deter.web import audit
from deter.web.models import AuditEvent


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
