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

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from carecoord.domain.audit import (
    AuditRecord,
    ChainBreak,
    canonical_json,
    describe_changes,
    event_hash,
    verify_chain,
)
from carecoord.domain.permissions import Permission
from carecoord.services.context import Actor, require
from carecoord.store.models import AuditEvent, AuditHead

NOTIFY_CHANNEL = "carecoord_changes"


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
    at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    rec = AuditRecord(
        seq=head.seq + 1,
        at=at,
        actor=actor.display,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        patient_id=patient_id,
        summary=summary,
        before=canonical_json(before) if before is not None else "",
        after=canonical_json(after) if after is not None else "",
        prev_hash=head.hash,
    )
    digest = event_hash(rec)
    event = AuditEvent(
        seq=rec.seq,
        at=rec.at,
        actor_id=actor.user_id or None,
        actor=rec.actor,
        action=rec.action,
        entity=rec.entity,
        entity_id=rec.entity_id,
        patient_id=rec.patient_id,
        summary=rec.summary,
        before=rec.before,
        after=rec.after,
        prev_hash=rec.prev_hash,
        hash=digest,
    )
    session.add(event)
    head.seq = rec.seq
    head.hash = digest
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:c, :p)"), {"c": NOTIFY_CHANNEL, "p": entity})
    return event


def _records(session: Session, batch: int = 2000) -> Iterator[tuple[AuditRecord, str]]:
    last = 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            return
        for e in rows:
            yield (
                AuditRecord(
                    seq=e.seq,
                    at=e.at,
                    actor=e.actor,
                    action=e.action,
                    entity=e.entity,
                    entity_id=e.entity_id,
                    patient_id=e.patient_id,
                    summary=e.summary,
                    before=e.before,
                    after=e.after,
                    prev_hash=e.prev_hash,
                ),
                e.hash,
            )
        last = rows[-1].seq


@dataclass(frozen=True)
class VerifyResult:
    events: int
    broken: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def verify(session: Session) -> VerifyResult:
    """Recompute every link; also check the head row points at the last event."""
    count = 0

    def counted() -> Iterator[tuple[AuditRecord, str]]:
        nonlocal count
        for item in _records(session):
            count += 1
            yield item

    broken = verify_chain(counted())
    if broken is None:
        head = session.get(AuditHead, 1)
        last = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).first()
        if (
            head is not None
            and last is not None
            and (head.seq != last.seq or head.hash != last.hash)
        ):
            broken = ChainBreak(
                last.seq, "the newest events were removed or the chain head was changed"
            )
        elif head is not None and last is None and head.seq != 0:
            broken = ChainBreak(1, "all events were removed")
    return VerifyResult(count, broken)


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
