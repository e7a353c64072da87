"""The database's own refusal to change the audit trail, and the one logged way round it.

Migration 0011 creates triggers that refuse UPDATE and DELETE of audit rows (and TRUNCATE of
the table on PostgreSQL) from any client, raw SQL included, and refuse a row that does not
follow the head of the chain. ``ensure_triggers`` runs after every ``migrate`` too: SQLite
rebuilds a table to alter it and the rebuild drops its triggers.

``lifted`` is the only way round them: Django's ``flush`` (``deter demo`` on a database with
data, pytest-django between transactional tests) runs inside it. It logs a warning naming how
many rows went and the last hash they ended with, and puts the triggers back afterwards
(``deter.web.management.commands.flush`` then starts the new chain with a row saying so).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from django.db import OperationalError, connections
from django.db.backends.base.base import BaseDatabaseWrapper

from ..domain.audit_chain import GENESIS

log = logging.getLogger("deter.audit")

TABLE = "deter_auditevent"
REFUSED = "the audit trail is append-only: audit events cannot be"
OUT_OF_CHAIN = "an audit event must follow the head of the audit chain"
LOCK_KEY = 0x0DE7E6A0D17  # pg_advisory_xact_lock key serialising chained writes
SQLITE_LOCK_WAIT = 10.0  # seconds a chained write waits for another writer on SQLite

SQLITE_TRIGGERS = {
    "deter_audit_no_update": f"""
        CREATE TRIGGER IF NOT EXISTS deter_audit_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, '{REFUSED} updated'); END""",
    "deter_audit_no_delete": f"""
        CREATE TRIGGER IF NOT EXISTS deter_audit_no_delete BEFORE DELETE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, '{REFUSED} deleted'); END""",
    "deter_audit_follows_head": f"""
        CREATE TRIGGER IF NOT EXISTS deter_audit_follows_head BEFORE INSERT ON {TABLE}
        WHEN NEW.previous_hash IS NOT COALESCE(
            (SELECT hash FROM {TABLE} ORDER BY id DESC LIMIT 1), '{GENESIS}')
        BEGIN SELECT RAISE(ABORT, '{OUT_OF_CHAIN}'); END""",  # noqa: S608 (constants)
}

POSTGRES_FUNCTIONS = f"""
    CREATE OR REPLACE FUNCTION deter_audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{REFUSED} %', CASE TG_OP WHEN 'UPDATE' THEN 'updated'
            WHEN 'DELETE' THEN 'deleted' ELSE 'truncated' END
            USING ERRCODE = 'integrity_constraint_violation';
    END $$;
    CREATE OR REPLACE FUNCTION deter_audit_follows_head() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE head {TABLE}%ROWTYPE;
    BEGIN
        SELECT * INTO head FROM {TABLE} ORDER BY id DESC LIMIT 1;
        IF NEW.previous_hash IS DISTINCT FROM COALESCE(head.hash, '{GENESIS}')
                OR NEW.id <= head.id THEN
            RAISE EXCEPTION '{OUT_OF_CHAIN}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END $$;
"""  # noqa: S608 (constants)
POSTGRES_TRIGGERS = {
    "deter_audit_no_change": f"""
        CREATE TRIGGER deter_audit_no_change BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION deter_audit_refuse()""",
    "deter_audit_no_truncate": f"""
        CREATE TRIGGER deter_audit_no_truncate BEFORE TRUNCATE ON {TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION deter_audit_refuse()""",
    "deter_audit_follows_head": f"""
        CREATE TRIGGER deter_audit_follows_head BEFORE INSERT ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION deter_audit_follows_head()""",
}


def trigger_names(connection: BaseDatabaseWrapper) -> tuple[str, ...]:
    if connection.vendor == "sqlite":
        return tuple(SQLITE_TRIGGERS)
    if connection.vendor == "postgresql":
        return tuple(POSTGRES_TRIGGERS)
    return ()


def present_triggers(connection: BaseDatabaseWrapper) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                           "AND tbl_name = %s", [TABLE])
        elif connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass "
                           "AND NOT tgisinternal AND tgenabled <> 'D'", [TABLE])
        else:
            return set()
        return {name for (name,) in cursor.fetchall()}


def missing_triggers(connection: BaseDatabaseWrapper) -> list[str]:
    present = present_triggers(connection)
    return [name for name in trigger_names(connection) if name not in present]


def ensure_triggers(connection: BaseDatabaseWrapper) -> None:
    """Create whichever of the triggers is missing (or disabled, on PostgreSQL)."""
    missing = missing_triggers(connection)
    if not missing:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in missing:
                cursor.execute(SQLITE_TRIGGERS[name])
        elif connection.vendor == "postgresql":
            cursor.execute(POSTGRES_FUNCTIONS)
            for name in missing:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {TABLE}")
                cursor.execute(POSTGRES_TRIGGERS[name])
        else:
            log.warning("the %s database cannot refuse changes to the audit trail: only "
                        "SQLite and PostgreSQL have Deter's triggers", connection.vendor)


def drop_triggers(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for name in trigger_names(connection):
            on = f" ON {TABLE}" if connection.vendor == "postgresql" else ""
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}{on}")


def head(connection: BaseDatabaseWrapper) -> tuple[int, str]:
    """How many audit rows there are and the hash of the last (``GENESIS`` for none)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {TABLE}")  # noqa: S608 (a constant)
        (count,) = cursor.fetchone()
        cursor.execute(f"SELECT hash FROM {TABLE} ORDER BY id DESC LIMIT 1")  # noqa: S608
        row = cursor.fetchone()
    return count, row[0] if row else GENESIS


_SQLITE_WRITER = threading.Lock()


def one_writer_in_process(connection: BaseDatabaseWrapper):
    """On SQLite, one thread of this process writes the chain at a time. SQLite serialises
    writers anyway; but threads sharing one in-memory database's cache (the test suite's live
    server, loading a page's charts at once) fail an insert that meets another's table lock
    ("no more rows available") instead of waiting for it."""
    return _SQLITE_WRITER if connection.vendor == "sqlite" else nullcontext()


def lock_chain(connection: BaseDatabaseWrapper) -> None:
    """Serialise chained writes until the transaction ends, so two writers cannot both follow
    the same head: PostgreSQL by an advisory lock; SQLite by taking its write lock now (a
    write statement that changes nothing) rather than at the insert, after the head is read."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        elif connection.vendor == "sqlite":
            _sqlite_write_lock(cursor)


def _sqlite_write_lock(cursor, wait: float = SQLITE_LOCK_WAIT) -> None:
    """Take SQLite's write lock, waiting for another writer. A database file waits by itself
    (its busy timeout); a shared-cache in-memory database, as the test suite's live server
    uses, answers "database table is locked" at once, so that is waited out here."""
    deadline = time.monotonic() + wait
    while True:
        try:
            cursor.execute(f"UPDATE {TABLE} SET id = id WHERE 0 = 1")  # noqa: S608
            return
        except OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


@contextmanager
def lifted(using: str, reason: str) -> Iterator[tuple[int, str]]:
    """Drop the triggers for the ``with`` block (yielding the row count and head hash from
    before it), log that, and put them back after, whatever the block did."""
    connection = connections[using]
    if TABLE not in connection.introspection.table_names():
        yield 0, GENESIS
        return
    count, last = head(connection)
    log.warning("audit triggers lifted on %r for %s: %d audit rows, last hash %s",
                using, reason, count, last)
    drop_triggers(connection)
    try:
        yield count, last
    finally:
        ensure_triggers(connection)
        log.warning("audit triggers restored on %r after %s", using, reason)
