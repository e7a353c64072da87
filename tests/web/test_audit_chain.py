# ruff: noqa: S608 -- the SQL is built from the constant table name, to tamper on purpose
"""The audit trail in the database: triggers refuse changes from any client, each row is
chained to the one before, ``deter audit verify`` names the first row tampered with (the
tampering done for real, with the triggers dropped in raw SQL), and ``flush`` is the one
logged way round. Every test runs on SQLite and on PostgreSQL (DATABASE_URL)."""

import hashlib
import threading
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from deter.cli import main
from deter.web import audit
from deter.web.audit import guard
from deter.web.audit.verify import verify
from deter.web.domain.audit_chain import CONTENT_FIELDS, GENESIS, TRUNCATED, chain_hash
from deter.web.models import AuditEvent

TABLE = guard.TABLE


def sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def refused(statement: str, params=()) -> str:
    """Run ``statement`` expecting the database to refuse it; the message it gave."""
    with pytest.raises(DatabaseError) as error, transaction.atomic():
        sql(statement, params)
    return str(error.value)


@contextmanager
def triggers_off():
    """What a tamperer with the table owner's rights does first: drop (SQLite) or disable
    (PostgreSQL) the triggers in raw SQL. Put back after, like the migration made them."""
    if connection.vendor == "sqlite":
        for name in ("deter_audit_no_update", "deter_audit_no_delete",
                     "deter_audit_follows_head"):
            sql(f"DROP TRIGGER {name}")
    else:
        sql("SET CONSTRAINTS ALL IMMEDIATE")  # PostgreSQL alters no table with checks pending
        sql(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
    try:
        yield
    finally:
        if connection.vendor == "postgresql":
            sql(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")
        guard.ensure_triggers(connection)


@pytest.fixture
def trail(world) -> list[AuditEvent]:
    rows = [audit.record(world.analyst, "view_person", "person", n, n=n) for n in range(1, 6)]
    assert verify().intact
    return rows


def verify_cli(capsys, *args) -> tuple[int, str, str]:
    code = main(["audit", "verify", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


# --- the database refuses ---------------------------------------------------------------------


def test_the_database_refuses_raw_updates_and_deletes(trail):
    assert "cannot be updated" in refused(f"UPDATE {TABLE} SET action = 'nothing'")
    assert "cannot be deleted" in refused(f"DELETE FROM {TABLE} WHERE id = %s", [trail[0].pk])
    if connection.vendor == "postgresql":
        sql("SET CONSTRAINTS ALL IMMEDIATE")  # else PostgreSQL refuses for pending FK checks
        assert "cannot be truncated" in refused(f"TRUNCATE {TABLE}")
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "view_person"] * 5


COLUMNS = ", ".join(("id", "at", "actor_name", "action", "object_type", "object_id", "outcome",
                     "detail", "user_agent", "session", "actor_roles", "purpose",
                     "previous_hash", "hash"))
FORGED = f"INSERT INTO {TABLE} ({COLUMNS}) VALUES (%s, %s, 'analyst', 'view_person', 'person', " \
         "'99', 'allowed', '{}', '', '', '[]', '', %s, %s)"


def test_the_database_refuses_a_row_that_does_not_follow_the_head(trail):
    message = refused(FORGED, [trail[-1].pk + 1, trail[0].at, trail[1].hash, "f" * 64])
    assert guard.OUT_OF_CHAIN in message
    assert AuditEvent.objects.count() == 5


def test_the_migration_made_every_trigger(db):
    assert guard.missing_triggers(connection) == []
    assert set(guard.trigger_names(connection)) <= guard.present_triggers(connection)


# --- the chain ------------------------------------------------------------------------------


def test_each_row_follows_the_one_before_and_hashes_its_content(trail):
    stored = list(AuditEvent.objects.order_by("id"))
    assert stored[0].previous_hash == GENESIS
    assert [row.previous_hash for row in stored[1:]] == [row.hash for row in stored[:-1]]
    for row in stored:  # recomputed from what the database gives back
        content = {name: getattr(row, name) for name in CONTENT_FIELDS}
        assert chain_hash(content, row.previous_hash) == row.hash


def test_verify_passes_an_intact_chain_and_prints_the_count_and_head(trail, capsys):
    code, out, _ = verify_cli(capsys)
    assert code == 0
    assert "audit chain intact: 5 rows checked" in out
    assert f"head hash {trail[-1].hash}" in out


def test_verify_names_a_row_altered_in_sql(trail, capsys):
    with triggers_off():
        sql(f"UPDATE {TABLE} SET action = 'nothing' WHERE id = %s", [trail[2].pk])
    code, _, err = verify_cli(capsys)
    assert code == 1
    assert f"audit row {trail[2].pk} was altered: its content no longer matches its hash" in err


def test_verify_names_a_row_whose_detail_was_altered(trail, capsys):
    changed = '{"n": 99}'
    with triggers_off():
        sql(f"UPDATE {TABLE} SET detail = %s WHERE id = %s", [changed, trail[1].pk])
    assert verify().fault.row == trail[1].pk
    assert main(["audit", "verify"]) == 1


def test_verify_names_the_row_after_one_removed(trail, capsys):
    with triggers_off():
        sql(f"DELETE FROM {TABLE} WHERE id = %s", [trail[2].pk])
    code, _, err = verify_cli(capsys)
    assert code == 1
    assert (f"audit row {trail[3].pk} does not follow audit row {trail[1].pk}: rows between "
            "them were removed") in err


def test_verify_names_the_first_row_when_the_start_was_removed(trail):
    with triggers_off():
        sql(f"DELETE FROM {TABLE} WHERE id <= %s", [trail[1].pk])
    fault = verify().fault
    assert fault.row == trail[2].pk and "rows before it were removed" in fault.message


def test_verify_sees_through_a_row_altered_and_rehashed(trail):
    # the tamperer recomputes the altered row's hash: the next row no longer follows it
    row = AuditEvent.objects.get(pk=trail[1].pk)
    content = {name: getattr(row, name) for name in CONTENT_FIELDS} | {"action": "nothing"}
    with triggers_off():
        sql(f"UPDATE {TABLE} SET action = 'nothing', hash = %s WHERE id = %s",
            [chain_hash(content, row.previous_hash), row.pk])
    fault = verify().fault
    assert fault.row == trail[2].pk
    assert f"or row {trail[1].pk} was altered and its hash recomputed" in fault.message


def test_verify_names_a_row_inserted_out_of_order(trail):
    # make a gap after row 3 and put a forged row in it
    forged_pk = trail[3].pk
    with triggers_off():
        sql(f"UPDATE {TABLE} SET id = id + 100 WHERE id >= %s", [forged_pk])
        sql(FORGED, [forged_pk, trail[2].at, "a" * 64, "b" * 64])
    fault = verify().fault
    assert fault.row == forged_pk
    assert "inserted out of order" in fault.message


def test_verify_fails_when_the_triggers_are_missing(trail, capsys):
    sql("DROP TRIGGER deter_audit_no_update" if connection.vendor == "sqlite"
        else f"DROP TRIGGER deter_audit_no_change ON {TABLE}")
    try:
        code, _, err = verify_cli(capsys)
    finally:
        guard.ensure_triggers(connection)
    assert code == 1 and "missing the append-only triggers" in err
    assert verify().intact


def test_an_anchor_catches_the_last_rows_removed(trail, capsys):
    anchor = trail[-1].hash
    assert verify_cli(capsys, "--anchor", anchor)[0] == 0
    with triggers_off():
        sql(f"DELETE FROM {TABLE} WHERE id = %s", [trail[-1].pk])
    assert verify().fault is None  # the chain alone cannot tell the tail went
    code, _, err = verify_cli(capsys, "--anchor", anchor)
    assert code == 1 and f"the anchored hash {anchor} is no longer in the chain" in err


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_do_not_fork_the_chain():
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("SQLite's in-memory test database is one connection; a file serialises "
                    "writers by its lock (guard.lock_chain)")
    errors = []

    def write(n: int) -> None:
        try:
            for i in range(15):
                audit.record(None, "concurrent", "test", f"{n}-{i}")
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    result = verify()
    assert result.fault is None and result.count == 60


# --- bounded detail ---------------------------------------------------------------------------


def test_long_text_is_stored_bounded_with_its_length_and_hash(db):
    plan = "p" * 500_000
    row = audit.record(None, "update_plan", "cohort_entry", 1, changes={"plan": ["", plan]})
    stored = AuditEvent.objects.get(pk=row.pk).detail["changes"]["plan"]
    assert stored[0] == ""
    assert stored[1] == {"text": "p" * 2000 + TRUNCATED, "length": 500_000,
                         "sha256": hashlib.sha256(plan.encode()).hexdigest()}
    assert verify().intact


def test_a_programme_change_keeps_a_long_text_bounded_in_its_audit_row(world):
    from deter.web.actions.programmes import update_programme

    problem = "Knife crime in the town centre. " * 600 + "And more."  # 19,209: under the limit
    update_programme(world.coordinator, world.programme, agencies=world.programme.agencies.all(),
                     problem=problem)
    row = AuditEvent.objects.get(action="update_programme")
    before, after = row.detail["changes"]["problem"]
    assert after["length"] == len(problem) == 19_209
    assert after["text"] == problem[:2000] + TRUNCATED
    assert after["sha256"] == hashlib.sha256(problem.encode()).hexdigest()
    assert len(str(row.detail)) < 5000


# --- the escape hatch -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_flush_lifts_the_triggers_logs_and_starts_a_new_chain(settings, caplog):
    settings.DETER_AUDIT_RECORD_FLUSH = True
    for n in range(3):
        audit.record(None, "view", "x", n)
    head = AuditEvent.objects.order_by("-id").first().hash
    try:
        call_command("flush", interactive=False, verbosity=0)
    finally:  # pytest-django's own flush after the test must leave nothing
        settings.DETER_AUDIT_RECORD_FLUSH = False
    (row,) = AuditEvent.objects.all()
    assert (row.action, row.previous_hash) == ("flush_audit_trail", GENESIS)
    assert row.detail == {"rows_removed": 3, "previous_head": head}
    assert "audit triggers lifted on 'default' for flush: 3 audit rows" in caplog.text
    assert guard.missing_triggers(connection) == []
    assert "cannot be deleted" in refused(f"DELETE FROM {TABLE}")
    assert verify().intact


# --- migrations ------------------------------------------------------------------------------


def test_a_migration_that_lost_the_triggers_gets_them_back(db):
    from django.core.management.sql import emit_post_migrate_signal

    sql("DROP TRIGGER deter_audit_no_delete" if connection.vendor == "sqlite"
        else f"DROP TRIGGER deter_audit_no_change ON {TABLE}")
    assert guard.missing_triggers(connection)
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert guard.missing_triggers(connection) == []


@pytest.mark.django_db(transaction=True)
def test_the_migration_chains_the_rows_written_before_it():
    from django.db.migrations.executor import MigrationExecutor

    before = [("deter", "0010_retention")]
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps.get_model("deter", "AuditEvent")
        for n in range(3):
            old.objects.create(actor_name="system", action="old", object_id=str(n),
                               detail={"n": n, "ratio": 2.0})
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    result = verify()
    assert result.intact and result.count == 3
    assert "cannot be updated" in refused(f"UPDATE {TABLE} SET action = 'x'")
