"""The audit chain: each event's hash covers every stored column and the previous event's hash.

Editing, inserting or removing any stored event breaks the chain at that point; ``verify_chain``
names the first broken link in words. A chain rewritten as a whole (every hash recomputed) is
found with an external checkpoint (``check_checkpoint``): the head that was written to a file
outside the database at some moment must still be there, with the same hash.

Hashing is versioned. Version 1 (the first releases) left ``id`` and ``actor_id`` outside the
hash; version 2 covers every stored column. A database upgraded from version 1 is re-hashed
once if its old chain was intact, and a "chain re-based at upgrade" event records that; a
chain that was already broken keeps its version-1 events as they were, so the break stays
visible. Both functions below are frozen: a stored hash must verify for ever.

Pure functions: the store supplies the rows.
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
HASH_VERSION = 2
KNOWN_HASH_VERSIONS = frozenset({1, 2})
# The columns of an event that version 1 hashed (``prev`` is ``prev_hash``).
_V1_COLUMNS = (
    "seq",
    "at",
    "actor",
    "action",
    "entity",
    "entity_id",
    "patient_id",
    "summary",
    "before",
    "after",
)
REBASE_ACTION = "chain_rebase"


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


def event_hash_v1(columns: Mapping[str, Any]) -> str:
    """Version 1: the content columns and the link, without ``id`` and ``actor_id``."""
    payload = {k: columns.get(k) for k in _V1_COLUMNS}
    payload["prev"] = columns.get("prev_hash")
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def event_hash_v2(columns: Mapping[str, Any]) -> str:
    """Version 2: every stored column of the event except the hash itself."""
    payload = {k: v for k, v in columns.items() if k != "hash"}
    payload["hash_version"] = 2
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def event_hash(columns: Mapping[str, Any]) -> str:
    """The hash of a stored event under the version it names (``hash_version``)."""
    version = columns.get("hash_version", HASH_VERSION)
    if version == 1:
        return event_hash_v1(columns)
    return event_hash_v2(columns)


@dataclass(frozen=True)
class StoredEvent:
    """One event as stored: every column except ``hash``, and the stored hash."""

    columns: Mapping[str, Any]
    stored_hash: str

    @property
    def seq(self) -> int:
        return int(self.columns["seq"])


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


def parse_time(text: object) -> dt.datetime | None:
    """A stored event time, or None when the text is not an ISO time with its zone."""
    if not isinstance(text, str):
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def _quoted(value: object) -> str:
    shown = str(value)
    return f"“{shown[:40]}…”" if len(shown) > 40 else f"“{shown}”"


def find_breaks(events: Iterable[StoredEvent], limit: int = 100) -> list[ChainBreak]:
    """Walk stored events in sequence order; every broken link (up to ``limit``), in words.

    After a break the walk goes on from the stored hash, so an edit of one event names that
    event alone and several edits name each of them.
    """
    breaks: list[ChainBreak] = []
    expected_prev = GENESIS_HASH
    expected_seq = 1
    seen_current = False
    for event in events:
        found = _check(event, expected_seq, expected_prev, seen_current)
        if found is not None:
            breaks.append(found)
            if len(breaks) >= limit:
                break
        seen_current = seen_current or event.columns.get("hash_version") != 1
        expected_prev = event.stored_hash
        expected_seq = max(expected_seq, event.seq) + 1
    return breaks


def verify_chain(events: Iterable[StoredEvent]) -> ChainBreak | None:
    """The first broken link, or None when the whole chain holds."""
    breaks = find_breaks(events, limit=1)
    return breaks[0] if breaks else None


def _check(
    event: StoredEvent, expected_seq: int, expected_prev: str, seen_current: bool
) -> ChainBreak | None:
    columns = event.columns
    seq = event.seq
    if seq != expected_seq:
        if seq > expected_seq:
            missing = (
                f"event {expected_seq} is missing"
                if seq == expected_seq + 1
                else f"events {expected_seq} to {seq - 1} are missing"
            )
            return ChainBreak(seq, f"{missing} (found {seq} next)")
        return ChainBreak(seq, f"its number {seq} repeats or goes back (expected {expected_seq})")
    version = columns.get("hash_version")
    if version not in KNOWN_HASH_VERSIONS:
        return ChainBreak(seq, f"its hashing version {_quoted(version)} is not one CareCoord wrote")
    if version == 1 and seen_current:
        return ChainBreak(seq, "it claims the old hashing after events with the current one")
    if columns.get("prev_hash") != expected_prev:
        return ChainBreak(seq, "its link to the previous event does not match")
    time_ok = parse_time(columns.get("at")) is not None
    if event_hash(columns) != event.stored_hash:
        reason = "its content was changed after it was written"
        if not time_ok:
            reason += f" (its time reads {_quoted(columns.get('at'))}, which is not a time)"
        return ChainBreak(seq, reason)
    if not time_ok:
        return ChainBreak(seq, f"its time reads {_quoted(columns.get('at'))}, which is not a time")
    return None


@dataclass(frozen=True)
class Checkpoint:
    """The chain's head at one moment, kept outside the database (a file, a backup, a report)."""

    seq: int
    hash: str
    at: str  # ISO 8601, UTC: when the checkpoint was taken

    def to_text(self) -> str:
        return (
            json.dumps(
                {
                    "carecoord_audit_checkpoint": 1,
                    "seq": self.seq,
                    "hash": self.hash,
                    "at": self.at,
                },
                indent=2,
            )
            + "\n"
        )

    @property
    def short(self) -> str:
        """For a footer or a backup's name: event number and the first hash digits."""
        return f"event {self.seq}, hash {self.hash[:12]}"


class CheckpointUnreadable(ValueError):
    """The text is not a checkpoint CareCoord wrote (the message says why, in words)."""


def parse_checkpoint(text: str) -> Checkpoint:
    try:
        data = json.loads(text)
    except ValueError:
        raise CheckpointUnreadable(
            "it is not a CareCoord audit checkpoint (not its format)"
        ) from None
    if not isinstance(data, dict) or data.get("carecoord_audit_checkpoint") != 1:
        raise CheckpointUnreadable("it is not a CareCoord audit checkpoint")
    seq, digest, at = data.get("seq"), data.get("hash"), data.get("at")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise CheckpointUnreadable("its event number is missing or not a whole number")
    if (
        not isinstance(digest, str)
        or len(digest) != 64
        or any(c not in "0123456789abcdef" for c in digest)
    ):
        raise CheckpointUnreadable("its hash is missing or not 64 hexadecimal digits")
    if parse_time(at) is None:
        raise CheckpointUnreadable("its time is missing or not a time")
    return Checkpoint(seq, digest, str(at))


def check_checkpoint(
    checkpoint: Checkpoint, last_seq: int, hash_at_checkpoint: str | None
) -> str | None:
    """What a database's chain (already verified link by link) says against a checkpoint.

    ``last_seq`` is the newest event now stored; ``hash_at_checkpoint`` the stored hash of the
    event the checkpoint names (None if that event is gone). None means consistent.
    """
    if checkpoint.seq == 0:
        return None
    if last_seq < checkpoint.seq:
        removed = (
            f"event {checkpoint.seq} was removed"
            if last_seq == checkpoint.seq - 1
            else f"events {last_seq + 1} to {checkpoint.seq} were removed"
        )
        return (
            f"{removed}: the checkpoint of {checkpoint.at} saw {checkpoint.seq} events, "
            f"the database now holds {last_seq}"
        )
    if hash_at_checkpoint != checkpoint.hash:
        return (
            f"the history up to event {checkpoint.seq} was rewritten: its hash is not the one "
            f"the checkpoint of {checkpoint.at} recorded"
        )
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
