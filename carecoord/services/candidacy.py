"""The candidacy work-up: oral trials, the contraindication screen, goals, screening trials with
serial assessments, and the candidacy status computed from the stored record.

Every change is checked by the domain rule that owns it, written with an audit event, and
refused whole (nothing partial) when any part is wrong.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from carecoord.domain.candidacy import (
    CandidacyAssessment,
    CandidacySnapshot,
    CandidacyStatus,
    PatientFacts,
    assess_candidacy,
)
from carecoord.domain.contraindications import Contraindication, ContraindicationScreen
from carecoord.domain.decisions import DecisionKind, TeamDecision
from carecoord.domain.diagnoses import Diagnosis, diagnosis_from_text
from carecoord.domain.enums import Discipline, Origin, PatientStatus
from carecoord.domain.errors import Problem, Severity, ValidationFailed, raise_if_errors
from carecoord.domain.evaluations import current_signed
from carecoord.domain.goals import GoalArea, check_gas_score, check_goal
from carecoord.domain.oral_therapy import (
    GUIDANCE,
    OralAgent,
    OralTrial,
    TrialOutcome,
    check_oral_trial,
    make_oral_trial,
)
from carecoord.domain.permissions import Permission
from carecoord.domain.ranges import date_problems
from carecoord.domain.scales import GasAssessment, GasGoal
from carecoord.domain.screening import (
    AdverseEventRecord,
    NextStep,
    ScreeningAssessment,
    ScreeningResponse,
    ScreeningRoute,
    ScreeningTrial,
    evaluate_response,
    sequence_warnings,
    suggest_next_step,
    trial_warnings,
)
from carecoord.domain.units import format_date, format_number
from carecoord.services import audit
from carecoord.services.context import Actor, require
from carecoord.services.errors import NotFound
from carecoord.services.evaluations import domain_versions
from carecoord.services.pathway import (
    conflict,
    dump,
    follow_status,
    load,
    patient_name,
    patient_or_404,
    touch,
    user_names,
)
from carecoord.services.settings import load_settings
from carecoord.store.models import Patient
from carecoord.store.models_candidacy import (
    ContraindicationScreenRow,
    GoalRow,
    OralTrialRow,
    ScreeningAdverseEventRow,
    ScreeningAssessmentRow,
    ScreeningTrialRow,
    TeamDecisionRow,
)

# ---------------------------------------------------------------------------------------------
# Oral therapy.

ORAL_LABELS = {
    "agent": "Agent",
    "other_agent_name": "Agent name",
    "highest_daily_dose_mg": "Highest daily dose",
    "duration_days": "Duration",
    "outcome": "Outcome",
    "side_effects": "Side effects",
}


@dataclass(frozen=True)
class OralTrialView:
    id: int
    patient_id: int
    trial: OralTrial
    recorded_by: str
    version: int
    warnings: tuple[Problem, ...] = ()

    @property
    def guidance(self) -> str:
        g = GUIDANCE.get(self.trial.agent)
        return g.words if g else "No usual maximum on file."


def guidance_words(agent: OralAgent | str | None) -> str:
    """The usual maximum daily dose shown beside the entry [9][34][35][36]."""
    try:
        g = GUIDANCE.get(OralAgent(agent)) if agent else None
    except ValueError:
        g = None
    return g.words if g else "No usual maximum on file for this agent."


def _oral_values(t: OralTrial) -> dict[str, Any]:
    return {
        "agent": t.agent.value,
        "other_agent_name": t.other_agent_name,
        "highest_daily_dose_mg": str(t.highest_daily_dose_mg),
        "duration_days": t.duration_days,
        "outcome": t.outcome.value,
        "side_effects": t.side_effects,
    }


def _oral_domain(r: OralTrialRow) -> OralTrial:
    return OralTrial(
        id=r.id,
        agent=OralAgent(r.agent),
        highest_daily_dose_mg=r.highest_daily_dose_mg,
        duration_days=r.duration_days,
        outcome=TrialOutcome(r.outcome),
        side_effects=r.side_effects,
        other_agent_name=r.other_agent_name,
    )


def list_oral_trials(session: Session, actor: Actor, patient_id: int) -> list[OralTrialView]:
    require(actor, Permission.VIEW_PATIENTS)
    rows = _active_oral(session, patient_id)
    names = user_names(session, [r.recorded_by_id for r in rows])
    out = []
    for r in rows:
        t = _oral_domain(r)
        warnings = check_oral_trial(
            t.agent,
            t.highest_daily_dose_mg,
            t.duration_days,
            t.outcome,
            side_effects=t.side_effects,
            other_agent_name=t.other_agent_name,
        )
        out.append(
            OralTrialView(
                r.id,
                r.patient_id,
                t,
                names.get(r.recorded_by_id or 0, ""),
                r.version,
                tuple(p for p in warnings if p.severity is Severity.WARNING),
            )
        )
    return out


def _active_oral(session: Session, patient_id: int) -> list[OralTrialRow]:
    return list(
        session.scalars(
            select(OralTrialRow)
            .where(OralTrialRow.patient_id == patient_id, OralTrialRow.retired.is_(False))
            .order_by(OralTrialRow.id)
        )
    )


def record_oral_trial(
    session: Session,
    actor: Actor,
    patient_id: int,
    *,
    agent: Any,
    highest_daily_dose_mg: Any,
    duration_days: Any,
    outcome: Any,
    side_effects: str = "",
    other_agent_name: str = "",
) -> OralTrialView:
    """Record one oral agent tried; a dose above the usual maximum is a warning, not refused."""
    require(actor, Permission.EDIT_CANDIDACY)
    patient = patient_or_404(session, patient_id)
    trial = make_oral_trial(
        agent,
        highest_daily_dose_mg,
        duration_days,
        outcome,
        side_effects=side_effects or "",
        other_agent_name=other_agent_name or "",
    )
    row = OralTrialRow(patient_id=patient_id, recorded_by_id=actor.user_id or None)
    _apply_oral(row, trial)
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        action="create",
        entity="oral_trial",
        entity_id=row.id,
        patient_id=patient_id,
        summary=f"Recorded an oral trial: {trial.words}",
        after=_oral_values(trial),
    )
    _evaluating(session, actor, patient, "work-up started")
    session.commit()
    return next(v for v in list_oral_trials(session, actor, patient_id) if v.id == row.id)


def _apply_oral(row: OralTrialRow, t: OralTrial) -> None:
    row.agent = t.agent.value
    row.other_agent_name = t.other_agent_name
    row.highest_daily_dose_mg = t.highest_daily_dose_mg
    row.duration_days = t.duration_days
    row.outcome = t.outcome.value
    row.side_effects = t.side_effects


def update_oral_trial(
    session: Session,
    actor: Actor,
    trial_id: int,
    expected_version: int,
    *,
    agent: Any,
    highest_daily_dose_mg: Any,
    duration_days: Any,
    outcome: Any,
    side_effects: str = "",
    other_agent_name: str = "",
) -> OralTrialView:
    require(actor, Permission.EDIT_CANDIDACY)
    row = session.get(OralTrialRow, trial_id)
    if row is None or row.retired:
        raise NotFound("This oral trial no longer exists.")
    trial = make_oral_trial(
        agent,
        highest_daily_dose_mg,
        duration_days,
        outcome,
        side_effects=side_effects or "",
        other_agent_name=other_agent_name or "",
    )
    before = _oral_values(_oral_domain(row))
    after = _oral_values(trial)
    if row.version != expected_version:
        raise _oral_conflict(session, row, after)
    if before == after:
        session.rollback()
        return next(v for v in list_oral_trials(session, actor, row.patient_id) if v.id == row.id)
    _apply_oral(row, trial)
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        fresh = session.get(OralTrialRow, trial_id)
        assert fresh is not None
        raise _oral_conflict(session, fresh, after) from None
    changed = [k for k in before if before[k] != after[k]]
    audit.record(
        session,
        actor,
        action="update",
        entity="oral_trial",
        entity_id=row.id,
        patient_id=row.patient_id,
        summary=f"Edited an oral trial: {trial.words}",
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
    )
    session.commit()
    return next(v for v in list_oral_trials(session, actor, row.patient_id) if v.id == row.id)


def _oral_conflict(session: Session, row: OralTrialRow, yours: dict[str, Any]) -> Exception:
    return conflict(
        session,
        entity="oral_trial",
        entity_id=row.id,
        label=f"the {_oral_domain(row).agent_name} trial",
        current_version=row.version,
        theirs=_oral_values(_oral_domain(row)),
        yours=yours,
        labels=ORAL_LABELS,
    )


def retire_oral_trial(
    session: Session, actor: Actor, trial_id: int, expected_version: int, reason: str
) -> None:
    """An entry made in error is retired with a reason, never erased."""
    require(actor, Permission.EDIT_CANDIDACY)
    row = session.get(OralTrialRow, trial_id)
    if row is None or row.retired:
        raise NotFound("This oral trial no longer exists.")
    if not (reason or "").strip():
        raise ValidationFailed.single("reason", "Say why the trial is removed from the record.")
    if row.version != expected_version:
        raise _oral_conflict(session, row, _oral_values(_oral_domain(row)))
    row.retired = True
    row.retired_reason = reason.strip()
    session.flush()
    audit.record(
        session,
        actor,
        action="retire",
        entity="oral_trial",
        entity_id=row.id,
        patient_id=row.patient_id,
        summary=f"Removed an oral trial ({_oral_domain(row).words}): {reason.strip()}",
        before={"retired": False},
        after={"retired": True, "reason": reason.strip()},
    )
    session.commit()


def _evaluating(session: Session, actor: Actor, patient: Patient, why: str) -> None:
    if PatientStatus(patient.status) is PatientStatus.REFERRED:
        follow_status(session, actor, patient, PatientStatus.EVALUATING, why)


# ---------------------------------------------------------------------------------------------
# Contraindication screen.


@dataclass(frozen=True)
class ScreenView:
    id: int
    patient_id: int
    screen: ContraindicationScreen
    recorded_by: str
    recorded_at: dt.datetime


def latest_screen(session: Session, actor: Actor, patient_id: int) -> ScreenView | None:
    require(actor, Permission.VIEW_PATIENTS)
    row = _latest_screen_row(session, patient_id)
    if row is None:
        return None
    names = user_names(session, [row.recorded_by_id])
    return ScreenView(
        row.id,
        row.patient_id,
        _screen_domain(row),
        names.get(row.recorded_by_id or 0, ""),
        row.created_at,
    )


def _latest_screen_row(session: Session, patient_id: int) -> ContraindicationScreenRow | None:
    return session.scalars(
        select(ContraindicationScreenRow)
        .where(ContraindicationScreenRow.patient_id == patient_id)
        .order_by(ContraindicationScreenRow.id.desc())
        .limit(1)
    ).first()


def _screen_domain(row: ContraindicationScreenRow) -> ContraindicationScreen:
    return ContraindicationScreen(
        id=row.id,
        assessed_on=row.assessed_on,
        answers=load(row.answers) or {},
        notes=row.notes,
        young_age_reason=row.young_age_reason,
    )


def save_screen(
    session: Session,
    actor: Actor,
    patient_id: int,
    *,
    answers: Mapping[str, bool],
    assessed_on: dt.date,
    notes: str = "",
    young_age_reason: str = "",
    based_on_id: int | None = None,
) -> ScreenView:
    """A new screen (the earlier ones stay on record); refused if someone screened meanwhile."""
    require(actor, Permission.EDIT_CANDIDACY)
    patient = patient_or_404(session, patient_id)
    if assessed_on is not None and assessed_on > dt.date.today():
        raise ValidationFailed.single("assessed_on", "The screen cannot be dated in the future.")
    raise_if_errors(date_problems("assessed_on", "The screen", assessed_on, latest=dt.date.today()))
    screen = ContraindicationScreen(
        id=None,
        assessed_on=assessed_on,
        answers=dict(answers),
        notes=(notes or "").strip(),
        young_age_reason=(young_age_reason or "").strip(),
    )
    latest = _latest_screen_row(session, patient_id)
    if latest is not None and latest.id != based_on_id:
        theirs = _screen_domain(latest)
        raise conflict(
            session,
            entity="contraindication_screen",
            entity_id=latest.id,
            label="the contraindication screen",
            current_version=latest.id,
            theirs={c.value: theirs.answers.get(c) for c in Contraindication},
            yours={c.value: screen.answers.get(c) for c in Contraindication},
            labels={c.value: c.label for c in Contraindication},
        )
    row = ContraindicationScreenRow(
        patient_id=patient_id,
        assessed_on=screen.assessed_on,
        answers=dump({c.value: v for c, v in screen.answers.items()}),
        notes=screen.notes,
        young_age_reason=screen.young_age_reason,
        recorded_by_id=actor.user_id or None,
    )
    session.add(row)
    session.flush()
    present = [c.label for c in screen.present]
    audit.record(
        session,
        actor,
        action="create",
        entity="contraindication_screen",
        entity_id=row.id,
        patient_id=patient_id,
        summary="Contraindication screen: "
        + (f"present: {', '.join(present)}" if present else "none present")
        + (f"; {len(screen.not_assessed)} not assessed" if screen.not_assessed else ""),
        before=_screen_domain(latest).to_dict() if latest else None,
        after=screen.to_dict(),
    )
    _evaluating(session, actor, patient, "work-up started")
    session.commit()
    result = latest_screen(session, actor, patient_id)
    assert result is not None
    return result


# ---------------------------------------------------------------------------------------------
# Goals.

GOAL_LABELS = {"area": "Area", "description": "Goal", "weight": "Weight"}


@dataclass(frozen=True)
class GoalView:
    id: int
    patient_id: int
    area: GoalArea
    description: str
    weight: Decimal
    gas_score: int | None
    scored_on: dt.date | None
    version: int


@dataclass(frozen=True)
class GoalsSummary:
    goals: list[GoalView]
    t_score: Decimal | None  # when every goal is scored

    @property
    def words(self) -> str:
        if not self.goals:
            return "No goals documented."
        scored = [g for g in self.goals if g.gas_score is not None]
        if self.t_score is not None:
            return f"GAS T-score {format_number(self.t_score, 1)} over {len(self.goals)} goals."
        return f"{len(scored)} of {len(self.goals)} goals scored with GAS."


def list_goals(session: Session, actor: Actor, patient_id: int) -> GoalsSummary:
    require(actor, Permission.VIEW_PATIENTS)
    rows = session.scalars(
        select(GoalRow)
        .where(GoalRow.patient_id == patient_id, GoalRow.retired.is_(False))
        .order_by(GoalRow.id)
    ).all()
    goals = [
        GoalView(
            r.id,
            r.patient_id,
            GoalArea(r.area),
            r.description,
            r.weight,
            r.gas_score,
            r.scored_on,
            r.version,
        )
        for r in rows
    ]
    t_score = None
    if goals and all(g.gas_score is not None for g in goals):
        t_score = GasAssessment(
            tuple(GasGoal(g.description, g.gas_score, g.weight) for g in goals)  # type: ignore[arg-type]
        ).t_score()
    return GoalsSummary(goals, t_score)


def add_goal(
    session: Session,
    actor: Actor,
    patient_id: int,
    *,
    area: Any,
    description: str,
    weight: Any = None,
) -> GoalView:
    require(actor, Permission.EDIT_CANDIDACY)
    patient = patient_or_404(session, patient_id)
    raise_if_errors(check_goal(area, description, weight))
    row = GoalRow(
        patient_id=patient_id,
        area=GoalArea(area).value,
        description=description.strip(),
        weight=Decimal(str(weight).strip()) if weight not in (None, "") else Decimal(1),
        recorded_by_id=actor.user_id or None,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        action="create",
        entity="goal",
        entity_id=row.id,
        patient_id=patient_id,
        summary=f"Goal ({GoalArea(area).label}): {row.description}",
        after={"area": row.area, "description": row.description, "weight": row.weight},
    )
    _evaluating(session, actor, patient, "work-up started")
    session.commit()
    return _goal_view(session, actor, row)


def _goal_view(session: Session, actor: Actor, row: GoalRow) -> GoalView:
    return next(g for g in list_goals(session, actor, row.patient_id).goals if g.id == row.id)


def _goal_row(session: Session, goal_id: int) -> GoalRow:
    row = session.get(GoalRow, goal_id)
    if row is None or row.retired:
        raise NotFound("This goal no longer exists.")
    return row


def _goal_conflict(session: Session, row: GoalRow, yours: dict[str, Any]) -> Exception:
    return conflict(
        session,
        entity="goal",
        entity_id=row.id,
        label="this goal",
        current_version=row.version,
        theirs={
            "area": row.area,
            "description": row.description,
            "weight": str(row.weight),
            "gas_score": row.gas_score,
        },
        yours=yours,
        labels={**GOAL_LABELS, "gas_score": "GAS score"},
    )


def score_goal(
    session: Session,
    actor: Actor,
    goal_id: int,
    expected_version: int,
    score: Any,
    *,
    on: dt.date | None = None,
) -> GoalView:
    """Score a goal's attainment with GAS: -2..+2, 0 the expected level [47]."""
    require(actor, Permission.EDIT_CANDIDACY)
    row = _goal_row(session, goal_id)
    raise_if_errors(check_gas_score(score))
    value = int(str(score).strip())
    if row.version != expected_version:
        raise _goal_conflict(session, row, {"gas_score": value})
    before = row.gas_score
    row.gas_score = value
    row.scored_on = on or dt.date.today()
    row.scored_by_id = actor.user_id or None
    session.flush()
    audit.record(
        session,
        actor,
        action="score",
        entity="goal",
        entity_id=row.id,
        patient_id=row.patient_id,
        summary=f"GAS score {value:+d} for: {row.description}",
        before={"gas_score": before},
        after={"gas_score": value},
    )
    session.commit()
    return _goal_view(session, actor, row)


def retire_goal(
    session: Session, actor: Actor, goal_id: int, expected_version: int, reason: str
) -> None:
    require(actor, Permission.EDIT_CANDIDACY)
    row = _goal_row(session, goal_id)
    if not (reason or "").strip():
        raise ValidationFailed.single("reason", "Say why the goal is removed.")
    if row.version != expected_version:
        raise _goal_conflict(session, row, {})
    row.retired = True
    row.retired_reason = reason.strip()
    session.flush()
    audit.record(
        session,
        actor,
        action="retire",
        entity="goal",
        entity_id=row.id,
        patient_id=row.patient_id,
        summary=f"Removed the goal “{row.description}”: {reason.strip()}",
        after={"retired": True, "reason": reason.strip()},
    )
    session.commit()


# ---------------------------------------------------------------------------------------------
# Screening trials.


@dataclass(frozen=True)
class TrialView:
    id: int
    patient_id: int
    trial: ScreeningTrial
    response: ScreeningResponse
    warnings: tuple[Problem, ...]
    recorded_by: str
    version: int
    assessment_ids: tuple[int, ...] = ()  # post-dose, in time order


@dataclass(frozen=True)
class ScreeningSummary:
    trials: list[TrialView]  # oldest first
    next_step: NextStep
    origin: Origin | None
    sequence_warnings: tuple[Problem, ...] = field(default_factory=tuple)


def _trial_rows(session: Session, patient_id: int) -> list[ScreeningTrialRow]:
    return list(
        session.scalars(
            select(ScreeningTrialRow)
            .where(ScreeningTrialRow.patient_id == patient_id, ScreeningTrialRow.retired.is_(False))
            .order_by(ScreeningTrialRow.given_at, ScreeningTrialRow.id)
        )
    )


def _assessment(r: ScreeningAssessmentRow) -> ScreeningAssessment:
    return ScreeningAssessment(
        taken_at=r.taken_at,
        mas=load(r.mas),  # type: ignore[arg-type]
        vitals=load(r.vitals),  # type: ignore[arg-type]
        note=r.note,
    )


def _trial_domain(
    session: Session, row: ScreeningTrialRow
) -> tuple[ScreeningTrial, tuple[int, ...]]:
    assessments = session.scalars(
        select(ScreeningAssessmentRow)
        .where(ScreeningAssessmentRow.trial_id == row.id)
        .order_by(ScreeningAssessmentRow.taken_at, ScreeningAssessmentRow.id)
    ).all()
    events = session.scalars(
        select(ScreeningAdverseEventRow)
        .where(ScreeningAdverseEventRow.trial_id == row.id)
        .order_by(ScreeningAdverseEventRow.id)
    ).all()
    baseline = next((a for a in assessments if a.is_baseline), None)
    post = [a for a in assessments if not a.is_baseline]
    trial = ScreeningTrial(
        id=row.id,
        route=ScreeningRoute(row.route),
        given_at=row.given_at,
        dose_mcg=row.dose_mcg,
        dose_mcg_per_day=row.dose_mcg_per_day,
        duration_hours=row.duration_hours,
        baseline=_assessment(baseline) if baseline else None,
        post_dose=tuple(_assessment(a) for a in post),
        adverse_events=tuple(AdverseEventRecord(e.event, e.at, e.details) for e in events),  # type: ignore[arg-type]
        notes=row.notes,
    )
    return trial, tuple(a.id for a in post)


def patient_origin(session: Session, patient: Patient) -> Origin | None:
    snapshot = load_snapshot(session, patient.id)
    from carecoord.domain.candidacy import resolve_origin

    return resolve_origin(snapshot)


def screening_summary(session: Session, actor: Actor, patient_id: int) -> ScreeningSummary:
    """Every trial with its response by the clinic's rule, and the suggested next step."""
    require(actor, Permission.VIEW_PATIENTS)
    patient = patient_or_404(session, patient_id)
    settings = load_settings(session)
    origin = patient_origin(session, patient)
    rows = _trial_rows(session, patient_id)
    names = user_names(session, [r.recorded_by_id for r in rows])
    views = []
    for r in rows:
        trial, ids = _trial_domain(session, r)
        views.append(
            TrialView(
                r.id,
                r.patient_id,
                trial,
                evaluate_response(trial, origin, settings),
                tuple(trial_warnings(trial)),
                names.get(r.recorded_by_id or 0, ""),
                r.version,
                ids,
            )
        )
    trials = [v.trial for v in views]
    step = suggest_next_step(trials, origin, settings, low_start=_low_start(session, patient))
    return ScreeningSummary(views, step, origin, tuple(sequence_warnings(trials)))


def _low_start(session: Session, patient: Patient) -> bool:
    """Very small children start at 25 mcg [5][11]; CLINICAL.md gives no age, so a child
    younger than the clinic's minimum age setting (safety not established [2]) starts low."""
    from carecoord.domain.contraindications import age_in_years

    settings = load_settings(session)
    return age_in_years(patient.date_of_birth, dt.date.today()) < settings.min_age_years


def _coerce_assessment(value: ScreeningAssessment | Mapping[str, Any] | None) -> Any:
    if value is None or isinstance(value, ScreeningAssessment):
        return value
    return ScreeningAssessment.from_dict(value)


def record_screening_trial(
    session: Session,
    actor: Actor,
    patient_id: int,
    *,
    route: Any,
    given_at: dt.datetime,
    dose_mcg: Any = None,
    dose_mcg_per_day: Any = None,
    duration_hours: Any = None,
    baseline: ScreeningAssessment | Mapping[str, Any] | None = None,
    notes: str = "",
) -> TrialView:
    """A test dose (bolus 25/50/75/100 mcg or a continuous trial) with its baseline."""
    require(actor, Permission.RECORD_SCREENING)
    patient = patient_or_404(session, patient_id)
    try:
        trial = ScreeningTrial(
            id=None,
            route=route,
            given_at=given_at,
            dose_mcg=dose_mcg if dose_mcg not in ("",) else None,
            dose_mcg_per_day=dose_mcg_per_day if dose_mcg_per_day not in ("",) else None,
            duration_hours=duration_hours if duration_hours not in ("",) else None,
            baseline=_coerce_assessment(baseline),
            notes=(notes or "").strip(),
        )
    except ValidationFailed:
        raise
    now = dt.datetime.now(dt.UTC)
    if trial.given_at > now + dt.timedelta(minutes=5):
        raise ValidationFailed.single("given_at", "The dose cannot be given in the future.")
    raise_if_errors(
        date_problems(
            "given_at",
            "The screening dose",
            trial.given_at.date(),
            latest=(now + dt.timedelta(days=1)).date(),
        )
    )
    row = ScreeningTrialRow(
        patient_id=patient_id,
        route=trial.route.value,
        given_at=trial.given_at,
        dose_mcg=trial.dose_mcg,
        dose_mcg_per_day=trial.dose_mcg_per_day,
        duration_hours=trial.duration_hours,
        notes=trial.notes,
        recorded_by_id=actor.user_id or None,
    )
    session.add(row)
    session.flush()
    if trial.baseline is not None:
        _add_assessment_row(session, actor, row.id, trial.baseline, baseline=True)
    audit.record(
        session,
        actor,
        action="create",
        entity="screening_trial",
        entity_id=row.id,
        patient_id=patient_id,
        summary=f"Screening trial: {trial.dose_words}",
        after=trial.to_dict(),
    )
    _evaluating(session, actor, patient, "screening started")
    session.commit()
    return _trial_view(session, actor, row)


def _trial_view(session: Session, actor: Actor, row: ScreeningTrialRow) -> TrialView:
    summary = screening_summary(session, actor, row.patient_id)
    return next(t for t in summary.trials if t.id == row.id)


def _add_assessment_row(
    session: Session, actor: Actor, trial_id: int, a: ScreeningAssessment, *, baseline: bool
) -> ScreeningAssessmentRow:
    row = ScreeningAssessmentRow(
        trial_id=trial_id,
        is_baseline=baseline,
        taken_at=a.taken_at,
        mas=dump(a.mas.to_dict()) if a.mas else None,
        vitals=dump(a.vitals.to_dict()) if a.vitals else None,
        note=a.note,
        recorded_by_id=actor.user_id or None,
    )
    session.add(row)
    session.flush()
    return row


def _trial_row(session: Session, trial_id: int) -> ScreeningTrialRow:
    row = session.get(ScreeningTrialRow, trial_id)
    if row is None or row.retired:
        raise NotFound("This screening trial no longer exists.")
    return row


def _trial_conflict(session: Session, row: ScreeningTrialRow) -> Exception:
    return conflict(
        session,
        entity="screening_trial",
        entity_id=row.id,
        label="this screening trial",
        current_version=row.version,
        theirs={},
        yours={},
        labels={},
    )


def add_assessment(
    session: Session,
    actor: Actor,
    trial_id: int,
    expected_version: int,
    assessment: ScreeningAssessment | Mapping[str, Any],
    *,
    baseline: bool = False,
) -> TrialView:
    """A serial assessment (or the baseline): the whole trial is re-checked with it."""
    require(actor, Permission.RECORD_SCREENING)
    row = _trial_row(session, trial_id)
    a = _coerce_assessment(assessment)
    trial, _ids = _trial_domain(session, row)
    if baseline and trial.baseline is not None:
        raise ValidationFailed.single("baseline", "The baseline of this trial is recorded.")
    # Validate the trial as it would be: a post-dose time before the dose is refused here.
    ScreeningTrial(
        id=trial.id,
        route=trial.route,
        given_at=trial.given_at,
        dose_mcg=trial.dose_mcg,
        dose_mcg_per_day=trial.dose_mcg_per_day,
        duration_hours=trial.duration_hours,
        baseline=a if baseline else trial.baseline,
        post_dose=trial.post_dose if baseline else (*trial.post_dose, a),
        adverse_events=trial.adverse_events,
        notes=trial.notes,
    )
    if row.version != expected_version:
        raise _trial_conflict(session, row)
    _add_assessment_row(session, actor, row.id, a, baseline=baseline)
    touch(row, "notes")
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise _trial_conflict(session, _trial_row(session, trial_id)) from None
    parts = [a.mas.summary()] if a.mas else []
    if a.vitals:
        parts.append("vital signs")
    audit.record(
        session,
        actor,
        action="assess",
        entity="screening_trial",
        entity_id=row.id,
        patient_id=row.patient_id,
        summary=f"{'Baseline' if baseline else 'Post-dose'} assessment of the "
        f"{trial.dose_words} screening: {', '.join(parts)}",
        after=a.to_dict(),
    )
    session.commit()
    return _trial_view(session, actor, row)


def add_adverse_event(
    session: Session,
    actor: Actor,
    trial_id: int,
    expected_version: int,
    *,
    event: Any,
    at: dt.datetime | None = None,
    details: str = "",
) -> TrialView:
    require(actor, Permission.RECORD_SCREENING)
    row = _trial_row(session, trial_id)
    record = AdverseEventRecord(event, at, (details or "").strip())
    if row.version != expected_version:
        raise _trial_conflict(session, row)
    session.add(
        ScreeningAdverseEventRow(
            trial_id=row.id,
            event=record.event.value,
            at=record.at,
            details=record.details,
            recorded_by_id=actor.user_id or None,
        )
    )
    touch(row, "notes")
    session.flush()
    audit.record(
        session,
        actor,
        action="adverse_event",
        entity="screening_trial",
        entity_id=row.id,
        patient_id=row.patient_id,
        summary=f"Adverse event during screening: {record.words}",
        after=record.to_dict(),
    )
    session.commit()
    return _trial_view(session, actor, row)


# ---------------------------------------------------------------------------------------------
# Team decisions and the candidacy status.


def _decision(r: TeamDecisionRow) -> TeamDecision:
    return TeamDecision(
        id=r.id,
        patient_id=r.patient_id,
        kind=DecisionKind(r.kind),
        decided_on=r.decided_on,
        reason=r.reason,
        defer_until=r.defer_until,
        meeting_id=r.meeting_id,
    )


def latest_decision_row(session: Session, patient_id: int) -> TeamDecisionRow | None:
    return session.scalars(
        select(TeamDecisionRow)
        .where(TeamDecisionRow.patient_id == patient_id)
        .order_by(TeamDecisionRow.decided_on.desc(), TeamDecisionRow.id.desc())
        .limit(1)
    ).first()


def load_snapshot(
    session: Session, patient_id: int, today: dt.date | None = None
) -> CandidacySnapshot:
    """The stored record as the plain values the candidacy rule reads."""
    patient = patient_or_404(session, patient_id)
    evaluations = domain_versions(session, patient_id)
    physiatrist = current_signed(evaluations).get(Discipline.PHYSIATRIST)
    diagnosis: Diagnosis | None = None
    if physiatrist is not None and physiatrist.values.get("diagnosis") in set(Diagnosis):
        diagnosis = Diagnosis(physiatrist.values["diagnosis"])
    if diagnosis is None:
        diagnosis = diagnosis_from_text(patient.diagnosis)
    screen = _latest_screen_row(session, patient_id)
    decision = latest_decision_row(session, patient_id)
    return CandidacySnapshot(
        patient=PatientFacts(
            id=patient.id,
            birth_date=patient.date_of_birth,
            diagnosis=diagnosis,
            origin=Origin(patient.origin) if patient.origin else None,
            injury_date=patient.injury_date,
            low_start_dose=_low_start(session, patient),
        ),
        today=today or dt.date.today(),
        evaluations=evaluations,
        oral_trials=tuple(_oral_domain(r) for r in _active_oral(session, patient_id)),
        contraindication_screen=_screen_domain(screen) if screen else None,
        screening_trials=tuple(
            _trial_domain(session, r)[0] for r in _trial_rows(session, patient_id)
        ),
        latest_decision=_decision(decision) if decision else None,
    )


def assess(session: Session, patient_id: int, today: dt.date | None = None) -> CandidacyAssessment:
    return assess_candidacy(load_snapshot(session, patient_id, today), load_settings(session))


def candidacy(
    session: Session, actor: Actor, patient_id: int, today: dt.date | None = None
) -> CandidacyAssessment:
    """Where the patient stands, every reason pointing to its record, and the checklist."""
    require(actor, Permission.VIEW_PATIENTS)
    return assess(session, patient_id, today)


@dataclass(frozen=True)
class ReadyRow:
    patient_id: int
    patient: str
    mrn: str
    status: CandidacyStatus
    words: str


def statuses_of_screened(
    session: Session, today: dt.date | None = None
) -> dict[int, CandidacyAssessment]:
    """The candidacy of every active patient with a screening trial: only they can be ready
    for review (a positive screening is required), so large clinics are not assessed whole."""
    ids = session.scalars(
        select(ScreeningTrialRow.patient_id)
        .join(Patient, Patient.id == ScreeningTrialRow.patient_id)
        .where(
            ScreeningTrialRow.retired.is_(False),
            Patient.status.in_(
                [
                    PatientStatus.REFERRED.value,
                    PatientStatus.EVALUATING.value,
                    PatientStatus.CANDIDATE.value,
                ]
            ),
        )
        .distinct()
    ).all()
    return {pid: assess(session, pid, today) for pid in sorted(ids)}


def ready_for_review(
    session: Session, actor: Actor, today: dt.date | None = None
) -> list[ReadyRow]:
    require(actor, Permission.VIEW_PATIENTS)
    out = []
    for pid, assessment in statuses_of_screened(session, today).items():
        if assessment.status is CandidacyStatus.READY_FOR_TEAM_REVIEW:
            p = session.get(Patient, pid)
            assert p is not None
            out.append(ReadyRow(pid, patient_name(p), p.mrn, assessment.status, assessment.words))
    return sorted(out, key=lambda r: r.patient)


def decision_words(r: TeamDecisionRow) -> str:
    return _decision(r).words


def describe_decision(r: TeamDecisionRow) -> str:
    text = _decision(r).words
    present = load(r.present) or []
    if present:
        text += f" (present: {', '.join(present)})"
    return text


def decision_history(session: Session, actor: Actor, patient_id: int) -> list[str]:
    require(actor, Permission.VIEW_PATIENTS)
    rows = session.scalars(
        select(TeamDecisionRow)
        .where(TeamDecisionRow.patient_id == patient_id)
        .order_by(TeamDecisionRow.decided_on, TeamDecisionRow.id)
    ).all()
    return [describe_decision(r) for r in rows]


def format_goal(g: GoalView) -> str:
    score = (
        f" (GAS {g.gas_score:+d} on {format_date(g.scored_on)})" if g.gas_score is not None else ""
    )
    return f"{g.area.label}: {g.description}{score}"
