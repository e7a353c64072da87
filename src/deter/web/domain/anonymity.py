"""Pseudonyms, coarse values and k-anonymity for the evaluation export (ADR 10).

- ``pseudonym(key, person_id)``: a keyed HMAC-SHA256 of the police's pseudonymous id. The key
  is the evaluation agreement's own (``DataSharingAgreement.pseudonym_key``), so the same
  person has the same pseudonym in every export under one agreement (and its later versions)
  and an unrelated one under any other; without the key nobody can link a pseudonym to an id.
- Quasi-identifiers (``QUASI_IDENTIFIERS``): the columns someone who knows a person could
  match them by (entry period, age band, sex, ethnicity), each with a ladder of ever coarser
  values ending in ``*`` (withheld).
- ``anonymise(rows, names, k, max_suppressed)``: the least coarsening of whole columns, plus
  suppression of at most ``max_suppressed`` rows, after which every combination of the
  quasi-identifiers is shared by at least ``k`` rows. Every combination of ladder steps is
  tried (a few dozen), and the one losing least is kept: a released row loses, for each
  quasi-identifier, the share of its ladder climbed; a suppressed row loses everything.

Pure functions over plain values: no database.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

WITHHELD = "*"
UNKNOWN = "unknown"
PSEUDONYM_LENGTH = 16  # hex digits: 64 bits, no collision to expect within a programme
MAX_SUPPRESSED_SHARE = 0.1  # of the rows; beyond it, columns are coarsened instead


def pseudonym(key: str, person_id: str) -> str:
    digest = hmac.new(bytes.fromhex(key), person_id.encode(), hashlib.sha256).hexdigest()
    return digest[:PSEUDONYM_LENGTH]


# --- coarse values ---------------------------------------------------------------------------

FINE_AGE_BANDS = ((14, "under 14"), (16, "14-15"), (18, "16-17"), (21, "18-20"),
                  (25, "21-24"), (30, "25-29"), (40, "30-39"))
BROAD_AGE_BANDS = ((18, "under 18"), (25, "18-24"))


def age_on(born: date | None, day: date) -> int | None:
    if born is None:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _band(age: int | None, bands: Sequence[tuple[int, str]], top: str) -> str:
    if age is None:
        return UNKNOWN
    return next((label for below, label in bands if age < below), top)


def quarter(day: date | None) -> str:
    return UNKNOWN if day is None else f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def count_band(count: int) -> str:
    """Offence and victimisation counts, coarse: a count of 7 is as telling as a name."""
    return "0" if count == 0 else "1-2" if count <= 2 else "3-5" if count <= 5 else "6+"


def months_band(months: int) -> str:
    return "under 6" if months < 6 else "6-11" if months < 12 else "12 or more"


def top_coded(count: int, top: int = 10) -> str:
    return str(count) if count < top else f"{top}+"


@dataclass(frozen=True)
class QuasiIdentifier:
    """A column and its ladder: ``steps[i]`` turns the finest value into the value at level
    ``i``; ``labels[i]`` says in words what level ``i`` is."""

    name: str
    labels: tuple[str, ...]
    steps: tuple[Callable[[str], str], ...]

    @property
    def height(self) -> int:
        return len(self.steps) - 1

    def at(self, level: int, value: str) -> str:
        return self.steps[level](value)


def _keep(value: str) -> str:
    return value


def _withhold(value: str) -> str:
    return WITHHELD


def _half(value: str) -> str:
    if value == UNKNOWN:
        return value
    year, q = value.split("-Q")
    return f"{year}-H{1 if int(q) <= 2 else 2}"


def _year(value: str) -> str:
    return value if value == UNKNOWN else value.split("-")[0]


BROAD_OF_FINE = {"under 14": "under 18", "14-15": "under 18", "16-17": "under 18",
                 "18-20": "18-24", "21-24": "18-24"}


def _broad_age(value: str) -> str:
    return value if value == UNKNOWN else BROAD_OF_FINE.get(value, "25 or over")


def fine_age_band(age: int | None) -> str:
    return _band(age, FINE_AGE_BANDS, "40 or over")


QUASI_IDENTIFIERS = {
    "entry_period": QuasiIdentifier(
        "entry_period", ("quarter", "half year", "year", "withheld"),
        (_keep, _half, _year, _withhold)),
    "age_band": QuasiIdentifier(
        "age_band", ("bands of 2 to 10 years", "under 18, 18-24, 25 or over", "withheld"),
        (_keep, _broad_age, _withhold)),
    "sex": QuasiIdentifier("sex", ("as recorded", "withheld"), (_keep, _withhold)),
    "ethnicity": QuasiIdentifier("ethnicity", ("as recorded", "withheld"), (_keep, _withhold)),
}
# Which column to coarsen first when two choices lose the same: dates, then age, ethnicity, sex
PREFERENCE = ("entry_period", "age_band", "ethnicity", "sex")


# --- k-anonymity -----------------------------------------------------------------------------


@dataclass
class Anonymised:
    rows: list[dict[str, str]]  # the released rows, quasi-identifiers coarsened
    levels: dict[str, int]  # quasi-identifier -> the level of its ladder applied
    suppressed: int  # rows withheld because their combination stayed rarer than k
    k_required: int
    k: int | None  # the smallest combination's size among the released rows; None if none
    quasi_identifiers: tuple[str, ...] = ()
    max_suppressed: int = 0
    class_sizes: dict[tuple[str, ...], int] = field(default_factory=dict)

    def generalised(self) -> list[tuple[str, str, str]]:
        """(column, from, to) for each quasi-identifier coarsened beyond its finest level."""
        return [(name, QUASI_IDENTIFIERS[name].labels[0], QUASI_IDENTIFIERS[name].labels[level])
                for name, level in self.levels.items() if level]


def _classes(rows: Sequence[dict[str, str]], names: Sequence[str],
             levels: Sequence[int]) -> tuple[list[tuple[str, ...]], Counter]:
    ladders = [QUASI_IDENTIFIERS[name] for name in names]
    keys = [tuple(q.at(level, row[q.name]) for q, level in zip(ladders, levels, strict=True))
            for row in rows]
    return keys, Counter(keys)


def _loss(names: Sequence[str], levels: Sequence[int], released: int, suppressed: int) -> float:
    per_row = sum(level / QUASI_IDENTIFIERS[name].height
                  for name, level in zip(names, levels, strict=True))
    return released * per_row + suppressed * len(names)


def _tie_break(names: Sequence[str], levels: Sequence[int]) -> tuple[int, ...]:
    """Among equal losses, coarsen the columns earlier in ``PREFERENCE`` rather than later:
    the less-preferred columns' levels compared first, lower wins."""
    order = sorted(range(len(names)), key=lambda i: PREFERENCE.index(names[i]), reverse=True)
    return tuple(levels[i] for i in order)


def anonymise(rows: Iterable[dict[str, str]], names: Sequence[str], k: int,
              max_suppressed: int | None = None) -> Anonymised:
    """The least-losing coarsening of ``names`` in ``rows`` (and suppression of at most
    ``max_suppressed`` rows, by default ``MAX_SUPPRESSED_SHARE`` of them) that leaves every
    combination of ``names`` in at least ``k`` released rows. When none does (fewer than
    ``k`` rows in all), every column is withheld and the rows suppressed."""
    rows = list(rows)
    if k < 1:
        raise ValueError(f"k must be at least 1 (got {k})")
    unknown = [n for n in names if n not in QUASI_IDENTIFIERS]
    if unknown:
        raise ValueError(f"unknown quasi-identifiers: {', '.join(unknown)}")
    budget = int(len(rows) * MAX_SUPPRESSED_SHARE) if max_suppressed is None else max_suppressed
    ladders = [range(QUASI_IDENTIFIERS[name].height + 1) for name in names]
    best = None
    for levels in itertools.product(*ladders):
        keys, sizes = _classes(rows, names, levels)
        suppressed = sum(1 for key in keys if sizes[key] < k)
        if suppressed > budget and any(level < len(ladder) - 1
                                       for level, ladder in zip(levels, ladders, strict=True)):
            continue
        rank = (_loss(names, levels, len(rows) - suppressed, suppressed),
                _tie_break(names, levels))
        if best is None or rank < best[0]:
            best = (rank, levels, keys, sizes)
    _, levels, keys, sizes = best
    released = []
    for row, key in zip(rows, keys, strict=True):
        if sizes[key] >= k:
            released.append({**row, **dict(zip(names, key, strict=True))})
    kept = {key: size for key, size in sizes.items() if size >= k}
    return Anonymised(
        rows=released, levels=dict(zip(names, levels, strict=True)),
        suppressed=len(rows) - len(released), k_required=k,
        k=min(kept.values()) if kept else None, quasi_identifiers=tuple(names),
        max_suppressed=budget, class_sizes=kept)
