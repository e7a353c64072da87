"""Does a letter download answer a hidden letter as fast as a missing one?

A 404 that takes longer for a letter that exists tells whoever asks that it exists
(docs/adr/0004-hidden-is-missing.md). This builds the test world in a throwaway test database
(``test_<NAME>``, from DATABASE_URL; PostgreSQL is the one to measure), writes one letter, and
asks for it ``--n`` times as a user who may not see it (hidden) and for a key that does not
exist (missing), interleaved, through Django's test client: the median and 90th percentile in
milliseconds of each, and the difference.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/deter_bench \\
        .venv/bin/python -m benchmarks.letter_404_timing --n 200
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time


def _milliseconds(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.9)] * 1000


def _more_letters(world, count: int) -> None:
    """``count`` more people in the programme, each with a letter: tables of some size for
    the visibility subqueries to work through."""
    from django.utils import timezone

    from deter.web.models import CohortEntry, Intervention, Letter, Person

    people = Person.objects.bulk_create(Person(person_id=f"P-BULK-{i:06}") for i in range(count))
    CohortEntry.objects.bulk_create(
        CohortEntry(programme=world.programme, person=p, status="active", rationale="bulk",
                    review_date=timezone.localdate()) for p in people)
    interventions = Intervention.objects.bulk_create(
        Intervention(programme=world.programme, person=p, kind="communication",
                     category="letter", title="Letter", agency=world.vru,
                     created_by=world.coordinator) for p in people)
    Letter.objects.bulk_create(
        Letter(intervention=i, recipient="R", body="B", created_by=world.coordinator)
        for i in interventions)


def measure(n: int, fmt: str, who: str, more: int = 0) -> dict[str, tuple[float, float]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from tests.web.factories import make_world

    from deter.web.actions import letters as letter_actions
    from deter.web.models import CohortEntry

    world = make_world()
    _more_letters(world, more)
    entry = CohortEntry.objects.get(programme=world.programme, person=world.active)
    template = letter_actions.save_letter_template(
        world.coordinator, world.programme, name="Notice", kind="letter",
        body="Dear $recipient,\n\nHelp is here.")
    letter = letter_actions.generate_letter(world.coordinator, entry, template, "Jo Bloggs",
                                            "1 Mill Lane")
    client = Client()
    client.force_login(getattr(world, who))  # the analyst sees the person, not their letters
    urls = {"hidden": reverse(f"letter_{fmt}", args=[letter.pk]),
            "missing": reverse(f"letter_{fmt}", args=[letter.pk + 100_000])}
    for url in urls.values():  # warm up: imports, connections, the template cache
        for _ in range(10):
            assert client.get(url).status_code == 404
    for name, url in urls.items():
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        print(f"  {name}: {len(queries)} queries")
    samples: dict[str, list[float]] = {name: [] for name in urls}
    for _ in range(n):
        for name, url in urls.items():
            start = time.perf_counter()
            status = client.get(url).status_code
            samples[name].append(time.perf_counter() - start)
            assert status == 404, (name, status)
    return {name: _milliseconds(times) for name, times in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="requests of each kind")
    parser.add_argument("--format", choices=("docx", "pdf"), default="docx")
    parser.add_argument("--more", type=int, default=0,
                        help="add this many more people with a letter each")
    parser.add_argument("--user", choices=("analyst", "partner", "stranger"), default="analyst",
                        help="who asks (none of them may see the letter)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deter.web.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        logging.getLogger("django.request").setLevel(logging.ERROR)  # each 404 is expected
        results = measure(args.n, args.format, args.user, args.more)
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)
        teardown_test_environment()
    print(f"{connection.vendor}, {args.format}, as the {args.user}, {args.more} more letters, "
          f"n={args.n} each, interleaved")
    for kind, (median, p90) in results.items():
        print(f"  {kind:8} median {median:.2f} ms  p90 {p90:.2f} ms")
    print(f"  hidden - missing: {results['hidden'][0] - results['missing'][0]:+.2f} ms (median)")


if __name__ == "__main__":
    main()
