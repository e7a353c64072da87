"""The demo's SQLite database under concurrent clients: Django's development server (what
`deter serve` was) beside `deter serve` (gunicorn, WAL, IMMEDIATE transactions).

Every page view writes an audit row, so on SQLite the pages' writes meet each other: the
development server answered 1.3% of requests with "database is locked" at 20 clients. This
builds the demo once (``deter demo --no-serve``, the county, seed 1) in a work folder, then for
each server signs in ``--clients`` sessions as the demo's coordinator and drives the cohort list,
person pages, the programme's panel and a meeting from one shared queue; every answer that is
not 200 is an error.

    .venv/bin/python -m benchmarks.serve_sqlite                   # both servers, print a table
    .venv/bin/python -m benchmarks.serve_sqlite --out docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.web_pages import Session, free_port, load_average, percentile

ROOT = Path(__file__).resolve().parents[1]
DETER = Path(sys.executable).with_name("deter")
USER, PASSWORD = "coordinator", "deter-demo-coordinator"


def build_demo(work: Path) -> Path:
    database = work / "deter.sqlite3"
    if not database.exists():
        work.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(DETER), "demo", "--no-serve"], cwd=work, check=True,  # noqa: S603
                       stdout=subprocess.DEVNULL, env=_env(work))
    return database


def _env(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return env | {"DETER_STATIC_ROOT": str(work / "static")}


def page_urls(database: Path) -> list[str]:
    with sqlite3.connect(database) as db:
        people = [r[0] for r in db.execute(
            "SELECT person_id FROM deter_cohortentry ORDER BY id LIMIT 30")]
        programme = db.execute("SELECT MIN(id) FROM deter_programme").fetchone()[0]
        meeting = db.execute("SELECT MIN(id) FROM deter_meeting").fetchone()[0]
    return (["/cohort/"] * 10 + [f"/people/{p}/" for p in people]
            + [f"/programmes/{programme}/panel/"] * 5 + [f"/meetings/{meeting}/"] * 5)


def start(kind: str, work: Path, port: int, workers: int) -> subprocess.Popen:
    if kind == "runserver":
        command = [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}",
                   "--noreload", "--settings", "benchmarks.default_sqlite_settings"]
        env = _env(work) | {"DETER_STATIC_MANIFEST": "false", "PYTHONPATH": str(ROOT)}
    else:
        command = [str(DETER), "serve", "--port", str(port), "--workers", str(workers)]
        env = _env(work)
    return subprocess.Popen(command, cwd=work, env=env,  # noqa: S603
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_until_up(base: str, server: subprocess.Popen) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped (exit {server.returncode})")
        try:
            httpx.get(f"{base}/sign-in/", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.3)
    raise SystemExit("the server did not answer within a minute")


async def drive(base: str, urls: list[str], clients: int, requests: int) -> dict:
    import httpx

    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    pool = [httpx.AsyncClient(limits=limits, timeout=120) for _ in range(clients)]
    sessions = [Session(c, base) for c in pool]
    for session in sessions:
        await session.sign_in(USER, PASSWORD)
    queue = iter([urls[i % len(urls)] for i in range(requests)])
    times: list[float] = []
    errors: list[str] = []

    async def worker(session: Session) -> None:
        for url in queue:
            started = time.perf_counter()
            response = await session.get(url)
            elapsed = time.perf_counter() - started
            if response.status_code == 200:
                times.append(elapsed)
            else:
                locked = "locked" in response.text
                errors.append(f"{url}: HTTP {response.status_code}"
                              + (" (database is locked)" if locked else ""))

    started = time.perf_counter()
    await asyncio.gather(*(worker(s) for s in sessions))
    wall = time.perf_counter() - started
    for client in pool:
        await client.aclose()
    return {"times": times, "errors": errors, "wall": wall}


def measure(kind: str, work: Path, clients: int, requests: int, workers: int) -> dict:
    port = free_port()
    server = start(kind, work, port, workers)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base, server)
        return asyncio.run(drive(base, page_urls(work / "deter.sqlite3"), clients, requests))
    finally:
        server.terminate()
        server.wait(30)


def row(label: str, result: dict) -> str:
    t = [s * 1000 for s in result["times"]]
    errors = len(result["errors"])
    total = len(t) + errors
    return (f"| {label} | {total} | {errors} ({100 * errors / total:.1f}%) | "
            f"{percentile(t, 0.5):.0f} | {percentile(t, 0.95):.0f} | {max(t):.0f} | "
            f"{len(t) / result['wall']:.1f} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.serve_sqlite",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path,
                        default=Path(tempfile.gettempdir()) / "deter-serve-benchmark")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (default: "
                        "deter serve's own, two a core plus one)")
    parser.add_argument("--rebuild", action="store_true", help="build the demo afresh")
    parser.add_argument("--out", type=Path, help="append the table to this Markdown file")
    args = parser.parse_args(argv)
    if args.rebuild and args.work.exists():
        shutil.rmtree(args.work)
    build_demo(args.work)
    results = {kind: measure(kind, args.work, args.clients, args.requests, args.workers)
               for kind in ("runserver", "deter serve")}
    lines = [f"{args.clients} clients, {args.requests} requests each server, the demo's SQLite "
             f"(county, seed 1); load average after: {load_average()}", "",
             "| server | requests | errors | p50 ms | p95 ms | max ms | pages/s |",
             "|---|---|---|---|---|---|---|"]
    lines += [row(kind, result) for kind, result in results.items()]
    old, new = results["runserver"], results["deter serve"]
    p95 = percentile(old["times"], 0.95) / percentile(new["times"], 0.95)
    rate = (len(new["times"]) / new["wall"]) / (len(old["times"]) / old["wall"])
    lines += ["", f"deter serve against runserver: p95 {p95:.1f}x lower, {rate:.1f}x the pages "
              "a second"]
    for kind, result in results.items():
        for error in sorted(set(result["errors"]))[:5]:
            lines.append(f"- {kind}: {error}")
    text = "\n".join(lines)
    print(text)
    if args.out:
        with args.out.open("a") as out:
            out.write("\n" + text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
