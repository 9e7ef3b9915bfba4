"""The audit chain: each event's hash covers its content and the previous event's hash.

Editing, inserting or removing any stored event breaks the chain at that point; ``verify_chain``
names the first broken link. Pure functions: the store supplies the rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

GENESIS_HASH = "0" * 64


def to_jsonable(value: Any) -> Any:
    """Canonical JSON-ready form of a value: Decimals and dates as text, enums as values."""
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def canonical_json(value: Any) -> str:
    return json.dumps(to_jsonable(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class AuditRecord:
    """The content that the hash protects (everything a reader relies on)."""

    seq: int
    at: str  # ISO 8601, UTC
    actor: str
    action: str
    entity: str
    entity_id: str
    patient_id: int | None
    summary: str
    before: str  # canonical JSON text or ""
    after: str
    prev_hash: str


def event_hash(record: AuditRecord) -> str:
    payload = canonical_json(
        {
            "seq": record.seq,
            "at": record.at,
            "actor": record.actor,
            "action": record.action,
            "entity": record.entity,
            "entity_id": record.entity_id,
            "patient_id": record.patient_id,
            "summary": record.summary,
            "before": record.before,
            "after": record.after,
            "prev": record.prev_hash,
        }
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


def verify_chain(records: Iterable[tuple[AuditRecord, str]]) -> ChainBreak | None:
    """Walk (record, stored hash) pairs in sequence order; return the first broken link."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    for record, stored_hash in records:
        if record.seq != expected_seq:
            return ChainBreak(
                record.seq, f"event {expected_seq} is missing (found {record.seq} next)"
            )
        if record.prev_hash != expected_prev:
            return ChainBreak(record.seq, "its link to the previous event does not match")
        if event_hash(record) != stored_hash:
            return ChainBreak(record.seq, "its content was changed after it was written")
        expected_prev = stored_hash
        expected_seq += 1
    return None


def describe_changes(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> list[tuple[str, str, str]]:
    """(field, old, new) for each field that differs, for a readable audit view."""
    before = before or {}
    after = after or {}
    rows = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            rows.append((key, _text(old), _text(new)))
    return rows


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, dict | list):
        return canonical_json(value)
    return str(value)
