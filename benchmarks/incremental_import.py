"""The weekly refresh: a week's extract imported into a county-sized database, against the
alternative, re-importing everything into a fresh database.

The synthetic county (``deter synth``, seed 1 unless ``--seed``) is split at seven days before
its last event: the database first holds everything before (imported, not timed); the week's
extract then holds the week's events and involvements, every person they involve (as a force's
extract carries them, a twentieth with a corrected ethnicity) and the week's associations. The
alternative reads and imports the whole county (before and the week) into an empty database.
Each in a throwaway test database (``test_<NAME>`` from DATABASE_URL, or SQLite in a file).

    .venv/bin/python -m benchmarks.incremental_import
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/deter_bench \\
        .venv/bin/python -m benchmarks.incremental_import
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path


def split(county, days: int = 7):
    import polars as pl

    from deter.analysis.extract import Extract

    cut = county.events["occurred_at"].max() - timedelta(days=days)
    before_events = county.events.filter(pl.col("occurred_at") <= cut)
    week_events = county.events.filter(pl.col("occurred_at") > cut)
    inv = county.involvements
    week_inv = inv.filter(pl.col("event_id").is_in(week_events["event_id"].implode()))
    before_inv = inv.filter(pl.col("event_id").is_in(before_events["event_id"].implode()))
    assoc = county.associations
    week_assoc = assoc.filter(pl.col("observed_at") > cut.date())
    before = Extract.from_frames(
        people=county.people, events=before_events, involvements=before_inv,
        associations=assoc.filter(~pl.col("observed_at").is_in(week_assoc["observed_at"]
                                                                .implode())
                                  | pl.col("observed_at").is_null()),
        groups=county.groups, memberships=county.memberships)
    involved = county.people.filter(pl.col("person_id").is_in(
        pl.concat([week_inv["person_id"], week_assoc["person_a"], week_assoc["person_b"]])
        .implode()))
    corrected = involved.with_columns(
        pl.when(pl.int_range(pl.len()) % 20 == 0).then(pl.lit("corrected"))
        .otherwise(pl.col("ethnicity")).alias("ethnicity"))
    week = Extract.from_frames(people=corrected, events=week_events, involvements=week_inv,
                               associations=week_assoc)
    return before, week


def timed(label: str, body, results: dict):
    started = time.perf_counter()
    value = body()
    results[label] = time.perf_counter() - started
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", default="county")
    parser.add_argument("--profile", action="store_true",
                        help="profile a third import of the week (nothing changes)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deter.web.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    from deter.analysis.extract import read_extract, write_extract
    from deter.analysis.synth import synthesise, write_county
    from deter.web.ingest.importer import load_extract

    county_folder = Path(tempfile.mkdtemp(prefix="deter-bench-county-"))
    write_county(synthesise(seed=args.seed, scale=args.scale), county_folder)
    county = read_extract(county_folder)
    before, week = split(county)
    folders = {name: Path(tempfile.mkdtemp(prefix=f"deter-bench-{name}-"))
               for name in ("before", "week")}
    write_extract(before, folders["before"])
    write_extract(week, folders["week"])
    as_of = county.events["occurred_at"].max().date()

    setup_test_environment()
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    t: dict[str, float] = {}
    try:
        full = timed("alternative: read the whole county", lambda: read_extract(
            county_folder, as_of), t)
        timed("alternative: import it into an empty database",
              lambda: load_extract(full, "county"), t)
        call_command("flush", interactive=False, verbosity=0)
        load_extract(read_extract(folders["before"], as_of), "before")
        extract = timed("incremental: read the week", lambda: read_extract(
            folders["week"], as_of, references=False), t)
        summary = timed("incremental: import it into the county's database",
                        lambda: load_extract(extract, "week"), t)
        again = timed("incremental: the same week again (nothing changes)",
                      lambda: load_extract(extract, "week again"), t)
        assert not again.changed
        if args.profile:
            import cProfile
            import pstats

            with cProfile.Profile() as profile:
                load_extract(extract, "week profiled")
            pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
        print(f"{connection.vendor}, {args.scale} seed {args.seed}: county "
              f"{county.people.height:,} people, {county.events.height:,} events, "
              f"{county.involvements.height:,} involvements; week {week.events.height:,} "
              f"events, {week.involvements.height:,} involvements, {week.people.height:,} "
              "people")
        for line in summary.lines():
            print(f"  week: {line}")
        for label, seconds in t.items():
            print(f"  {label:<55} {seconds:7.2f} s")
        whole = t["alternative: read the whole county"] + t[
            "alternative: import it into an empty database"]
        part = t["incremental: read the week"] + t[
            "incremental: import it into the county's database"]
        print(f"  read + import: incremental {part:.2f} s, alternative {whole:.2f} s "
              f"({whole / part:.1f}x)")
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()
