"""Action functions: permission, validation, transaction and audit, without the web layer."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from deter.web import actions, audit
from deter.web.models import AuditEvent, Intervention


def add(world, actor, person=None, **changes):
    arguments = {
        "programme": world.programme, "kind": "support", "title": "Mentoring",
        "agency": world.vru, "status": "planned", "start": date(2026, 3, 1), "end": None,
        "outcome": "", **changes,
    }
    return actions.add_intervention(actor, person or world.active, **arguments)


def test_it_writes_the_intervention_and_its_audit_row(world):
    intervention = add(world, world.coordinator)
    assert Intervention.objects.get() == intervention
    row = AuditEvent.objects.get()
    assert (row.action, row.actor, row.object_id) == (
        "add_intervention", world.coordinator, str(intervention.pk))
    assert row.detail["start"] == "2026-03-01"


def test_it_refuses_a_stranger_and_audits_the_refusal(world):
    with pytest.raises(PermissionDenied):
        add(world, world.stranger)
    assert not Intervention.objects.exists()
    row = AuditEvent.objects.get()
    assert (row.actor, row.outcome) == (world.stranger, "denied")


def test_it_refuses_a_partner_naming_another_agency(world):
    with pytest.raises(PermissionDenied):
        add(world, world.partner, agency=world.police)
    assert add(world, world.partner, agency=world.school).agency == world.school


@pytest.mark.parametrize("changes", [
    {"title": "  "},
    {"kind": "bribery"},
    {"status": "nearly"},
    {"end": date(2026, 2, 1)},
])
def test_it_rejects_invalid_input_and_writes_nothing(world, changes):
    with pytest.raises(ValidationError):
        add(world, world.caseworker, **changes)
    assert not Intervention.objects.exists()
    assert not AuditEvent.objects.exists()


def test_it_rolls_back_the_intervention_if_the_audit_row_cannot_be_written(world, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        add(world, world.coordinator)
    assert not Intervention.objects.exists()
