"""Evaluate a force-scale programme with every design, as the evaluation page does.

Reuses (or loads) ``benchmarks.web_pages``' full database on PostgreSQL: the synthetic force's
1,000,000 events folded onto 50,000 people, a complete analysis run and the demo programme
with a cohort of 400 people in 15 groups. There the panel accepted everyone on one day; for
this measurement, inside a transaction rolled back afterwards, the acceptances are spread
over the past year (each person's and each group's decision moved to a day 1-365 days ago), so
every design has months before and after. Then, for each design, the whole read model the
page renders (``queries.programme_evaluation.build``: the cohort, the comparison pool of
2,000, every event of theirs, the estimate, the fidelity and the evidence) and its tables,
timed three times (the median reported), and the self-contained HTML report once.

    .venv/bin/python -m benchmarks.evaluation_page
    .venv/bin/python -m benchmarks.evaluation_page --out docs/benchmarks.md

There is no other product to set beside the page; ``benchmarks.evaluation`` sets the methods
beside the libraries a user would otherwise call (csdid, pysyncon).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.web_pages import FULL, ROOT, SERVER, database_url, ensure_database

DESIGNS = ("its", "matched", "did", "synthetic")
REPEATS = 3


def _measure() -> dict:
    import datetime as dt
    import random

    import django
    from django.db import transaction
    from django.db.models import Q

    django.setup()
    from django.contrib.auth import get_user_model
    from django.template.loader import render_to_string
    from django.utils import timezone

    from deter.web import models as m
    from deter.web.demo import world as demo_world
    from deter.web.queries import programme_evaluation as query
    from deter.web.views import evaluation as evaluation_views

    programme = m.Programme.objects.get(name=demo_world.PROGRAMME_NAME)
    coordinator = get_user_model().objects.get(username="coordinator")
    found: dict = {"designs": {}}
    with transaction.atomic():
        rng = random.Random(1)
        now = timezone.now()
        decisions = list(m.CohortDecision.objects.filter(
            to_status=m.CohortStatus.ACTIVE).filter(
            Q(entry__programme=programme) | Q(group__programme=programme)))
        for decision in decisions:
            decision.decided_at = now - dt.timedelta(days=rng.randint(1, 365))
        m.CohortDecision.objects.bulk_update(decisions, ["decided_at"])
        found["accepted_decisions"] = len(decisions)
        for design in DESIGNS:
            times, result = [], None
            for _ in range(REPEATS):
                began = time.perf_counter()
                result = query.build(coordinator, programme, design=design)
                query.tables(result)
                times.append(time.perf_counter() - began)
            found["designs"][design] = {
                "median_s": round(statistics.median(times), 2),
                "headline": query.headline(result)[1]}
        began = time.perf_counter()
        result = query.build(coordinator, programme, design="did")
        render_to_string("deter/evaluation/programme_report.html",
                         evaluation_views._report_context(result))
        found["html_report_s"] = round(time.perf_counter() - began, 2)
        found["people"] = m.Person.objects.count()
        found["events"] = m.Event.objects.count()
        found["accepted"] = result.accepted
        transaction.set_rollback(True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default=SERVER)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "deter-bench")
    parser.add_argument("--out", type=Path, help="also append the results (Markdown) here")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.child.write_text(json.dumps(_measure()))
        return
    args.work.mkdir(parents=True, exist_ok=True)
    load = ensure_database(FULL, args.server, args.work)
    print(f"database: {'reused' if load['reused'] else 'loaded'}", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "result.json"
        env = os.environ | {"DATABASE_URL": database_url(FULL, args.server),
                            "DETER_ENV": "demo", "DJANGO_SETTINGS_MODULE": "deter.web.settings",
                            "DETER_STATIC_MANIFEST": "false"}
        subprocess.run([sys.executable, "-m", "benchmarks.evaluation_page",  # noqa: S603
                        "--child", str(out)], cwd=ROOT, env=env, check=True)
        found = json.loads(out.read_text())
    total = sum(d["median_s"] for d in found["designs"].values())
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [f"### Evaluation page at force scale, {when}", "",
             f"{found['people']:,} people, {found['events']:,} events on PostgreSQL, "
             f"{found['accepted']} people accepted ({found['accepted_decisions']} decisions "
             f"spread over the past year); {platform.machine()}, {os.cpu_count()} cores, "
             f"median of {REPEATS}.",
             "",
             "| Design | Seconds (read model and tables) | Headline |",
             "|---|---:|---|"]
    lines += [f"| {design} | {d['median_s']} | {d['headline']} |"
              for design, d in found["designs"].items()]
    lines += ["", f"Every design: **{total:.1f} s** against the 60 s goal; the HTML report "
              f"(the read model again, its charts and the template): {found['html_report_s']} s.",
              ""]
    text = "\n".join(lines)
    print(text)
    if args.out:
        with args.out.open("a") as handle:
            handle.write("\n" + text)


if __name__ == "__main__":
    main()
