"""Fifty people using Deter at once, as staff do: a load test with think time.

The production server (gunicorn, ``DETER_ENV=production``: two-factor required, secure
settings) over ``benchmarks.web_pages``' full PostgreSQL database (50,000 people, 1,000,000
events, the demo programme with its cohort of 400 and the next panel). Fifty simulated users,
each a coordinator or a caseworker with their own account, password and authenticator:

* each signs in (the sign-in page, the password, then the six-digit code of their own TOTP
  device, computed as their phone would), and signs out and in again every ``--session``
  seconds;
* between requests each waits 1 to 5 seconds (uniformly: reading the page), then opens the
  cohort list (a random page of it), a person of the cohort, the next panel's page or the
  programme list, or writes: saves the panel's notes (the form read off the meeting page, with
  its CSRF token, posted back);
* every answer is checked: 200 for a page, 302 for a sign-in step or a saved form; anything
  else, or a page that is not what was asked for, is an error.

The users are made (or reset) in the database first: ``load-00`` to ``load-49``, each with the
demo coordinator's or caseworker's roles, a random password and a TOTP device.

    .venv/bin/python -m benchmarks.think_time_load                      # 10 minutes
    .venv/bin/python -m benchmarks.think_time_load --minutes 2 --users 20
    .venv/bin/python -m benchmarks.think_time_load --out docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import load_users
from benchmarks.web_pages import (
    FULL,
    ROOT,
    SERVER,
    Session,
    database_url,
    ensure_database,
    free_port,
    load_average,
    machine,
    percentile,
    serve,
    targets,
    wait_until_up,
)

THINK = (1.0, 5.0)  # seconds between one user's requests
# what a user does next, and how often (the rest of the time: reading a page)
MIX = (("cohort", 35), ("person", 30), ("meeting", 15), ("programmes", 10), ("notes", 10))
TAGS = re.compile(r"<[^>]+>|\s+")
TOKEN = load_users.TOKEN


def _prepare(users: int) -> dict:
    """Make or reset the load-test users; the URLs they visit. Runs against $DATABASE_URL."""
    import django

    django.setup()
    from django.contrib.auth.models import User

    from deter.web import policy

    made = load_users.make(users)
    urls = targets()
    # a caseworker opens the people of their own caseload, as the policy lets them see
    caseworker = User.objects.get(username=made[1]["username"]) if users > 1 else None
    seen = set(policy.people.visible(caseworker).values_list("pk", flat=True)) \
        if caseworker else set()
    urls["caseworker person"] = [u for u in urls["person"]
                                 if int(u.rstrip("/").rsplit("/", 1)[1]) in seen]
    return {"users": made, "urls": urls}


@dataclass
class Tally:
    times: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def add(self, kind: str, started: float, response, expected: int, note: str = "") -> bool:
        return self.record(kind, time.perf_counter() - started, response, expected, note)

    def record(self, kind: str, elapsed: float, response, expected: int,
               note: str = "") -> bool:
        if response.status_code != expected:
            said = (f"to {response.headers.get('location')}" if response.is_redirect
                    else TAGS.sub(" ", response.text)[:160])
            self.errors.append(f"{kind} {note}: HTTP {response.status_code} {said}")
            return False
        self.times.setdefault(kind, []).append(elapsed)
        return True


async def _sign_in(session: Session, user: dict, tally: Tally) -> None:
    for step, seconds, response in await load_users.sign_in(session, user):
        tally.record(step, seconds, response, 302, user["username"])


async def _sign_out(session: Session, tally: Tally) -> None:
    page = await session.get("/programmes/")
    token = TOKEN.search(page.text)
    started = time.perf_counter()
    response = await session.client.post(session.base + "/sign-out/", headers=session._header(),
                                         data={"csrfmiddlewaretoken": token.group(1)
                                               if token else ""})
    session._keep(response)
    tally.add("sign out", started, response, 302)
    session.cookies.clear()


async def _save_notes(session: Session, meeting: str, user: dict, tally: Tally) -> None:
    page = await session.get(meeting)
    form = re.search(r'<form[^>]*action="([^"]*/notes/)"(.*?)</form>', page.text, re.S)
    if page.status_code != 200 or form is None:
        tally.errors.append(f"notes: no notes form on {meeting} (HTTP {page.status_code})")
        return
    data = dict(re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"',
                           form.group(2)))
    data["notes-notes"] = f"Load test note from {user['username']} at {time.time():.0f}."
    started = time.perf_counter()
    response = await session.client.post(session.base + form.group(1),
                                         headers=session._header(), data=data)
    session._keep(response)
    tally.add("save the panel's notes", started, response, 302)


async def _user(base: str, user: dict, urls: dict, until: float, session_seconds: float,
                seed: int, tally: Tally) -> None:
    import httpx

    rng = random.Random(seed)
    kinds, weights = zip(*MIX, strict=True)
    async with httpx.AsyncClient(timeout=120) as client:
        session = Session(client, base, https=True)
        await asyncio.sleep(rng.uniform(0, 10))  # people do not all arrive at once
        await _sign_in(session, user, tally)
        signed_in = time.monotonic()
        while time.monotonic() < until:
            await asyncio.sleep(rng.uniform(*THINK))
            if time.monotonic() - signed_in > session_seconds:
                await _sign_out(session, tally)
                await _sign_in(session, user, tally)
                signed_in = time.monotonic()
                continue
            kind = rng.choices(kinds, weights)[0]
            if kind == "notes":  # the panel's chair, the coordinator, keeps its notes
                if urls["meeting"] and user["like"] == "coordinator":
                    await _save_notes(session, urls["meeting"][0], user, tally)
                continue
            choices = urls.get("caseworker person" if kind == "person"
                               and user["like"] == "caseworker" else kind)
            if not choices:
                continue
            url = rng.choice(choices)
            started = time.perf_counter()
            response = await session.get(url)
            tally.add(kind, started, response, 200, url)


def _warm_up(base: str, workers: int) -> None:
    """A few pages for every worker first, so that no user's first request pays for a worker
    loading the code (as on a server that has been up a while)."""
    import httpx

    for _ in range(4 * workers):
        httpx.get(f"{base}/sign-in/", headers={"X-Forwarded-Proto": "https"}, timeout=60)


def _table(tally: Tally, wall: float) -> list[str]:
    lines = ["| request | count | p50 ms | p95 ms | p99 ms | max ms |",
             "|---|---:|---:|---:|---:|---:|"]
    everything = []
    for kind, times in sorted(tally.times.items()):
        everything += times
        lines.append(f"| {kind} | {len(times)} | {percentile(times, 0.5) * 1000:.0f} | "
                     f"{percentile(times, 0.95) * 1000:.0f} | "
                     f"{percentile(times, 0.99) * 1000:.0f} | {max(times) * 1000:.0f} |")
    if everything:
        lines.append(f"| **all** | {len(everything)} | "
                     f"{percentile(everything, 0.5) * 1000:.0f} | "
                     f"**{percentile(everything, 0.95) * 1000:.0f}** | "
                     f"{percentile(everything, 0.99) * 1000:.0f} | "
                     f"{max(everything) * 1000:.0f} |")
    lines += ["", f"{len(everything) / wall:.1f} requests a second over {wall:.0f} s; "
              f"**{len(tally.errors)} errors**" + (f" (first: {tally.errors[0]})"
                                                   if tally.errors else ".")]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default=SERVER)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "deter-bench")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--session", type=float, default=300.0,
                        help="seconds before each user signs out and in again (300)")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1,
                        help="gunicorn workers (as deter serve: two a core, plus one)")
    parser.add_argument("--out", type=Path, help="also append the results (Markdown) here")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.child.write_text(json.dumps(_prepare(args.users)))
        return
    args.work.mkdir(parents=True, exist_ok=True)
    ensure_database(FULL, args.server, args.work)
    url = database_url(FULL, args.server)
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "users.json"
        env = os.environ | {"DATABASE_URL": url, "DETER_ENV": "demo",
                            "DJANGO_SETTINGS_MODULE": "deter.web.settings",
                            "DETER_STATIC_MANIFEST": "false"}
        subprocess.run([sys.executable, "-m", "benchmarks.think_time_load",  # noqa: S603
                        "--users", str(args.users), "--child", str(out)], cwd=ROOT, env=env,
                       check=True)
        prepared = json.loads(out.read_text())
    port = free_port()
    server = serve(url, args.workers, port, args.work / "think-time-gunicorn.log")
    base = f"http://127.0.0.1:{port}"
    tally = Tally()
    before = load_average()
    try:
        wait_until_up(base, server)
        _warm_up(base, args.workers)
        started = time.perf_counter()
        until = time.monotonic() + args.minutes * 60

        async def everyone():
            await asyncio.gather(*(
                _user(base, user, prepared["urls"], until, args.session, n, tally)
                for n, user in enumerate(prepared["users"])))

        asyncio.run(everyone())
        wall = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [f"### {args.users} users with think time, {when}", "",
             f"{args.users} simulated users ({THINK[0]:g}-{THINK[1]:g} s between requests, "
             f"signing in again every {args.session:.0f} s) for {args.minutes:g} minutes on "
             f"gunicorn ({args.workers} workers, production settings) over PostgreSQL "
             f"(50,000 people, 1,000,000 events); {machine()}; load average before "
             f"{before}, after {load_average()}.", "", *_table(tally, wall), ""]
    text = "\n".join(lines)
    print(text)
    if tally.errors:
        print("errors:", *tally.errors[:20], sep="\n  ")
    if args.out:
        with args.out.open("a") as handle:
            handle.write("\n" + text)


if __name__ == "__main__":
    main()
