"""Helpers shared by the evaluation, candidacy and meeting services.

JSON content in canonical form, the patient's status following the pathway (with its own audit
event), conflicts on stale versions with the fields that differ, and user names for display.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from carecoord.domain.audit import canonical_json
from carecoord.domain.enums import PatientStatus
from carecoord.services import audit
from carecoord.services.context import Actor
from carecoord.services.errors import ConflictError, FieldConflict, NotFound
from carecoord.store.models import Patient, User


def dump(value: Any) -> str:
    return canonical_json(value)


def load(text: str | None) -> Any:
    return json.loads(text) if text else None


def patient_or_404(session: Session, patient_id: int, *, lock: bool = False) -> Patient:
    """The patient row; ``lock=True`` holds it until the transaction ends.

    A check that reads the patient's records and then adds one (one refill based on the last
    fill, one draft per discipline, one open recall) locks the patient first: on PostgreSQL a
    second workstation doing the same then waits, and its check sees the first one's row.
    SQLite needs no lock (every write transaction takes the file's write lock at its start).
    ``FOR NO KEY UPDATE`` leaves rows that merely refer to the patient (audit events) free.
    """
    if not lock:
        patient = session.get(Patient, patient_id)
    else:
        patient = session.scalars(
            select(Patient)
            .where(Patient.id == patient_id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        ).first()
    if patient is None:
        raise NotFound("This patient no longer exists.")
    return patient


def patient_name(p: Patient) -> str:
    return f"{p.family_name.upper()}, {p.given_names}"


def user_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.full_name).where(User.id.in_(wanted))).all()
    return {uid: name for uid, name in rows}


def follow_status(
    session: Session, actor: Actor, patient: Patient, status: PatientStatus, why: str
) -> bool:
    """Move the patient along the pathway (referred -> evaluating -> candidate / declined);
    a retired or implanted patient keeps the status. Returns True when it changed."""
    current = PatientStatus(patient.status)
    if current in (PatientStatus.RETIRED, PatientStatus.IMPLANTED) or current is status:
        return False
    patient.status = status.value
    patient.updated_by_id = actor.user_id or None
    session.flush()
    audit.record(
        session,
        actor,
        action="status",
        entity="patient",
        entity_id=patient.id,
        patient_id=patient.id,
        summary=f"Status {current.label} → {status.label}: {why}",
        before={"status": current.value},
        after={"status": status.value},
    )
    return True


def touch(row: object, attribute: str) -> None:
    """Force an UPDATE of ``row`` so its version counter moves (a child row changed)."""
    flag_modified(row, attribute)


def conflict(
    session: Session,
    *,
    entity: str,
    entity_id: object,
    label: str,
    current_version: int,
    theirs: Mapping[str, Any],
    yours: Mapping[str, Any],
    labels: Mapping[str, str],
) -> ConflictError:
    """A stale save: who saved last and, field by field, your value beside theirs."""
    last = audit.last_change(session, entity, entity_id)
    fields = []
    for key in dict.fromkeys([*theirs, *yours]):
        mine, other = yours.get(key), theirs.get(key)
        if (mine or None) != (other or None):
            fields.append(FieldConflict(key, labels.get(key, key), _text(mine), _text(other)))
    return ConflictError(
        entity_label=label,
        changed_by=last.actor if last else "Someone",
        changed_at=dt.datetime.fromisoformat(last.at) if last else None,
        current_version=current_version,
        current=dict(theirs),
        fields=fields,
    )


def _text(value: Any) -> str:
    if value is None or value == "" or value == {}:
        return "—"
    if isinstance(value, Mapping) and "scale" in value:
        from carecoord.domain.scales import scale_from_dict

        try:
            return scale_from_dict(value).summary()
        except ValueError:
            pass
    return value if isinstance(value, str) else canonical_json(value)
