"""The candidacy rule: where a patient stands on the way to an implant, and every reason why.

Input is a plain snapshot of the record (``CandidacySnapshot``); output is a
``CandidacyAssessment``: one status, the reasons behind it (each pointing to the record that
caused it), the blockers of lower precedence still open, warnings, and a checklist for the GUI.

Precedence (the first that applies wins; ``STATUS_PRECEDENCE``):

1. Declined: the latest team decision is a decline. It stands until a new decision.
2. Contraindicated: an absolute contraindication or acute event present, a traumatic brain
   injury less than the wait ago [1][3], younger than the minimum age without a written reason
   [2], or a relative one when the clinic's setting makes relative ones block. Safety first: this
   outranks a deferral and even an approval (do not implant into an active infection).
3. Deferred: the latest decision is a deferral whose review date is still ahead. Once the date
   has passed the patient falls through to the rules below (with a warning).
4. Approved: the latest decision approves the implant. Open gaps below are listed as other
   blockers so the team sees them, but the decision stands.
5. Screening negative: no response at the top of the ladder (100 mcg) or to a continuous trial.
6. Evaluations missing: a required discipline has no signed evaluation, no contraindication
   screen, an absolute item not assessed, or patient facts missing (origin, date of birth,
   diagnosis, date of a brain injury).
7. Oral therapy not exhausted (rule in oral_therapy.py).
8. Screening needed: no trial yet, an escalation pending, or the latest trial not yet judged.
9. Ready for team review: everything above is met and the latest screening is positive.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from carecoord.domain.contraindications import (
    ContraindicationScreen,
    FindingEffect,
    assess_contraindications,
)
from carecoord.domain.decisions import DecisionKind, TeamDecision
from carecoord.domain.diagnoses import Diagnosis
from carecoord.domain.enums import Discipline, Origin
from carecoord.domain.evaluations import (
    Evaluation,
    EvaluationStatus,
    current_signed,
    required_disciplines,
)
from carecoord.domain.oral_therapy import OralTrial, TrialOutcome, oral_therapy_exhausted
from carecoord.domain.screening import (
    AdverseEvent,
    NextAction,
    NextStep,
    ScreeningTrial,
    suggest_next_step,
)
from carecoord.domain.settings import ClinicSettings
from carecoord.domain.units import format_date


class CandidacyStatus(StrEnum):
    DECLINED = "declined"
    CONTRAINDICATED = "contraindicated"
    DEFERRED = "deferred"
    APPROVED = "approved"
    SCREENING_NEGATIVE = "screening_negative"
    EVALUATIONS_MISSING = "evaluations_missing"
    ORAL_THERAPY_NOT_EXHAUSTED = "oral_therapy_not_exhausted"
    SCREENING_NEEDED = "screening_needed"
    READY_FOR_TEAM_REVIEW = "ready_for_team_review"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    CandidacyStatus.DECLINED: "Declined",
    CandidacyStatus.CONTRAINDICATED: "Contraindicated",
    CandidacyStatus.DEFERRED: "Deferred",
    CandidacyStatus.APPROVED: "Approved for implant",
    CandidacyStatus.SCREENING_NEGATIVE: "Screening negative",
    CandidacyStatus.EVALUATIONS_MISSING: "Evaluations missing",
    CandidacyStatus.ORAL_THERAPY_NOT_EXHAUSTED: "Oral therapy not exhausted",
    CandidacyStatus.SCREENING_NEEDED: "Screening needed",
    CandidacyStatus.READY_FOR_TEAM_REVIEW: "Ready for team review",
}
STATUS_PRECEDENCE: tuple[CandidacyStatus, ...] = tuple(CandidacyStatus)  # declaration order


class RecordKind(StrEnum):
    PATIENT = "patient"
    EVALUATION = "evaluation"
    ORAL_TRIAL = "oral_trial"
    CONTRAINDICATION_SCREEN = "contraindication_screen"
    SCREENING_TRIAL = "screening_trial"
    TEAM_DECISION = "team_decision"


@dataclass(frozen=True)
class RecordRef:
    """The record behind a reason. ``id`` is None when the record is missing (e.g. no nurse
    evaluation); ``detail`` then says which (a discipline value, a field name)."""

    kind: RecordKind
    id: int | str | None
    detail: str = ""


@dataclass(frozen=True)
class Reason:
    status: CandidacyStatus | None  # None for a warning
    words: str
    ref: RecordRef


class ItemState(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    WARNING = "warning"

    @property
    def label(self) -> str:
        return {ItemState.MET: "Met", ItemState.NOT_MET: "Not met", ItemState.WARNING: "Check"}[
            self
        ]


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    state: ItemState
    words: str
    refs: tuple[RecordRef, ...] = ()


@dataclass(frozen=True)
class PatientFacts:
    id: int | str | None
    birth_date: dt.date | None
    diagnosis: Diagnosis | None
    origin: Origin | None = None  # None: taken from the physiatrist's evaluation or diagnosis
    injury_date: dt.date | None = None
    low_start_dose: bool = False  # very small child or relies on tone to stand [5][11]


@dataclass(frozen=True)
class CandidacySnapshot:
    """Everything the rule reads, as plain domain values (the store maps its rows to these)."""

    patient: PatientFacts
    today: dt.date
    evaluations: tuple[Evaluation, ...] = ()  # every version, drafts and amendments included
    oral_trials: tuple[OralTrial, ...] = ()
    contraindication_screen: ContraindicationScreen | None = None  # the latest one
    screening_trials: tuple[ScreeningTrial, ...] = ()
    latest_decision: TeamDecision | None = None


@dataclass(frozen=True)
class CandidacyAssessment:
    status: CandidacyStatus
    reasons: tuple[Reason, ...]  # why this status
    other_blockers: tuple[Reason, ...]  # open reasons of lower precedence
    warnings: tuple[Reason, ...]
    checklist: tuple[ChecklistItem, ...]
    origin: Origin | None
    screening_next_step: NextStep | None = None
    all_blockers: tuple[Reason, ...] = field(default=())

    @property
    def words(self) -> str:
        if not self.reasons:
            return self.status.label
        return f"{self.status.label}: {self.reasons[0].words}"


def _patient_ref(detail: str = "", patient: PatientFacts | None = None) -> RecordRef:
    return RecordRef(RecordKind.PATIENT, patient.id if patient else None, detail)


def resolve_origin(snapshot: CandidacySnapshot) -> Origin | None:
    """Patient's recorded origin, else the physiatrist's signed evaluation, else the diagnosis."""
    if snapshot.patient.origin is not None:
        return snapshot.patient.origin
    physiatrist = current_signed(snapshot.evaluations).get(Discipline.PHYSIATRIST)
    if physiatrist is not None and physiatrist.values.get("origin") in set(Origin):
        return Origin(physiatrist.values["origin"])
    if snapshot.patient.diagnosis is not None:
        return snapshot.patient.diagnosis.usual_origin
    return None


def assess_candidacy(snapshot: CandidacySnapshot, settings: ClinicSettings) -> CandidacyAssessment:
    """Apply the candidacy rule (see the module docstring for the precedence)."""
    S = CandidacyStatus
    blockers: list[Reason] = []
    warnings: list[Reason] = []
    checklist: list[ChecklistItem] = []
    patient = snapshot.patient
    pref = _patient_ref("", patient)

    # --- Evaluations (work-up) ---------------------------------------------------------------
    current = current_signed(snapshot.evaluations)
    for discipline in required_disciplines(settings):
        evaluation = current.get(discipline)
        name = f"{discipline.label} evaluation"
        if evaluation is None:
            drafts = [
                e
                for e in snapshot.evaluations
                if e.discipline is discipline and e.status is EvaluationStatus.DRAFT
            ]
            if drafts:
                draft = drafts[-1]
                ref = RecordRef(RecordKind.EVALUATION, draft.id, discipline.value)
                words = f"{name} is a draft, not signed."
            else:
                ref = RecordRef(RecordKind.EVALUATION, None, discipline.value)
                words = f"No {name.lower()}."
            blockers.append(Reason(S.EVALUATIONS_MISSING, words, ref))
            checklist.append(
                ChecklistItem(
                    f"evaluation:{discipline.value}", name, ItemState.NOT_MET, words, (ref,)
                )
            )
            continue
        ref = RecordRef(RecordKind.EVALUATION, evaluation.id, discipline.value)
        recommendation = evaluation.recommendation
        state = ItemState.MET
        signed_on = evaluation.signed_at.date() if evaluation.signed_at else None
        words = f"Signed on {format_date(signed_on)}"
        if recommendation is not None:
            words += f"; {recommendation.label.lower()}"
            if recommendation.needs_reason:
                state = ItemState.WARNING
                reason_text = str(evaluation.values.get("recommendation_reason", "")).strip()
                warnings.append(
                    Reason(
                        None, f"{name}: {recommendation.label.lower()}. {reason_text}".strip(), ref
                    )
                )
        pending = [
            e
            for e in snapshot.evaluations
            if e.amends_id == evaluation.id and e.status is EvaluationStatus.DRAFT
        ]
        if pending:
            state = ItemState.WARNING if state is ItemState.MET else state
            words += "; an amendment is in draft"
            warnings.append(
                Reason(
                    None,
                    f"{name}: an amendment is in draft; the signed version is in force.",
                    RecordRef(RecordKind.EVALUATION, pending[-1].id, discipline.value),
                )
            )
        checklist.append(
            ChecklistItem(f"evaluation:{discipline.value}", name, state, words + ".", (ref,))
        )

    origin = resolve_origin(snapshot)
    facts_missing: list[tuple[str, str]] = []
    if patient.diagnosis is None:
        facts_missing.append(("diagnosis", "Record the diagnosis."))
    if origin is None:
        facts_missing.append(("origin", "Record the origin of spasticity (spinal or cerebral)."))
    if patient.birth_date is None:
        facts_missing.append(("birth_date", "Record the date of birth."))
    for detail, words in facts_missing:
        blockers.append(Reason(S.EVALUATIONS_MISSING, words, _patient_ref(detail, patient)))
    checklist.append(
        ChecklistItem(
            "patient_facts",
            "Diagnosis, origin and date of birth",
            ItemState.NOT_MET if facts_missing else ItemState.MET,
            " ".join(w for _, w in facts_missing)
            or f"{patient.diagnosis.label if patient.diagnosis else ''}, "
            f"{origin.label.lower() if origin else ''}.",
            (pref,),
        )
    )

    # --- Contraindications -------------------------------------------------------------------
    screen = snapshot.contraindication_screen
    screen_ref = RecordRef(RecordKind.CONTRAINDICATION_SCREEN, screen.id if screen else None)
    if screen is None:
        words = "No contraindication screen."
        blockers.append(Reason(S.EVALUATIONS_MISSING, words, screen_ref))
    findings = assess_contraindications(
        screen,
        today=snapshot.today,
        settings=settings,
        birth_date=patient.birth_date,
        diagnosis=patient.diagnosis,
        injury_date=patient.injury_date,
    )
    contra_state = ItemState.MET if screen is not None else ItemState.NOT_MET
    contra_words: list[str] = [] if screen is not None else ["No contraindication screen."]
    for finding in findings:
        from_patient = finding.code in {"young_age", "tbi_wait", "tbi_injury_date_missing"}
        ref = (
            _patient_ref(finding.code, patient)
            if from_patient
            else RecordRef(
                RecordKind.CONTRAINDICATION_SCREEN, screen.id if screen else None, finding.code
            )
        )
        contra_words.append(finding.words)
        if finding.effect is FindingEffect.WARNS:
            warnings.append(Reason(None, finding.words, ref))
            if contra_state is ItemState.MET:
                contra_state = ItemState.WARNING
            continue
        contra_state = ItemState.NOT_MET
        missing = finding.code.startswith("not_assessed:") or finding.code == (
            "tbi_injury_date_missing"
        )
        blockers.append(
            Reason(S.EVALUATIONS_MISSING if missing else S.CONTRAINDICATED, finding.words, ref)
        )
    checklist.append(
        ChecklistItem(
            "contraindications",
            "No contraindication",
            contra_state,
            " ".join(contra_words)
            or f"Screened on {format_date(screen.assessed_on if screen else None)}: none present.",
            (screen_ref,),
        )
    )

    # --- Oral therapy ------------------------------------------------------------------------
    verdict = oral_therapy_exhausted(snapshot.oral_trials, settings)
    oral_refs = tuple(RecordRef(RecordKind.ORAL_TRIAL, t.id) for t in snapshot.oral_trials)
    if not verdict.exhausted:
        if not verdict.judgements:
            blockers.append(
                Reason(
                    S.ORAL_THERAPY_NOT_EXHAUSTED,
                    "No oral trial recorded.",
                    RecordRef(RecordKind.ORAL_TRIAL, None),
                )
            )
        else:
            blockers.append(
                Reason(
                    S.ORAL_THERAPY_NOT_EXHAUSTED,
                    verdict.words,
                    RecordRef(RecordKind.ORAL_TRIAL, None, "summary"),
                )
            )
        for j in verdict.judgements:
            if not j.counts:
                blockers.append(
                    Reason(
                        S.ORAL_THERAPY_NOT_EXHAUSTED,
                        j.words,
                        RecordRef(RecordKind.ORAL_TRIAL, j.trial.id),
                    )
                )
    for j in verdict.judgements:
        if j.trial.outcome is TrialOutcome.EFFECTIVE:
            warnings.append(Reason(None, j.words, RecordRef(RecordKind.ORAL_TRIAL, j.trial.id)))
    has_effective = any(j.trial.outcome is TrialOutcome.EFFECTIVE for j in verdict.judgements)
    checklist.append(
        ChecklistItem(
            "oral_therapy",
            "Oral therapy exhausted",
            ItemState.NOT_MET
            if not verdict.exhausted
            else (ItemState.WARNING if has_effective else ItemState.MET),
            " ".join([verdict.words, *(j.words for j in verdict.judgements)]),
            oral_refs,
        )
    )

    # --- Screening ---------------------------------------------------------------------------
    step = suggest_next_step(
        snapshot.screening_trials, origin, settings, low_start=patient.low_start_dose
    )
    trial_ref = RecordRef(RecordKind.SCREENING_TRIAL, step.trial.id if step.trial else None)
    if step.action is NextAction.NOT_A_CANDIDATE:
        blockers.append(Reason(S.SCREENING_NEGATIVE, step.words, trial_ref))
        screen_state = ItemState.NOT_MET
    elif step.action is NextAction.POSITIVE:
        screen_state = ItemState.MET
    else:
        blockers.append(Reason(S.SCREENING_NEEDED, step.words, trial_ref))
        screen_state = ItemState.NOT_MET
    for problem in step.warnings:
        warnings.append(Reason(None, problem.message, trial_ref))
    for trial in snapshot.screening_trials:
        for event in trial.adverse_events:
            if event.event in (AdverseEvent.SEIZURE, AdverseEvent.SLOWED_BREATHING):
                warnings.append(
                    Reason(
                        None,
                        f"Adverse event during the {trial.dose_words} screening: {event.words}.",
                        RecordRef(RecordKind.SCREENING_TRIAL, trial.id),
                    )
                )
    if screen_state is ItemState.MET and step.warnings:
        screen_state = ItemState.WARNING
    checklist.append(
        ChecklistItem(
            "screening",
            "Positive screening",
            screen_state,
            step.words,
            tuple(RecordRef(RecordKind.SCREENING_TRIAL, t.id) for t in snapshot.screening_trials),
        )
    )

    # --- Team decision -----------------------------------------------------------------------
    decision = snapshot.latest_decision
    if decision is not None:
        dref = RecordRef(RecordKind.TEAM_DECISION, decision.id)
        if decision.kind is DecisionKind.DECLINE:
            blockers.append(Reason(S.DECLINED, decision.words, dref))
        elif decision.kind is DecisionKind.DEFER:
            if decision.defer_until is not None and decision.defer_until > snapshot.today:
                blockers.append(Reason(S.DEFERRED, decision.words, dref))
            else:
                warnings.append(
                    Reason(None, f"Deferral ended: {decision.words}. Review again.", dref)
                )
        elif decision.kind is DecisionKind.APPROVE_IMPLANT:
            blockers.append(Reason(S.APPROVED, decision.words, dref))
        checklist.append(
            ChecklistItem(
                "team_decision",
                "Team decision",
                ItemState.MET
                if decision.kind is DecisionKind.APPROVE_IMPLANT
                else ItemState.WARNING,
                decision.words + ".",
                (dref,),
            )
        )
    else:
        checklist.append(
            ChecklistItem(
                "team_decision", "Team decision", ItemState.NOT_MET, "No team decision yet.", ()
            )
        )

    # --- Status by precedence ----------------------------------------------------------------
    ordered = sorted(blockers, key=lambda r: STATUS_PRECEDENCE.index(r.status))  # type: ignore[arg-type]
    status = ordered[0].status if ordered else S.READY_FOR_TEAM_REVIEW
    assert status is not None
    reasons = tuple(r for r in ordered if r.status is status)
    if status is S.READY_FOR_TEAM_REVIEW:
        reasons = (
            Reason(
                status,
                "Work-up complete, oral therapy exhausted, no contraindication, "
                "positive screening.",
                trial_ref,
            ),
        )
    other = tuple(r for r in ordered if r.status is not status)
    return CandidacyAssessment(
        status=status,
        reasons=reasons,
        other_blockers=other,
        warnings=tuple(warnings),
        checklist=tuple(checklist),
        origin=origin,
        screening_next_step=step,
        all_blockers=tuple(ordered),
    )
