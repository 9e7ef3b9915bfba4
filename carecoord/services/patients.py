"""Patients and their treatment team: create, edit (with conflict detection), retire, search."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from carecoord.domain.enums import Discipline, Origin, PatientStatus, Sex
from carecoord.domain.errors import Problem, ValidationFailed, raise_if_errors
from carecoord.domain.patients import (
    PatientInput,
    clean_text,
    search_tokens,
    validate_patient,
)
from carecoord.domain.permissions import Permission
from carecoord.domain.ranges import has_bad_characters, without_bad_characters
from carecoord.services import audit, patient_list
from carecoord.services.context import Actor, require
from carecoord.services.errors import ConflictError, FieldConflict, NotFound
from carecoord.services.patient_list import PatientRow, SearchPage
from carecoord.store.models import Patient, PatientSearchToken, TeamAssignment, User
from carecoord.store.reader import SessionReader

FIELD_LABELS = {
    "mrn": "Record number",
    "family_name": "Family name",
    "given_names": "Given names",
    "date_of_birth": "Date of birth",
    "sex": "Sex",
    "weight_kg": "Weight",
    "diagnosis": "Diagnosis",
    "origin": "Origin",
    "injury_level": "Level of injury",
    "injury_date": "Date of injury",
    "phone": "Phone",
    "email": "Email",
    "address": "Address",
    "caregiver_name": "Caregiver",
    "caregiver_phone": "Caregiver's phone",
    "preferred_language": "Preferred language",
    "allergies": "Allergies",
    "status": "Status",
    "notes": "Notes",
}
EDITABLE = tuple(FIELD_LABELS)


@dataclass(frozen=True)
class TeamMember:
    discipline: Discipline
    user_id: int
    full_name: str
    phone: str


@dataclass(frozen=True)
class PatientView:
    id: int
    mrn: str
    family_name: str
    given_names: str
    date_of_birth: dt.date
    sex: Sex
    weight_kg: Decimal | None
    diagnosis: str
    origin: Origin | None
    injury_level: str
    injury_date: dt.date | None
    phone: str
    email: str
    address: str
    caregiver_name: str
    caregiver_phone: str
    preferred_language: str
    allergies: str
    status: PatientStatus
    notes: str
    retired_reason: str
    version: int
    updated_at: dt.datetime
    team: tuple[TeamMember, ...] = field(default_factory=tuple)

    @property
    def display_name(self) -> str:
        return f"{self.family_name.upper()}, {self.given_names}"

    def as_input(self) -> PatientInput:
        values = {k: getattr(self, k) for k in EDITABLE}
        return PatientInput(**values)


def _record_values(p: Patient) -> dict[str, Any]:
    return {k: getattr(p, k) for k in EDITABLE}


def _team(session: Session, patient_id: int) -> tuple[TeamMember, ...]:
    rows = session.execute(
        select(TeamAssignment.discipline, User.id, User.full_name, User.phone)
        .join(User, User.id == TeamAssignment.user_id)
        .where(TeamAssignment.patient_id == patient_id)
    ).all()
    order = list(Discipline)
    members = [TeamMember(Discipline(d), uid, name, phone) for d, uid, name, phone in rows]
    return tuple(sorted(members, key=lambda m: order.index(m.discipline)))


def _view(session: Session, p: Patient) -> PatientView:
    return PatientView(
        id=p.id,
        mrn=p.mrn,
        family_name=p.family_name,
        given_names=p.given_names,
        date_of_birth=p.date_of_birth,
        sex=Sex(p.sex),
        weight_kg=p.weight_kg,
        diagnosis=p.diagnosis,
        origin=Origin(p.origin) if p.origin else None,
        injury_level=p.injury_level,
        injury_date=p.injury_date,
        phone=p.phone,
        email=p.email,
        address=p.address,
        caregiver_name=p.caregiver_name,
        caregiver_phone=p.caregiver_phone,
        preferred_language=p.preferred_language,
        allergies=p.allergies,
        status=PatientStatus(p.status),
        notes=p.notes,
        retired_reason=p.retired_reason,
        version=p.version,
        updated_at=p.updated_at,
        team=_team(session, p.id),
    )


def _normalised(data: PatientInput) -> PatientInput:
    values = asdict(data)
    for key, value in values.items():
        if type(value) is str:  # enums are str too: keep them as they are
            values[key] = clean_text(value)
    values["mrn"] = values["mrn"].upper()
    return PatientInput(**values)


def _apply(p: Patient, data: PatientInput) -> None:
    for key in EDITABLE:
        value = getattr(data, key)
        if key in {"sex", "origin", "status"} and value is not None:
            value = value.value
        setattr(p, key, value)


def _index_for_search(session: Session, p: Patient) -> None:
    session.execute(delete(PatientSearchToken).where(PatientSearchToken.patient_id == p.id))
    tokens = search_tokens(p.family_name, p.given_names, p.mrn)
    session.execute(
        insert(PatientSearchToken), [{"patient_id": p.id, "token": t} for t in sorted(tokens)]
    )


def _check_mrn_free(session: Session, mrn: str, exclude_id: int | None = None) -> None:
    query = select(Patient.id, Patient.family_name, Patient.given_names).where(Patient.mrn == mrn)
    if exclude_id is not None:
        query = query.where(Patient.id != exclude_id)
    clash = session.execute(query).first()
    if clash is not None:
        raise ValidationFailed.single(
            "mrn",
            f"Record number {mrn} is already used by {clash.family_name.upper()}, {clash.given_names}.",
        )


def check_patient(data: PatientInput, today: dt.date | None = None) -> list[Problem]:
    """Live validation for forms: the same rule the save applies."""
    return validate_patient(_normalised(data), today or dt.date.today())


def create_patient(session: Session, actor: Actor, data: PatientInput) -> PatientView:
    require(actor, Permission.EDIT_PATIENT)
    data = _normalised(data)
    raise_if_errors(validate_patient(data, dt.date.today()))
    _check_mrn_free(session, data.mrn)
    patient = Patient(updated_by_id=actor.user_id or None)
    _apply(patient, data)
    session.add(patient)
    try:
        session.flush()
    except IntegrityError as exc:  # another workstation took the number a moment ago
        session.rollback()
        raise ValidationFailed.single("mrn", f"Record number {data.mrn} is already used.") from exc
    _index_for_search(session, patient)
    audit.record(
        session,
        actor,
        action="create",
        entity="patient",
        entity_id=patient.id,
        patient_id=patient.id,
        summary=f"Registered patient {patient.family_name.upper()}, {patient.given_names} ({patient.mrn})",
        after=_record_values(patient),
    )
    session.commit()
    return _view(session, patient)


def _conflict(session: Session, p: Patient, yours: PatientInput) -> ConflictError:
    last = audit.last_change(session, "patient", p.id)
    theirs = _record_values(p)
    mine = asdict(yours)
    fields = []
    for key in EDITABLE:
        their_value, my_value = theirs[key], mine[key]
        if hasattr(my_value, "value"):
            my_value = my_value.value
        if (their_value or None) != (my_value or None):
            fields.append(
                FieldConflict(key, FIELD_LABELS[key], _text(my_value), _text(their_value))
            )
    return ConflictError(
        entity_label=f"{p.family_name.upper()}, {p.given_names}",
        changed_by=last.actor if last else "Someone",
        changed_at=dt.datetime.fromisoformat(last.at) if last else None,
        current_version=p.version,
        current=theirs,
        fields=fields,
    )


def _text(value: object) -> str:
    if value is None or value == "":
        return "—"
    return str(value)


def update_patient(
    session: Session, actor: Actor, patient_id: int, expected_version: int, data: PatientInput
) -> PatientView:
    """Save edits made on version ``expected_version``; refuse if someone saved since."""
    require(actor, Permission.EDIT_PATIENT)
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFound("This patient no longer exists.")
    data = _normalised(data)
    raise_if_errors(validate_patient(data, dt.date.today()))
    if patient.version != expected_version:
        raise _conflict(session, patient, data)
    _check_mrn_free(session, data.mrn, exclude_id=patient_id)
    before = _record_values(patient)
    _apply(patient, data)
    patient.updated_by_id = actor.user_id or None
    after = _record_values(patient)
    if after == before:
        session.rollback()
        return get_patient(session, actor, patient_id)
    try:
        session.flush()  # the UPDATE carries "WHERE version = expected": a race fails here
    except StaleDataError:
        session.rollback()
        fresh = session.get(Patient, patient_id)
        assert fresh is not None
        raise _conflict(session, fresh, data) from None
    if any(before[k] != after[k] for k in ("family_name", "given_names", "mrn")):
        _index_for_search(session, patient)
    changed = [FIELD_LABELS[k] for k in EDITABLE if before[k] != after[k]]
    audit.record(
        session,
        actor,
        action="update",
        entity="patient",
        entity_id=patient.id,
        patient_id=patient.id,
        summary=f"Edited {', '.join(changed)}",
        before={k: before[k] for k in EDITABLE if before[k] != after[k]},
        after={k: after[k] for k in EDITABLE if before[k] != after[k]},
    )
    session.commit()
    return _view(session, patient)


def retire_patient(
    session: Session, actor: Actor, patient_id: int, expected_version: int, reason: str
) -> PatientView:
    """Records are retired with a reason, never erased."""
    require(actor, Permission.RETIRE_PATIENT)
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFound("This patient no longer exists.")
    reason = clean_text(reason)
    if not reason:
        raise ValidationFailed.single("retired_reason", "Give the reason for retiring this record.")
    if patient.version != expected_version:
        view = _view(session, patient)
        raise _conflict(session, patient, view.as_input())
    before = {"status": patient.status, "retired_reason": patient.retired_reason}
    patient.status = PatientStatus.RETIRED.value
    patient.retired_reason = reason
    session.flush()
    audit.record(
        session,
        actor,
        action="retire",
        entity="patient",
        entity_id=patient.id,
        patient_id=patient.id,
        summary=f"Retired the record: {reason}",
        before=before,
        after={"status": patient.status, "retired_reason": reason},
    )
    session.commit()
    return _view(session, patient)


def get_patient(session: Session, actor: Actor, patient_id: int) -> PatientView:
    require(actor, Permission.VIEW_PATIENTS)
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFound("This patient no longer exists.")
    return _view(session, patient)


def find_by_mrn(session: Session, actor: Actor, mrn: str) -> PatientView:
    require(actor, Permission.VIEW_PATIENTS)
    if has_bad_characters(mrn, multiline=False):
        # No record number holds a control character or a surrogate: nothing to look up.
        raise NotFound(
            f"No patient has the record number {clean_text(without_bad_characters(mrn))}."
        )
    patient = session.scalar(select(Patient).where(Patient.mrn == clean_text(mrn).upper()))
    if patient is None:
        raise NotFound(f"No patient has the record number {mrn}.")
    return _view(session, patient)


def search_patients(session: Session, actor: Actor, text: str = "", **options: Any) -> SearchPage:
    """One page of the patients list: ``patient_list.search_patients`` (its options: statuses,
    sort, descending, offset, limit, with_total) run in this session."""
    return patient_list.search_patients(SessionReader(session), actor, text, **options)


def count_by_status(session: Session, actor: Actor) -> dict[PatientStatus, int]:
    require(actor, Permission.VIEW_PATIENTS)
    counts = dict.fromkeys(PatientStatus, 0)
    for status, n in session.execute(select(Patient.status, func.count()).group_by(Patient.status)):
        counts[PatientStatus(status)] = n
    return counts


def my_patients(session: Session, actor: Actor, limit: int = 200) -> list[PatientRow]:
    """Patients on whose team the signed-in user is, not retired."""
    require(actor, Permission.VIEW_PATIENTS)
    query = (
        select(Patient)
        .join(TeamAssignment, TeamAssignment.patient_id == Patient.id)
        .where(
            TeamAssignment.user_id == actor.user_id, Patient.status != PatientStatus.RETIRED.value
        )
        .order_by(Patient.family_name, Patient.given_names)
        .limit(limit)
    )
    return [
        PatientRow(
            p.id,
            p.mrn,
            p.family_name,
            p.given_names,
            p.date_of_birth,
            PatientStatus(p.status),
            Origin(p.origin) if p.origin else None,
            p.diagnosis,
        )
        for p in session.scalars(query)
    ]


def assign_team_member(
    session: Session, actor: Actor, patient_id: int, discipline: Discipline, user_id: int | None
) -> PatientView:
    """Assign (or clear, with None) the team member of one discipline."""
    require(actor, Permission.ASSIGN_TEAM)
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFound("This patient no longer exists.")
    current = session.scalar(
        select(TeamAssignment).where(
            TeamAssignment.patient_id == patient_id, TeamAssignment.discipline == discipline.value
        )
    )
    before_name = session.get(User, current.user_id).full_name if current else None
    after_name = None
    if user_id is None:
        if current is None:
            return _view(session, patient)
        session.delete(current)
    else:
        user = session.get(User, user_id)
        if user is None or not user.active:
            raise ValidationFailed.single(
                discipline.value, "That team member is not an active user."
            )
        if user.discipline != discipline.value:
            raise ValidationFailed.single(
                discipline.value, f"{user.full_name} is not a {discipline.label.lower()}."
            )
        after_name = user.full_name
        if current is None:
            session.add(
                TeamAssignment(patient_id=patient_id, discipline=discipline.value, user_id=user_id)
            )
        elif current.user_id == user_id:
            return _view(session, patient)
        else:
            current.user_id = user_id
    session.flush()
    audit.record(
        session,
        actor,
        action="assign",
        entity="team",
        entity_id=f"{patient_id}:{discipline.value}",
        patient_id=patient_id,
        summary=f"{discipline.label}: {after_name or 'none'}",
        before={discipline.label: before_name},
        after={discipline.label: after_name},
    )
    session.commit()
    return _view(session, patient)
