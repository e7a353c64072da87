"""Check the audit chain: every row's hash matches its content, and each row follows the one
before it. The rows are read in key order in chunks, so memory stays bounded however long
the trail; the first fault is named."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connections, router

from ..domain.audit_chain import CONTENT_FIELDS, GENESIS, chain_hash
from ..models import AuditEvent
from . import guard

CHUNK = 2000


@dataclass(frozen=True)
class Fault:
    row: int  # the key of the first row found wrong
    message: str


@dataclass(frozen=True)
class Verification:
    count: int  # rows read
    head: str  # the last row's hash: record it elsewhere to anchor the chain
    fault: Fault | None
    missing_triggers: tuple[str, ...]
    anchor_found: bool | None  # None when no anchor was asked about

    @property
    def intact(self) -> bool:
        return self.fault is None and not self.missing_triggers and self.anchor_found is not False


def _rows() -> Iterator[dict]:
    return AuditEvent.objects.order_by("id").values(
        "id", "previous_hash", "hash", *CONTENT_FIELDS).iterator(chunk_size=CHUNK)


def verify(anchor: str | None = None) -> Verification:
    """Walk the chain from its first row. ``anchor`` is a head hash printed by an earlier
    verification and kept outside the database: it must still be some row's hash, or rows
    from it back were rewritten or rows from it on were removed."""
    connection = connections[router.db_for_read(AuditEvent)]
    missing = tuple(guard.missing_triggers(connection))
    expected, before, count, fault, found = GENESIS, None, 0, None, False
    rows = _rows()
    row = next(rows, None)
    while row is not None:
        following = next(rows, None)
        count += 1
        fault = _fault(row, expected, before, following)
        if fault:
            break
        found = found or row["hash"] == anchor
        expected, before, row = row["hash"], row["id"], following
    return Verification(count=count, head=expected, fault=fault, missing_triggers=missing,
                        anchor_found=None if anchor is None or fault else found)


def _fault(row: dict, expected: str, before: int | None,
           following: dict | None) -> Fault | None:
    key = row["id"]
    if row["previous_hash"] != expected:
        if following is not None and following["previous_hash"] == expected:
            return Fault(key, f"audit row {key} was inserted out of order: the row after it "
                         "follows the row before it")
        if before is None:
            return Fault(key, f"audit row {key} is the first row but does not start the chain: "
                         "rows before it were removed")
        return Fault(key, f"audit row {key} does not follow audit row {before}: rows between "
                     f"them were removed, or row {before} was altered and its hash recomputed")
    content = {name: row[name] for name in CONTENT_FIELDS}
    if chain_hash(content, row["previous_hash"]) != row["hash"]:
        return Fault(key, f"audit row {key} was altered: its content no longer matches its hash")
    return None
