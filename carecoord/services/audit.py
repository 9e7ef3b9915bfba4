"""Writing and reading the audit trail.

``record`` appends one event in the caller's transaction. It first locks the chain-head row, so
appends from several workstations are serialised and the chain never forks; on SQLite the
write transaction (BEGIN IMMEDIATE) already serialises writers. On PostgreSQL it also sends a
NOTIFY so other workstations refresh.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from carecoord.domain.audit import (
    GENESIS_HASH,
    HASH_VERSION,
    ChainBreak,
    Checkpoint,
    StoredEvent,
    canonical_json,
    check_checkpoint,
    describe_changes,
    event_hash,
    find_breaks,
)
from carecoord.domain.permissions import Permission
from carecoord.services.context import Actor, require
from carecoord.store.models import AuditEvent, AuditHead

NOTIFY_CHANNEL = "carecoord_changes"


def _columns(event: AuditEvent) -> dict[str, Any]:
    """Every stored column of an event except its hash: what the hash covers."""
    return {
        column.name: getattr(event, column.key)
        for column in AuditEvent.__table__.columns
        if column.name != "hash"
    }


def record(
    session: Session,
    actor: Actor,
    *,
    action: str,
    entity: str,
    entity_id: object,
    summary: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    patient_id: int | None = None,
) -> AuditEvent:
    head = session.execute(
        select(AuditHead).where(AuditHead.id == 1).with_for_update()
    ).scalar_one()
    # The id is hashed too, so it is chosen here (under the head lock) rather than by the
    # database after the hash is computed.
    last_id = session.scalar(select(func.max(AuditEvent.id))) or 0
    event = AuditEvent(
        id=last_id + 1,
        seq=head.seq + 1,
        at=dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
        actor_id=actor.user_id or None,
        actor=actor.display,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        patient_id=patient_id,
        summary=summary,
        before=canonical_json(before) if before is not None else "",
        after=canonical_json(after) if after is not None else "",
        prev_hash=head.hash,
        hash_version=HASH_VERSION,
    )
    event.hash = event_hash(_columns(event))
    session.add(event)
    head.seq = event.seq
    head.hash = event.hash
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:c, :p)"), {"c": NOTIFY_CHANNEL, "p": entity})
    return event


def _stored(session: Session, batch: int = 2000) -> Iterator[StoredEvent]:
    table = AuditEvent.__table__
    last = 0
    while True:
        rows = (
            session.execute(
                select(table).where(table.c.seq > last).order_by(table.c.seq).limit(batch)
            )
            .mappings()
            .all()
        )
        if not rows:
            return
        for row in rows:
            columns = {k: v for k, v in row.items() if k != "hash"}
            yield StoredEvent(columns, row["hash"])
        last = rows[-1]["seq"]


@dataclass(frozen=True)
class VerifyResult:
    events: int
    broken: ChainBreak | None  # the first problem
    head: Checkpoint | None = None  # the newest event, when the chain is intact
    breaks: tuple[ChainBreak, ...] = ()  # every problem found, oldest first

    @property
    def ok(self) -> bool:
        return self.broken is None


def verify(session: Session, checkpoint: Checkpoint | None = None) -> VerifyResult:
    """Recompute every link; check the head row points at the last event; and, given an
    external checkpoint, that the history it saw is still there unchanged."""
    count = 0

    def counted() -> Iterator[StoredEvent]:
        nonlocal count
        for item in _stored(session):
            count += 1
            yield item

    breaks = find_breaks(counted())
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    head = session.get(AuditHead, 1)
    if head is not None and last is not None and (head.seq != last.seq or head.hash != last.hash):
        breaks.append(
            ChainBreak(last.seq, "the newest events were removed or the chain head was changed")
        )
    elif head is not None and last is None and head.seq != 0:
        breaks.append(ChainBreak(1, "all events were removed"))
    if checkpoint is not None:
        at_checkpoint = session.scalar(
            select(AuditEvent.hash).where(AuditEvent.seq == checkpoint.seq)
        )
        problem = check_checkpoint(checkpoint, last.seq if last else 0, at_checkpoint)
        if problem is not None:
            breaks.append(ChainBreak(checkpoint.seq, problem))
    breaks.sort(key=lambda b: b.seq)
    now = None
    if not breaks:
        now = (
            Checkpoint(last.seq, last.hash, _now_text())
            if last is not None
            else Checkpoint(0, GENESIS_HASH, _now_text())
        )
    return VerifyResult(count, breaks[0] if breaks else None, now, tuple(breaks))


def _now_text() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def current_head(session: Session) -> Checkpoint:
    """The chain head now (sequence and hash of the newest event) as a checkpoint."""
    head = session.get(AuditHead, 1)
    if head is None:
        return Checkpoint(0, GENESIS_HASH, _now_text())
    return Checkpoint(head.seq, head.hash, _now_text())


def change_counter(session: Session) -> int:
    """Grows with every change anywhere: a cheap poll for other workstations' saves."""
    return session.scalar(select(AuditHead.seq).where(AuditHead.id == 1)) or 0


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: dt.datetime
    actor: str
    action: str
    entity: str
    summary: str
    changes: list[tuple[str, str, str]]


def _load(textual: str) -> dict[str, Any] | None:
    return json.loads(textual) if textual else None


def patient_history(
    session: Session, actor: Actor, patient_id: int, limit: int = 500
) -> list[AuditEntry]:
    """A patient's events, newest first, with field-by-field changes for a person to read."""
    require(actor, Permission.VIEW_AUDIT)
    rows = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.patient_id == patient_id)
        .order_by(AuditEvent.seq.desc())
        .limit(limit)
    ).all()
    return [
        AuditEntry(
            seq=e.seq,
            at=dt.datetime.fromisoformat(e.at),
            actor=e.actor,
            action=e.action,
            entity=e.entity,
            summary=e.summary,
            changes=describe_changes(_load(e.before), _load(e.after)),
        )
        for e in rows
    ]


def last_change(session: Session, entity: str, entity_id: object) -> AuditEvent | None:
    return session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == str(entity_id))
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).first()
