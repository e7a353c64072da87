"""`deter serve` is gunicorn, not the development server: several worker processes over one
SQLite file in WAL mode answer 20 concurrent signed-in clients without a "database is locked",
static files carry far-future caching, and every page view's audit row is written and chained."""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from benchmarks.web_pages import Session, free_port

from event_loop import run_in_own_loop

DETER = Path(sys.executable).with_name("deter")
CLIENTS, REQUESTS = 20, 200

pytestmark = pytest.mark.backend_independent


def _env(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "DETER_STATIC_MANIFEST")}
    return env | {"DETER_STATIC_ROOT": str(folder / "static")}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    subprocess.run([str(DETER), "demo", "--no-serve", "--scale", "small"], cwd=folder,  # noqa: S603
                   env=_env(folder), check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    server = subprocess.Popen([str(DETER), "serve", "--port", str(port), "--workers", "3"],  # noqa: S603
                              cwd=folder, env=_env(folder), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{base}/sign-in/", timeout=2)
            break
        except httpx.TransportError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"deter serve did not start: {server.stdout.read()}")
            time.sleep(0.3)
    yield base, folder / "deter.sqlite3", server
    server.terminate()
    server.wait(30)


def test_the_server_is_gunicorn_with_several_workers(served):
    base, _database, server = served
    response = httpx.get(f"{base}/sign-in/")
    assert response.headers["server"] == "gunicorn"
    workers = subprocess.run(["pgrep", "-P", str(server.pid)],  # noqa: S603, S607
                             capture_output=True,
                             text=True, check=False).stdout.split()
    assert len(workers) == 3


def test_the_database_file_is_in_wal_mode_and_private(served):
    _base, database, _server = served
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert database.stat().st_mode & 0o077 == 0


def test_static_files_are_hashed_and_cached_for_ever(served):
    base, _database, _server = served
    page = httpx.get(f"{base}/sign-in/").text
    stylesheet = re.search(r'href="(/static/govuk/govuk\.[0-9a-f]{12}\.css)"', page)
    assert stylesheet, "the stylesheet's name carries no content hash"
    response = httpx.get(base + stylesheet.group(1), headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert "immutable" in response.headers["cache-control"]
    assert "max-age=315360000" in response.headers["cache-control"]
    assert response.headers["content-encoding"] == "gzip"


def test_twenty_clients_at_once_get_no_error_and_each_view_is_audited(served):
    base, database, _server = served
    with sqlite3.connect(database) as db:
        people = [r[0] for r in db.execute("SELECT person_id FROM deter_cohortentry LIMIT 10")]
        before = db.execute("SELECT COUNT(*) FROM deter_auditevent").fetchone()[0]
    urls = ["/cohort/", "/programmes/", "/meetings/", *[f"/people/{p}/" for p in people]]
    statuses = run_in_own_loop(_drive(base, urls))
    assert statuses == {200: REQUESTS}
    with sqlite3.connect(database) as db:
        after = db.execute("SELECT COUNT(*) FROM deter_auditevent").fetchone()[0]
    # Each page view writes one row at least; the sign-ins write theirs too.
    assert after - before >= REQUESTS + CLIENTS
    verify = subprocess.run([str(DETER), "audit", "verify"], cwd=database.parent,  # noqa: S603
                            env=_env(database.parent), capture_output=True, text=True,
                            check=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert f"audit chain intact: {after} rows" in verify.stdout


async def _drive(base: str, urls: list[str]) -> dict[int, int]:
    limits = httpx.Limits(max_connections=1)
    clients = [httpx.AsyncClient(limits=limits, timeout=120) for _ in range(CLIENTS)]
    sessions = [Session(c, base) for c in clients]
    await asyncio.gather(*(s.sign_in("coordinator", "deter-demo-coordinator")
                           for s in sessions))
    queue = iter([urls[i % len(urls)] for i in range(REQUESTS)])
    statuses: dict[int, int] = {}

    async def worker(session: Session) -> None:
        for url in queue:
            response = await session.get(url)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    await asyncio.gather(*(worker(s) for s in sessions))
    for client in clients:
        await client.aclose()
    return statuses
