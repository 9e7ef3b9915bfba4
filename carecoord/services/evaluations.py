"""Discipline evaluations: draft, save, sign (own discipline only), amend a signed one.

A signed evaluation is frozen: saving over it is refused, and an amendment is a new draft row
that keeps the original visible and in force until the amendment itself is signed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from carecoord.domain import evaluations as rules
from carecoord.domain.enums import Discipline, PatientStatus
from carecoord.domain.errors import Problem, ValidationFailed
from carecoord.domain.evaluations import Evaluation, EvaluationStatus, Recommendation
from carecoord.domain.permissions import Permission
from carecoord.services import audit
from carecoord.services.context import Actor, require
from carecoord.services.errors import NotFound, PermissionDenied
from carecoord.services.pathway import (
    conflict,
    dump,
    follow_status,
    load,
    patient_name,
    patient_or_404,
    user_names,
)
from carecoord.store.models import Patient, TeamAssignment
from carecoord.store.models_candidacy import EvaluationRow

ENTITY = "evaluation"


@dataclass(frozen=True)
class EvaluationView:
    id: int
    patient_id: int
    discipline: Discipline
    status: EvaluationStatus
    values: dict[str, Any]
    revision: int
    amends_id: int | None
    amendment_reason: str
    author_name: str
    signed_by_name: str
    signed_at: dt.datetime | None
    version: int
    updated_at: dt.datetime
    amended_by_id: int | None = None  # a later version that amends this one
    in_force: bool = False  # the signed version the candidacy rule reads

    @property
    def form(self) -> rules.EvaluationForm:
        return rules.form_for(self.discipline)

    @property
    def title(self) -> str:
        title = self.form.title
        return f"{title}, amendment {self.revision - 1}" if self.revision > 1 else title

    @property
    def recommendation(self) -> Recommendation | None:
        value = self.values.get("recommendation")
        return Recommendation(value) if value in set(Recommendation) else None

    @property
    def state_words(self) -> str:
        if self.status is EvaluationStatus.DRAFT:
            return "Draft amendment, not signed" if self.amends_id else "Draft, not signed"
        words = f"Signed by {self.signed_by_name}"
        if self.signed_at is not None:
            from carecoord.domain.units import format_datetime

            words += f" on {format_datetime(self.signed_at)}"
        if self.amended_by_id is not None and not self.in_force:
            words += " (replaced by an amendment)"
        return words

    def domain(self) -> Evaluation:
        return to_domain_row(self)


@dataclass(frozen=True)
class AwaitingRow:
    evaluation_id: int
    patient_id: int
    patient: str
    mrn: str
    discipline: Discipline
    is_amendment: bool
    updated_at: dt.datetime
    missing: int  # fields still required to sign


def to_domain_row(v: EvaluationView | EvaluationRow) -> Evaluation:
    if isinstance(v, EvaluationView):
        return Evaluation(
            id=v.id,
            discipline=v.discipline,
            status=v.status,
            values=dict(v.values),
            version=v.revision,
            amends_id=v.amends_id,
            amendment_reason=v.amendment_reason,
            signed_at=v.signed_at,
        )
    return Evaluation(
        id=v.id,
        discipline=Discipline(v.discipline),
        status=EvaluationStatus(v.status),
        values=load(v.content) or {},
        author_id=v.author_id,
        version=v.revision,
        amends_id=v.amends_id,
        amendment_reason=v.amendment_reason,
        signed_by=v.signed_by_id,
        signed_at=v.signed_at,
    )


def _rows(session: Session, patient_id: int) -> list[EvaluationRow]:
    return list(
        session.scalars(
            select(EvaluationRow)
            .where(EvaluationRow.patient_id == patient_id)
            .order_by(EvaluationRow.id)
        )
    )


def _views(session: Session, rows: list[EvaluationRow]) -> list[EvaluationView]:
    names = user_names(session, [u for r in rows for u in (r.author_id, r.signed_by_id)])
    amended_by = {r.amends_id: r.id for r in rows if r.amends_id is not None}
    in_force = {e.id for e in rules.current_signed(to_domain_row(r) for r in rows).values()}
    order = list(Discipline)
    views = [
        EvaluationView(
            id=r.id,
            patient_id=r.patient_id,
            discipline=Discipline(r.discipline),
            status=EvaluationStatus(r.status),
            values=load(r.content) or {},
            revision=r.revision,
            amends_id=r.amends_id,
            amendment_reason=r.amendment_reason,
            author_name=names.get(r.author_id or 0, ""),
            signed_by_name=names.get(r.signed_by_id or 0, ""),
            signed_at=r.signed_at,
            version=r.version,
            updated_at=r.updated_at,
            amended_by_id=amended_by.get(r.id),
            in_force=r.id in in_force,
        )
        for r in rows
    ]
    return sorted(views, key=lambda v: (order.index(v.discipline), v.revision, v.id))


def list_evaluations(session: Session, actor: Actor, patient_id: int) -> list[EvaluationView]:
    """Every version of every discipline's evaluation, originals beside their amendments."""
    require(actor, Permission.VIEW_PATIENTS)
    patient_or_404(session, patient_id)
    return _views(session, _rows(session, patient_id))


def get_evaluation(session: Session, actor: Actor, evaluation_id: int) -> EvaluationView:
    require(actor, Permission.VIEW_PATIENTS)
    row = _row(session, evaluation_id)
    return next(v for v in _views(session, _rows(session, row.patient_id)) if v.id == row.id)


def _row(session: Session, evaluation_id: int) -> EvaluationRow:
    row = session.get(EvaluationRow, evaluation_id)
    if row is None:
        raise NotFound("This evaluation no longer exists.")
    return row


def check_values(
    discipline: Discipline, values: Mapping[str, Any], *, for_signing: bool = False
) -> list[Problem]:
    """Live validation for the form: the same rule the save applies."""
    return rules.validate_values(rules.form_for(discipline), values, for_signing=for_signing)


def _own_discipline(actor: Actor, discipline: Discipline, verb: str) -> None:
    require(actor, Permission.EDIT_EVALUATION)
    if actor.discipline is not discipline:
        raise PermissionDenied(
            f"Only a {discipline.label.lower()} {verb} the "
            f"{rules.form_for(discipline).title.lower()}. You are signed in as {actor.display}."
        )


def _label(row: EvaluationRow) -> str:
    return rules.form_for(Discipline(row.discipline)).title.lower()


def start_evaluation(
    session: Session,
    actor: Actor,
    patient_id: int,
    discipline: Discipline,
    values: Mapping[str, Any] | None = None,
) -> EvaluationView:
    """A new draft of the actor's own discipline's evaluation (one per discipline; a signed
    one is changed by an amendment)."""
    discipline = Discipline(discipline)
    _own_discipline(actor, discipline, "writes")
    patient = patient_or_404(session, patient_id, lock=True)  # one draft per discipline
    existing = [r for r in _rows(session, patient_id) if r.discipline == discipline.value]
    if existing:
        raise ValidationFailed.single(
            "discipline",
            f"This patient already has a {rules.form_for(discipline).title.lower()}; open it "
            "(a signed one is changed by an amendment).",
        )
    draft = rules.new_draft(discipline, actor.user_id, values or {})
    row = EvaluationRow(
        patient_id=patient_id,
        discipline=discipline.value,
        status=EvaluationStatus.DRAFT.value,
        content=dump(draft.values),
        revision=1,
        author_id=actor.user_id or None,
        updated_by_id=actor.user_id or None,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        action="create",
        entity=ENTITY,
        entity_id=row.id,
        patient_id=patient_id,
        summary=f"Started the {_label(row)} (draft)",
        after=draft.values,
    )
    if PatientStatus(patient.status) is PatientStatus.REFERRED:
        follow_status(session, actor, patient, PatientStatus.EVALUATING, "evaluation started")
    session.commit()
    return get_evaluation(session, actor, row.id)


def _stale(session: Session, row: EvaluationRow, yours: Mapping[str, Any]) -> Exception:
    patient = session.get(Patient, row.patient_id)
    form = rules.form_for(Discipline(row.discipline))
    return conflict(
        session,
        entity=ENTITY,
        entity_id=row.id,
        label=f"the {form.title.lower()} of {patient_name(patient) if patient else 'this patient'}",
        current_version=row.version,
        theirs=load(row.content) or {},
        yours=dict(yours),
        labels={f.key: f.label for f in form.fields},
    )


def save_draft(
    session: Session,
    actor: Actor,
    evaluation_id: int,
    expected_version: int,
    values: Mapping[str, Any],
) -> EvaluationView:
    """Save a draft's content; a signed evaluation is refused (amend it instead)."""
    row = _row(session, evaluation_id)
    discipline = Discipline(row.discipline)
    _own_discipline(actor, discipline, "edits")
    current = to_domain_row(row)
    permission = rules.may_edit(current, discipline)
    if not permission:
        raise ValidationFailed.single("status", permission.reason)
    updated = rules.update_draft(current, values, actor.discipline)  # type: ignore[arg-type]
    if row.version != expected_version:
        raise _stale(session, row, updated.values)
    before = dict(current.values)
    if before == dict(updated.values):
        session.rollback()
        return get_evaluation(session, actor, evaluation_id)
    row.content = dump(updated.values)
    row.updated_by_id = actor.user_id or None
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise _stale(session, _row(session, evaluation_id), updated.values) from None
    changed = [
        k
        for k in dict.fromkeys([*before, *updated.values])
        if before.get(k) != updated.values.get(k)
    ]
    form = rules.form_for(discipline)
    labels = {f.key: f.label for f in form.fields}
    audit.record(
        session,
        actor,
        action="update",
        entity=ENTITY,
        entity_id=row.id,
        patient_id=row.patient_id,
        summary=f"Edited the {_label(row)} draft: {', '.join(labels.get(k, k) for k in changed)}",
        before={k: before.get(k) for k in changed},
        after={k: updated.values.get(k) for k in changed},
    )
    session.commit()
    return get_evaluation(session, actor, evaluation_id)


def sign_evaluation(
    session: Session,
    actor: Actor,
    evaluation_id: int,
    expected_version: int,
    *,
    when: dt.datetime | None = None,
) -> EvaluationView:
    """Sign a draft: only a user of the form's discipline, only with every required field."""
    require(actor, Permission.SIGN_EVALUATION)
    row = _row(session, evaluation_id)
    discipline = Discipline(row.discipline)
    current = to_domain_row(row)
    if actor.discipline is not discipline:
        raise PermissionDenied(
            f"Only a {discipline.label.lower()} signs the {_label(row)}. "
            f"You are signed in as {actor.display}."
        )
    if row.version != expected_version:
        raise _stale(session, row, current.values)
    signed = rules.sign(
        current,
        user_id=actor.user_id,
        user_discipline=discipline,
        when=when or dt.datetime.now(dt.UTC),
    )
    row.status = EvaluationStatus.SIGNED.value
    row.signed_by_id = actor.user_id or None
    row.signed_at = signed.signed_at
    row.updated_by_id = actor.user_id or None
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise _stale(session, _row(session, evaluation_id), current.values) from None
    what = "amendment of the " if row.amends_id else ""
    recommendation = signed.recommendation
    audit.record(
        session,
        actor,
        action="sign",
        entity=ENTITY,
        entity_id=row.id,
        patient_id=row.patient_id,
        summary=f"Signed the {what}{_label(row)}"
        + (f": {recommendation.label.lower()}" if recommendation else ""),
        before={"status": "draft"},
        after={"status": "signed", "values": signed.values},
    )
    session.commit()
    return get_evaluation(session, actor, evaluation_id)


def start_amendment(
    session: Session, actor: Actor, evaluation_id: int, reason: str
) -> EvaluationView:
    """A new draft carrying the signed content; the signed version stays unchanged."""
    row = _row(session, evaluation_id)
    discipline = Discipline(row.discipline)
    _own_discipline(actor, discipline, "amends")
    patient_or_404(session, row.patient_id, lock=True)  # one amendment draft at a time
    versions = [to_domain_row(r) for r in _rows(session, row.patient_id)]
    draft = rules.start_amendment(
        to_domain_row(row),
        user_id=actor.user_id,
        user_discipline=discipline,
        reason=reason or "",
        all_versions=versions,
    )
    new = EvaluationRow(
        patient_id=row.patient_id,
        discipline=row.discipline,
        status=EvaluationStatus.DRAFT.value,
        content=dump(draft.values),
        revision=draft.version,
        amends_id=row.id,
        amendment_reason=draft.amendment_reason,
        author_id=actor.user_id or None,
        updated_by_id=actor.user_id or None,
    )
    session.add(new)
    session.flush()
    audit.record(
        session,
        actor,
        action="amend",
        entity=ENTITY,
        entity_id=new.id,
        patient_id=row.patient_id,
        summary=f"Started an amendment of the {_label(row)}: {draft.amendment_reason}",
        after={"amends": row.id, "reason": draft.amendment_reason},
    )
    session.commit()
    return get_evaluation(session, actor, new.id)


def awaiting_signature(session: Session, actor: Actor, limit: int = 100) -> list[AwaitingRow]:
    """Drafts of the signed-in user's discipline that they wrote or whose patient they follow."""
    require(actor, Permission.VIEW_PATIENTS)
    if actor.discipline is None:
        return []
    on_team = select(TeamAssignment.patient_id).where(TeamAssignment.user_id == actor.user_id)
    rows = session.execute(
        select(EvaluationRow, Patient)
        .join(Patient, Patient.id == EvaluationRow.patient_id)
        .where(
            EvaluationRow.status == EvaluationStatus.DRAFT.value,
            EvaluationRow.discipline == actor.discipline.value,
            Patient.status != PatientStatus.RETIRED.value,
            (EvaluationRow.author_id == actor.user_id) | EvaluationRow.patient_id.in_(on_team),
        )
        .order_by(EvaluationRow.updated_at)
        .limit(limit)
    ).all()
    out = []
    for row, patient in rows:
        problems = check_values(actor.discipline, load(row.content) or {}, for_signing=True)
        out.append(
            AwaitingRow(
                evaluation_id=row.id,
                patient_id=patient.id,
                patient=patient_name(patient),
                mrn=patient.mrn,
                discipline=actor.discipline,
                is_amendment=row.amends_id is not None,
                updated_at=row.updated_at,
                missing=len([p for p in problems if p.severity.value == "error"]),
            )
        )
    return out


def domain_versions(session: Session, patient_id: int) -> tuple[Evaluation, ...]:
    """Every version as domain values, for the candidacy rule."""
    return tuple(to_domain_row(r) for r in _rows(session, patient_id))
