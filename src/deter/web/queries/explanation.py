"""Turn a stored score explanation (``PersonScore.explanation``) into rows for display."""

from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

OFFENDER = "offender"
VICTIM = "victim"


@dataclass(frozen=True)
class ExplanationRow:
    event_id: str
    occurred_on: date | None
    offence_code: str
    offence_category: str
    role: str
    harm_weight: float
    decay: float
    contribution: float


def _day(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    moment = parse_datetime(value)
    if isinstance(moment, datetime):
        return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()
    return parse_date(value[:10])


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def rows(explanation: object, side: str, top: int | None = None) -> list[ExplanationRow]:
    """One side's items, largest contribution first; tolerant of missing keys."""
    items = [i for i in explanation if isinstance(i, dict)] if isinstance(explanation, list) else []
    chosen = sorted(
        (i for i in items if i.get("side") == side),
        key=lambda i: _number(i.get("contribution")),
        reverse=True,
    )
    return [
        ExplanationRow(
            event_id=str(i.get("event_id", "")),
            occurred_on=_day(i.get("occurred_at")),
            offence_code=str(i.get("offence_code") or ""),
            offence_category=str(i.get("offence_category") or ""),
            role=str(i.get("role") or ""),
            # runs stored before the rename call the weight "cchi_days"
            harm_weight=_number(i.get("harm_weight", i.get("cchi_days"))),
            decay=_number(i.get("decay")),
            contribution=_number(i.get("contribution")),
        )
        for i in chosen[:top]
    ]


@dataclass(frozen=True)
class Shown:
    """The rows of an explanation a page lists, and what the rest add up to, so that a
    shortened table still sums to its score."""

    rows: list[ExplanationRow]
    total: int  # rows in the whole explanation
    rest_contribution: float  # the sum of the rows not listed

    @classmethod
    def of(cls, rows: list[ExplanationRow], limit: int | None) -> "Shown":
        listed = rows if limit is None else rows[:limit]
        rest = sum(row.contribution for row in rows[len(listed):])
        return cls(listed, len(rows), rest)

    @property
    def rest(self) -> int:
        return self.total - len(self.rows)

    def __bool__(self) -> bool:
        return self.total > 0
