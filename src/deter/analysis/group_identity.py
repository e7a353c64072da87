"""A found group's identity across runs, by member overlap.

Leiden labels groups by rank within one run (``N001``, ``N002``...), so the same street group
can be ``N006`` in one run and ``N002`` in the next. ``match_groups`` pairs each group of the
current run with a group of the previous run by the Jaccard overlap of their members
(shared / either), one to one, the strongest overlaps first: a pair is matched only when its
overlap is at least ``threshold`` and neither group has been matched to a stronger partner.
A matched group inherits the previous group's stable identity; an unmatched group is new.

The threshold, ``THRESHOLD = 0.3``, is the value Greene, Doyle and Cunningham (2010, "Tracking
the evolution of communities in dynamic social networks") found to track communities between
time steps; for a street group it means, for example, that a group of 10 keeps its identity
when 5 of its members are still together and 5 have left or been joined by others
(5 / 15 = 0.33), but not when only 3 of them are (3 / 17 = 0.18).  Ties are broken by the
labels, so the result does not depend on the order of the input.

>>> previous = {"N006": {"a", "b", "c", "d"}, "N001": {"x", "y"}}
>>> current = {"N002": {"a", "b", "c", "e"}, "N001": {"p", "q"}}
>>> match_groups(previous, current).sort("group_id").rows()
[('N001', None, 0.0), ('N002', 'N006', 0.6)]
"""

from collections.abc import Iterable, Mapping

import polars as pl

THRESHOLD = 0.3


def jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    """Shared members over members of either; 0 for two empty groups."""
    a, b = set(a), set(b)
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def match_groups(
    previous: Mapping[str, Iterable[str]], current: Mapping[str, Iterable[str]],
    threshold: float = THRESHOLD,
) -> pl.DataFrame:
    """One row per current group: ``group_id``, the ``previous_group`` it continues (null when
    it is new) and the ``jaccard`` overlap with it (0.0 when new)."""
    prev = {label: set(members) for label, members in previous.items()}
    cur = {label: set(members) for label, members in current.items()}
    owner = {person: label for label, members in prev.items() for person in members}
    pairs = []
    for label, members in cur.items():
        candidates = {owner[p] for p in members if p in owner}
        for old in candidates:
            score = jaccard(members, prev[old])
            if score >= threshold:
                pairs.append((-score, label, old))
    pairs.sort()
    matched: dict[str, tuple[str, float]] = {}
    taken: set[str] = set()
    for negative, label, old in pairs:
        if label in matched or old in taken:
            continue
        matched[label] = (old, -negative)
        taken.add(old)
    rows = [(label, *matched.get(label, (None, 0.0))) for label in sorted(cur)]
    return pl.DataFrame(rows, schema={"group_id": pl.String, "previous_group": pl.String,
                                      "jaccard": pl.Float64}, orient="row")
