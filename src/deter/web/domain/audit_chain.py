"""The audit trail's hash chain and its bounded detail: pure functions, no database.

Each audit row's ``hash`` is the SHA-256 of a canonical serialisation of its content (every
field but its key and its own hash) followed by the previous row's hash; the first row's
``previous_hash`` is ``GENESIS``. Changing, removing or inserting a row anywhere breaks the
chain from that row on, which ``deter audit verify`` finds (docs/adr/0007).

The serialisation must stay byte-for-byte the same for as long as rows written with it exist:
a change here makes every stored hash disagree. JSON detail is hashed as it reads back from
either database: keys sorted, and a whole-number float written as an integer (PostgreSQL's
``jsonb`` keeps ``2.0`` but reads ``1e+20`` back as ``100000000000000000000``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
# The fields each hash covers, in this order; a new audit field must be added at the end
# (rows written before it hash it as its default, so add it with a default).
CONTENT_FIELDS = (
    "at", "actor_id", "actor_name", "action", "object_type", "object_id", "outcome", "detail",
    "ip_address", "user_agent", "session", "actor_roles", "purpose",
)

TEXT_LIMIT = 2000  # characters of one string kept in an audit row's detail
TRUNCATED = "…[truncated]"


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _field_text(name: str, value: Any) -> Any:
    if name == "at":
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"audit time must be an aware datetime (got {value!r})")
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if name in ("detail", "actor_roles"):
        return _plain(value)
    if name == "ip_address":
        return None if value in (None, "") else str(value)
    return value


def canonical(content: Mapping[str, Any]) -> bytes:
    """The bytes a row's hash covers, from its content fields (``CONTENT_FIELDS``)."""
    missing = [name for name in CONTENT_FIELDS if name not in content]
    if missing:
        raise ValueError(f"audit content lacks {', '.join(missing)}")
    ordered = [[name, _field_text(name, content[name])] for name in CONTENT_FIELDS]
    return json.dumps(ordered, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False, allow_nan=False).encode()


def chain_hash(content: Mapping[str, Any], previous_hash: str) -> str:
    """The hash of a row with this content that follows the row hashed ``previous_hash``."""
    digest = hashlib.sha256(canonical(content))
    digest.update(previous_hash.encode("ascii"))
    return digest.hexdigest()


def bounded(value: Any, limit: int = TEXT_LIMIT) -> Any:
    """``value`` (JSON-ready) with every string longer than ``limit`` cut to its first
    ``limit`` characters, and replaced by a note of the cut, the original length and the
    SHA-256 of the whole text, so a long plan or notes field cannot fill the trail yet the
    text it recorded can still be proved."""
    if isinstance(value, str):
        if len(value) <= limit:
            return value
        return {"text": value[:limit] + TRUNCATED, "length": len(value),
                "sha256": hashlib.sha256(value.encode()).hexdigest()}
    if isinstance(value, Mapping):
        return {k: bounded(v, limit) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [bounded(v, limit) for v in value]
    return value
