"""The panel at a real proposal count: page size and server time with 1,000 proposals, against
the alternative a coordinator had before, every proposal on one page.

The demo is built as ``make demo`` builds it (the synthetic county, seed 1, analysed, the demo
agencies and users), then the coordinator starts a second programme and brings the analysis's
proposals to its panel, as the tester did; the proposals are topped up to ``--proposals`` with
the next-ranked people, each proposed by hand. Each page is fetched in-process with Django's
test client (the whole request: middleware, access policy, queries, template, audit row), as
the signed-in coordinator, ``--repeat`` times; the median is reported. The alternative is the
same panel with the page size raised so every proposal is on one page. A bulk rejection of
one page's proposals, with one reason, is timed too. Everything runs in a throwaway test
database (``test_<NAME>`` from DATABASE_URL, or SQLite in a file).

    .venv/bin/python -m benchmarks.panel_scale
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/deter_bench \\
        .venv/bin/python -m benchmarks.panel_scale --proposals 1000
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path


def build_demo(seed: int):
    from deter.analysis.extract import read_extract
    from deter.analysis.synth import synthesise, write_county
    from deter.web.demo.world import create_demo_world
    from deter.web.ingest.importer import load_extract
    from deter.web.ingest.runs import run_analysis

    folder = Path(tempfile.mkdtemp(prefix="deter-bench-panel-"))
    write_county(synthesise(seed=seed, scale="county"), folder)
    load_extract(read_extract(folder), source="synthetic county")
    run, _ = run_analysis()
    create_demo_world(run)
    return run


def a_panel_of(run, size: int):
    """A new programme of the VRU's, its panel holding ``size`` proposals: the run's own, then
    the next-ranked people proposed by hand."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from deter.web import actions
    from deter.web.actions.programmes import create_programme, set_current_run
    from deter.web.models import CohortEntry, StaffRole

    coordinator = User.objects.get(username="coordinator")
    programme = create_programme(
        coordinator, name="Panel at scale", problem="Serious violence across the county",
        area="The county", start=timezone.localdate(),
        agencies=[StaffRole.objects.filter(user=coordinator).first().agency])
    set_current_run(coordinator, programme, run.pk)
    brought = actions.propose_from_run(coordinator, programme, run)
    already = set(CohortEntry.objects.filter(programme=programme)
                  .values_list("person_id", flat=True))
    for score in run.people.exclude(person_id__in=already).order_by("rank")[:size - brought]:
        actions.propose(coordinator, programme, score.person,
                        rationale=f"Ranked {score.rank} by analysis run {run.pk}: brought to the "
                                  "panel by the coordinator", run=run)
    return coordinator, programme, brought


def fetch(client, url: str, repeat: int) -> tuple[int, float]:
    """(bytes, median seconds) of ``repeat`` GETs, each answered 200."""
    seconds, size = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        seconds.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
        size = len(response.content)
    return size, statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--proposals", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deter.web.settings")
    os.environ.setdefault("DETER_STATIC_MANIFEST", "false")  # no collectstatic here
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment, teardown_test_environment
    from django.urls import reverse

    from deter.web.models import CohortEntry
    from deter.web.views import panel

    setup_test_environment()
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        started = time.perf_counter()
        run = build_demo(args.seed)
        coordinator, programme, brought = a_panel_of(run, args.proposals)
        waiting = CohortEntry.objects.filter(programme=programme).count()
        print(f"{connection.vendor}: demo county seed {args.seed}; the run brought {brought} "
              f"proposals, {waiting} in all before the panel (built in "
              f"{time.perf_counter() - started:.0f} s)")
        client = Client()
        client.force_login(coordinator)
        url = reverse("panel", args=[programme.pk])
        pages = -(-waiting // panel.PAGE_SIZE)
        group = programme.groups.order_by("label").first()
        cases = [
            ("first page (sorted by harm)", url),
            ("page 25", f"{url}?page=25"),
            (f"last page ({pages})", f"{url}?page={pages}"),
            ("children only", f"{url}?child=yes"),
            ("one group", f"{url}?group={group.pk}" if group else url),
            ("search by id", f"{url}?q={run.people.order_by('rank')[3].person.person_id}"),
            ("groups, page 2", f"{url}?groups_page=2"),
            ("one person's decision page", reverse("panel_decide_person", args=[
                programme.pk, CohortEntry.objects.filter(programme=programme).first().pk])),
        ]
        print(f"{'page':<32} {'size':>10} {'server time':>12}")
        for label, address in cases:
            size, seconds = fetch(client, address, args.repeat)
            print(f"{label:<32} {size / 1024:>7.0f} KB {seconds * 1000:>9.0f} ms")
        paged = fetch(client, url, args.repeat)
        panel.PAGE_SIZE = waiting
        try:
            whole = fetch(client, url, max(1, args.repeat // 2))
        finally:
            panel.PAGE_SIZE = 20
        print(f"{'alternative: all on one page':<32} {whole[0] / 1024:>7.0f} KB "
              f"{whole[1] * 1000:>9.0f} ms")
        print(f"one page against all on one page: {whole[0] / paged[0]:.0f}x smaller, "
              f"{whole[1] / paged[1]:.0f}x faster")
        page = list(CohortEntry.objects.filter(programme=programme, status="proposed")
                    .values_list("pk", flat=True)[:panel.PAGE_SIZE])
        started = time.perf_counter()
        response = client.post(reverse("panel_bulk_decide", args=[programme.pk]), {
            "bulk-entries": page, "bulk-to_status": "rejected",
            "bulk-reason": "Below the programme's threshold for this panel"})
        took = time.perf_counter() - started
        assert response.status_code == 302, response.status_code
        rejected = CohortEntry.objects.filter(pk__in=page, status="rejected").count()
        print(f"bulk rejection of {rejected} proposals with one reason: {took * 1000:.0f} ms")
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()
