"""What the hash-chained, append-only audit trail costs.

Every page view writes at least one audit row, so the chained write (take the chain lock, read
the head, hash, insert under the append-only triggers: ``deter.web.audit.record``) is measured
against what a user would otherwise have: the same row inserted into a plain table with the
same columns and no chain, no lock and no trigger. Then ``deter audit verify``'s walk of the
chain. In a throwaway test database (``test_<NAME>`` from DATABASE_URL, or an in-memory SQLite
one), ``--n`` rows, each write its own transaction as a page view's is.

    .venv/bin/python -m benchmarks.audit_chain --n 2000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/deter_bench \\
        .venv/bin/python -m benchmarks.audit_chain --n 2000
"""

from __future__ import annotations

import argparse
import json
import os
import time

PLAIN = "bench_plain_audit"
COLUMNS = ("at", "actor_name", "action", "object_type", "object_id", "outcome", "detail",
           "ip_address", "user_agent", "session", "purpose")


def _plain_table(connection) -> None:
    text = "text" if connection.vendor == "postgresql" else "varchar"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {PLAIN}")
        cursor.execute(f"CREATE TABLE {PLAIN} (id integer primary key"
                       f"{' generated always as identity' if text == 'text' else ''}, "
                       + ", ".join(f"{c} {text}" for c in COLUMNS) + ")")


def _write_plain(connection, n: int) -> float:
    from django.db import transaction
    from django.utils import timezone

    sql = (f"INSERT INTO {PLAIN} ({', '.join(COLUMNS)}) VALUES "
           f"({', '.join(['%s'] * len(COLUMNS))})")
    started = time.perf_counter()
    for i in range(n):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [timezone.now().isoformat(), "analyst", "view_person", "person",
                                 str(i), "allowed", json.dumps({"case_detail": True}),
                                 "127.0.0.1", "bench", "0" * 64, "delivery"])
    return time.perf_counter() - started


def _write_chained(n: int, user) -> float:
    from django.db import transaction

    from deter.web import audit

    started = time.perf_counter()
    for i in range(n):
        with transaction.atomic():
            audit.record(user, "view_person", "person", i, case_detail=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deter.web.settings")
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from deter.web.audit.verify import verify

        user = User.objects.create_user("analyst")
        _plain_table(connection)
        plain = _write_plain(connection, args.n)
        chained = _write_chained(args.n, user)
        started = time.perf_counter()
        result = verify()
        walked = time.perf_counter() - started
        assert result.intact and result.count >= args.n, result
        print(f"{connection.vendor} ({name}), {args.n:,} rows, one transaction each")
        print(f"  plain insert, no chain     {args.n / plain:8,.0f} rows/s "
              f"({plain / args.n * 1000:.2f} ms a row)")
        print(f"  chained audit.record       {args.n / chained:8,.0f} rows/s "
              f"({chained / args.n * 1000:.2f} ms a row), {chained / plain:.1f}x the plain insert")
        print(f"  deter audit verify         {result.count / walked:8,.0f} rows/s "
              f"({result.count:,} rows in {walked:.2f} s)")
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()
