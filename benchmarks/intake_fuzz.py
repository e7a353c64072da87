"""Malformed extracts by the hundred thousand: every one refused with a message naming its
place, or accepted and loaded whole, never a traceback or a partial import, and the same
outcomes on SQLite and PostgreSQL.

Each case starts from one valid small extract (``BASE``) and applies one to three random
mutations: a cell replaced by a value chosen to hurt (``NASTY``: NaN, 1e308, year 0, 9999,
NUL, quotes, over-long text...), a line inserted, cut short or deleted, a value spliced in
anywhere (quotes and newlines included), or a table removed.  Accepted extracts are loaded
into the database in a transaction that is then rolled back.

    DATABASE_URL=sqlite:////tmp/fuzz.sqlite3 .venv/bin/deter migrate
    DATABASE_URL=sqlite:////tmp/fuzz.sqlite3 .venv/bin/python -m benchmarks.intake_fuzz \\
        --cases 100000 --seed 1

The printed digest hashes every case's outcome (its message or its counts): equal digests on
the two backends mean identical outcomes.  ``tests/test_importer_fuzz.py`` runs the same
mutations, drawn by Hypothesis, in CI.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

BASE = {
    "people": "person_id,date_of_birth,sex,ethnicity\nP1,2008-02-29,male,black\nP2,,,\n"
              "P3,1990-01-01,female,white\n",
    "events": "event_id,occurred_at,offence_code,offence_category,latitude,longitude,lsoa_code\n"
              "E1,2025-06-01T23:15:00Z,8N,violence and sexual offences,53.5,-1.5,E01000001\n"
              "E2,2025-06-02T10:00:00Z,34B,robbery,53.5,-1.5,E01000001\n"
              "E3,2025-06-03T10:00:00Z,46,,,,\n",
    "involvements": "event_id,person_id,role\nE1,P1,suspect\nE1,P2,victim\nE2,P1,suspect\n"
                    "E2,P3,victim\nE3,P3,suspect\n",
    "associations": "person_a,person_b,kind,weight,observed_at,source\n"
                    "P1,P2,seen_together,2,2025-01-01,stop_search\n",
    "groups": "group_id,name,kind\nG1,Northgate,street_group\n",
    "memberships": "person_id,group_id,start,end,source,confidence\n"
                   "P1,G1,2024-01-01,,police_intelligence,0.8\n",
}
NASTY = (
    "", " ", "NaN", "nan", "inf", "-inf", "1e308", "-1e308", "1e-320", "-0", "0x10", "1_000",
    "-1", "2", "1.5", "1e6", "1000001", "0000-01-01", "9999-12-31", "2099-01-01",
    "1899-12-31", "2025-02-30", "2025-13-01", "20250601", "2025-06-01T25:00:00",
    "2025-06-01T23:15:00+05:00", "2025-06-01Z", "12:00", "x" * 300, "y" * 65, "z" * 17, "\x00",
    '"', '""', '"a"', "a,b", "\r", "\n", "\r\n", "\ufeff", "é", "\U0001f4a5", "  P1  ", "P1",
    "P2", "E1", "G1", "suspect", "VICTIM", "male", "null", "None", "true",
)
KINDS = ("cell", "insert", "truncate", "splice", "delete_line", "remove_table")


@dataclass(frozen=True)
class Mutation:
    kind: str
    table: str
    line: int  # taken modulo the file's lines
    position: int  # field or character, modulo the line's
    value: str

    def apply(self, folder: Path) -> None:
        path = folder / f"{self.table}.csv"
        if not path.exists():
            return
        if self.kind == "remove_table":
            path.unlink()
            return
        text = path.read_text(encoding="utf-8")
        lines = text.split("\n")
        i = self.line % len(lines)
        if self.kind == "cell":
            fields = lines[i].split(",")
            fields[self.position % len(fields)] = self.value
            lines[i] = ",".join(fields)
        elif self.kind == "insert":
            lines.insert(i, self.value if self.position % 2 else lines[i - 1 if i else 0])
        elif self.kind == "truncate":
            lines[i] = lines[i][: self.position % (len(lines[i]) + 1)]
        elif self.kind == "delete_line":
            del lines[i]
        else:  # splice
            k = self.position % (len(text) + 1)
            path.write_text(text[:k] + self.value + text[k:], encoding="utf-8")
            return
        path.write_text("\n".join(lines), encoding="utf-8")


def random_mutations(rng: random.Random) -> list[Mutation]:
    return [
        Mutation(rng.choice(KINDS), rng.choice(list(BASE)), rng.randrange(8), rng.randrange(400),
                 rng.choice(NASTY))
        for _ in range(rng.choice((1, 1, 2, 3)))
    ]


def write_case(folder: Path, mutations: list[Mutation]) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name, text in BASE.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    for mutation in mutations:
        mutation.apply(folder)


class Rollback(Exception):
    pass


def outcome(folder: Path) -> tuple[str, str]:
    """("refused" | "accepted" | "partial" | "crash", detail) for one case, in Django."""
    from django.db import transaction

    from deter.analysis.extract import ExtractError, read_extract
    from deter.analysis.pipeline import check_analysable
    from deter.web.ingest.importer import load_extract

    before = counts()
    try:
        extract = read_extract(folder)
        check_analysable(extract)
        with transaction.atomic():
            summary = load_extract(extract, source="fuzz")
            detail = str(summary)
            raise Rollback
    except Rollback:
        return ("accepted", detail) if counts() == before else ("partial", detail)
    except ExtractError as error:
        if counts() != before:
            return "partial", str(error)
        placed = error.row is not None or error.file == "extract.json"
        return ("refused" if placed else "refused without a row"), str(error)
    except Exception as error:  # noqa: BLE001 (what the run exists to find)
        return "crash", "".join(traceback.format_exception_only(error)).strip()


def counts() -> tuple[int, ...]:
    from deter.web.models import (
        Association,
        Event,
        Involvement,
        Location,
        Membership,
        Person,
        RecordedGroup,
    )

    return tuple(m.objects.count() for m in (Person, Event, Location, Involvement, Association,
                                             RecordedGroup, Membership))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deter.web.settings")
    import django

    django.setup()
    from django.db import connection

    rng = random.Random(args.seed)
    tally: Counter[str] = Counter()
    digest = hashlib.sha256()
    examples: dict[str, str] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="deter-fuzz-") as work:
        folder = Path(work) / "case"
        for case in range(args.cases):
            write_case(folder, random_mutations(rng))
            kind, detail = outcome(folder)
            tally[kind] += 1
            digest.update(f"{case}\t{kind}\t{detail}\n".encode())
            if kind not in ("accepted", "refused"):
                examples.setdefault(kind, f"case {case}: {detail}")
    seconds = time.perf_counter() - started
    print(f"{args.cases:,} cases on {connection.vendor} (seed {args.seed}) in {seconds:.0f} s: "
          + ", ".join(f"{n:,} {kind}" for kind, n in sorted(tally.items())))
    print(f"outcome digest {digest.hexdigest()}")
    for kind, example in examples.items():
        print(f"first {kind}: {example}")
    return 0 if set(tally) <= {"accepted", "refused"} else 1


if __name__ == "__main__":
    sys.exit(main())
