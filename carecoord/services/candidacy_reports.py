"""The candidacy records as the printed reports read them (evaluation summary, meeting minutes).

``report_data`` calls these; each returns the plain report inputs, or nothing when the patient
has no such record yet (the report then prints its visible gap).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from carecoord.domain.candidacy import CandidacyStatus
from carecoord.domain.decisions import DecisionKind, TeamDecision
from carecoord.domain.enums import Discipline
from carecoord.domain.evaluations import EvaluationStatus
from carecoord.domain.screening import ResponseStatus
from carecoord.reports.evaluation_summary import (
    CandidacySummary,
    DisciplineFinding,
    ScaleComparison,
    ScreeningSummary,
)
from carecoord.services import candidacy as records
from carecoord.services.context import SYSTEM
from carecoord.services.evaluations import list_evaluations
from carecoord.services.meetings import _domain as meeting_domain
from carecoord.store.models_candidacy import AgendaItemRow, MeetingRow, TeamDecisionRow


def patient_goals(session: Session, patient_id: int) -> tuple[str, ...]:
    """The documented goals (with their GAS score once scored), else the physiatrist's words."""
    goals = records.list_goals(session, SYSTEM, patient_id).goals
    if goals:
        return tuple(records.format_goal(g) for g in goals)
    for view in list_evaluations(session, SYSTEM, patient_id):
        if view.discipline is Discipline.PHYSIATRIST and view.in_force and view.values.get("goals"):
            return (str(view.values["goals"]),)
    return ()


def evaluation_findings(session: Session, patient_id: int) -> tuple[DisciplineFinding, ...]:
    """Per discipline, the signed version in force, or the latest draft when none is signed."""
    views = list_evaluations(session, SYSTEM, patient_id)
    out = []
    for discipline in Discipline:
        mine = [v for v in views if v.discipline is discipline]
        if not mine:
            continue
        chosen = next((v for v in mine if v.in_force), mine[-1])
        clinician = (
            chosen.signed_by_name
            if chosen.status is EvaluationStatus.SIGNED
            else chosen.author_name
        )
        out.append(DisciplineFinding.from_evaluation(chosen.domain(), clinician))
    return tuple(out)


def _decisive_trial(session: Session, patient_id: int) -> records.TrialView | None:
    """The positive trial if there is one, else the latest."""
    trials = records.screening_summary(session, SYSTEM, patient_id).trials
    positive = [t for t in trials if t.response.status is ResponseStatus.POSITIVE]
    return positive[-1] if positive else (trials[-1] if trials else None)


def scale_comparisons(session: Session, patient_id: int) -> tuple[ScaleComparison, ...]:
    """Ashworth grades at baseline and at the best post-dose assessment of that trial."""
    t = _decisive_trial(session, patient_id)
    if t is None or t.trial.baseline is None or t.trial.baseline.mas is None:
        return ()
    base = t.trial.baseline.mas
    best = t.response.best
    after = None
    if best is not None:
        after = next((a.mas for a in t.trial.post_dose if a.taken_at == best.taken_at), None)
    out = [
        ScaleComparison(
            f"Modified Ashworth, mean ({t.trial.dose_words})",
            base.mean(),
            after.mean() if after else None,
        )
    ]
    later = after.by_key() if after else {}
    for r in base.ratings:
        other = later.get(r.key)
        out.append(
            ScaleComparison(
                f"{r.muscle_group} ({r.side.value})", r.value, other.value if other else None
            )
        )
    return tuple(out)


def screening_summary(session: Session, patient_id: int) -> ScreeningSummary | None:
    t = _decisive_trial(session, patient_id)
    if t is None:
        return None
    return ScreeningSummary(
        dose_words=t.trial.dose_words,
        given_on=t.trial.given_at.astimezone().date(),
        response_words=f"{t.response.status.label}. {t.response.words}",
        adverse_events=tuple(e.words for e in t.trial.adverse_events),
    )


def candidacy_summary(session: Session, patient_id: int) -> CandidacySummary:
    return CandidacySummary.from_assessment(records.assess(session, patient_id))


def load_meeting(
    session: Session, held_on: dt.date
) -> tuple[object, dict[int | str, TeamDecision], dict[int | str, CandidacyStatus]] | None:
    """The meeting held (or planned) on that day: its agenda and attendance, the decisions
    taken, and each agenda patient's candidacy status as of that day."""
    row = session.scalars(
        select(MeetingRow).where(MeetingRow.held_on == held_on).order_by(MeetingRow.id.desc())
    ).first()
    if row is None:
        return None
    meeting = meeting_domain(session, row)
    decision_ids = [
        i
        for i in session.scalars(
            select(AgendaItemRow.decision_id).where(
                AgendaItemRow.meeting_id == row.id, AgendaItemRow.decision_id.is_not(None)
            )
        )
    ]
    decisions: dict[int | str, TeamDecision] = {}
    for d in session.scalars(select(TeamDecisionRow).where(TeamDecisionRow.id.in_(decision_ids))):
        decisions[d.id] = TeamDecision(
            d.id,
            d.patient_id,
            DecisionKind(d.kind),
            d.decided_on,
            d.reason,
            d.defer_until,
            d.meeting_id,
        )
    statuses: dict[int | str, CandidacyStatus] = {}
    for item in meeting.agenda:
        decision = decisions.get(item.decision_id) if item.decision_id is not None else None
        # The status the team saw: before its own decision, on the day of the meeting.
        statuses[item.patient_id] = _status_before(session, int(item.patient_id), held_on, decision)
    return meeting, decisions, statuses


def _status_before(
    session: Session, patient_id: int, day: dt.date, decision: TeamDecision | None
) -> CandidacyStatus:
    """The candidacy status on ``day`` with the decisions taken before this one only."""
    from dataclasses import replace

    from carecoord.domain.candidacy import assess_candidacy
    from carecoord.services.settings import load_settings

    query = select(TeamDecisionRow).where(
        TeamDecisionRow.patient_id == patient_id, TeamDecisionRow.decided_on <= day
    )
    if decision is not None:
        query = query.where(TeamDecisionRow.id < int(decision.id))  # type: ignore[arg-type]
    earlier = session.scalars(
        query.order_by(TeamDecisionRow.decided_on.desc(), TeamDecisionRow.id.desc())
    ).first()
    snapshot = replace(
        records.load_snapshot(session, patient_id, day),
        latest_decision=records._decision(earlier) if earlier is not None else None,
    )
    return assess_candidacy(snapshot, load_settings(session)).status
