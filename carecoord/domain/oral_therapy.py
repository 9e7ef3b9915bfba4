"""Oral antispastic trials and the "oral therapy exhausted" rule (CLINICAL.md section 1).

The usual maximum daily doses are guidance shown beside the entry; a dose above them is a
warning, never a refusal. Doses are Decimal milligrams a day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from carecoord.domain.errors import Problem, Severity, raise_if_errors
from carecoord.domain.scales import read_decimal, read_enum, read_int
from carecoord.domain.settings import ClinicSettings
from carecoord.domain.units import format_number


class OralAgent(StrEnum):
    BACLOFEN = "baclofen"
    TIZANIDINE = "tizanidine"
    DANTROLENE = "dantrolene"
    DIAZEPAM = "diazepam"
    OTHER = "other"  # named in the trial; no guidance, counts only when not tolerated

    @property
    def label(self) -> str:
        return self.value.capitalize()


class TrialOutcome(StrEnum):
    INEFFECTIVE = "ineffective"
    NOT_TOLERATED = "not_tolerated"
    PARTIAL = "partial"
    EFFECTIVE = "effective"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


@dataclass(frozen=True)
class AgentGuidance:
    """Usual maximum daily dose, shown as guidance [9][34][35][36].

    ``reference_max_mg_per_day`` is what the "near its maximum" rule compares with: the usual
    maximum where CLINICAL.md gives both a usual and a higher figure (tizanidine 24 of 36,
    diazepam the lower end of 40-60), so a patient at the usual top dose counts.
    """

    agent: OralAgent
    reference_max_mg_per_day: Decimal
    upper_max_mg_per_day: Decimal
    note: str
    stop_if_no_benefit_days: int | None = None

    @property
    def words(self) -> str:
        if self.upper_max_mg_per_day != self.reference_max_mg_per_day:
            top = (
                f"{format_number(self.reference_max_mg_per_day)}-"
                f"{format_number(self.upper_max_mg_per_day)} mg a day"
            )
        else:
            top = f"{format_number(self.upper_max_mg_per_day)} mg a day"
        return f"{self.agent.label}: usual maximum {top}. {self.note}".strip()


GUIDANCE: dict[OralAgent, AgentGuidance] = {
    OralAgent.BACLOFEN: AgentGuidance(
        OralAgent.BACLOFEN, Decimal(80), Decimal(80), "Some clinics go to 100-120 mg.", None
    ),  # [9]
    OralAgent.TIZANIDINE: AgentGuidance(
        OralAgent.TIZANIDINE, Decimal(24), Decimal(36), "24 mg is the usual top dose.", None
    ),  # [34]
    OralAgent.DANTROLENE: AgentGuidance(
        OralAgent.DANTROLENE, Decimal(400), Decimal(400), "Stop if no benefit by 45 days.", 45
    ),  # [35]
    OralAgent.DIAZEPAM: AgentGuidance(
        OralAgent.DIAZEPAM, Decimal(40), Decimal(60), "", None
    ),  # [36]
}


@dataclass(frozen=True)
class OralTrial:
    """One oral agent tried: highest daily dose, how long, and what happened [1][3]."""

    id: int | str | None
    agent: OralAgent
    highest_daily_dose_mg: Decimal
    duration_days: int
    outcome: TrialOutcome
    side_effects: str = ""
    other_agent_name: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "agent": self.agent.value,
            "highest_daily_dose_mg": str(self.highest_daily_dose_mg),
            "duration_days": self.duration_days,
            "outcome": self.outcome.value,
            "side_effects": self.side_effects,
            "other_agent_name": self.other_agent_name,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OralTrial:
        return make_oral_trial(
            data.get("agent"),
            data.get("highest_daily_dose_mg"),
            data.get("duration_days"),
            data.get("outcome"),
            side_effects=data.get("side_effects") or "",
            other_agent_name=data.get("other_agent_name") or "",
            id=data.get("id"),
        )

    @property
    def agent_name(self) -> str:
        if self.agent is OralAgent.OTHER:
            return self.other_agent_name or "Other agent"
        return self.agent.label

    @property
    def words(self) -> str:
        return (
            f"{self.agent_name} up to {format_number(self.highest_daily_dose_mg)} mg a day for "
            f"{self.duration_days} days: {self.outcome.label.lower()}"
        )


def check_oral_trial(
    agent: Any,
    highest_daily_dose_mg: Any,
    duration_days: Any,
    outcome: Any,
    *,
    side_effects: str = "",
    other_agent_name: str = "",
) -> list[Problem]:
    """Every problem with a trial as typed: errors refuse it, warnings are shown."""
    problems: list[Problem] = []
    agent_v = read_enum(OralAgent, agent, "agent", "Agent", problems)
    dose = read_decimal(highest_daily_dose_mg, "highest_daily_dose_mg", "Daily dose", problems)
    if dose is not None and dose <= 0:
        problems.append(Problem("highest_daily_dose_mg", "The daily dose must be more than 0 mg."))
    # A duration is at least one day; the upper bound only catches typing slips (a century).
    days = read_int(duration_days, 1, 36500, "duration_days", "Duration in days", problems)
    outcome_v = read_enum(TrialOutcome, outcome, "outcome", "Outcome", problems)
    if agent_v is OralAgent.OTHER and not other_agent_name.strip():
        problems.append(Problem("other_agent_name", "Name the agent."))
    if outcome_v is TrialOutcome.NOT_TOLERATED and not side_effects.strip():
        problems.append(Problem("side_effects", "Say which side effects were not tolerated."))
    guidance = GUIDANCE.get(agent_v) if agent_v is not None else None
    if guidance and dose is not None and dose > guidance.upper_max_mg_per_day:
        problems.append(
            Problem(
                "highest_daily_dose_mg",
                f"{format_number(dose)} mg a day is above the usual maximum for "
                f"{guidance.agent.label} ({format_number(guidance.upper_max_mg_per_day)} mg).",
                Severity.WARNING,
            )
        )
    if (
        guidance
        and guidance.stop_if_no_benefit_days is not None
        and days is not None
        and outcome_v is TrialOutcome.INEFFECTIVE
        and days > guidance.stop_if_no_benefit_days
    ):
        problems.append(
            Problem(
                "duration_days",
                f"{guidance.agent.label} is stopped if there is no benefit by "
                f"{guidance.stop_if_no_benefit_days} days.",
                Severity.WARNING,
            )
        )
    return problems


def make_oral_trial(
    agent: Any,
    highest_daily_dose_mg: Any,
    duration_days: Any,
    outcome: Any,
    *,
    side_effects: str = "",
    other_agent_name: str = "",
    id: int | str | None = None,
) -> OralTrial:
    """Build a validated trial; raises ValidationFailed on errors (warnings do not refuse)."""
    problems = check_oral_trial(
        agent,
        highest_daily_dose_mg,
        duration_days,
        outcome,
        side_effects=side_effects,
        other_agent_name=other_agent_name,
    )
    raise_if_errors(problems)
    return OralTrial(
        id=id,
        agent=OralAgent(agent),
        highest_daily_dose_mg=Decimal(str(highest_daily_dose_mg).strip()),
        duration_days=int(duration_days),
        outcome=TrialOutcome(outcome),
        side_effects=side_effects.strip(),
        other_agent_name=other_agent_name.strip() if OralAgent(agent) is OralAgent.OTHER else "",
    )


@dataclass(frozen=True)
class TrialJudgement:
    trial: OralTrial
    counts: bool
    words: str


def judge_trial(trial: OralTrial, settings: ClinicSettings) -> TrialJudgement:
    """Does this trial show the agent failed: not tolerated, or no (full) effect near its max?"""
    if trial.outcome is TrialOutcome.NOT_TOLERATED:
        return TrialJudgement(trial, True, f"{trial.agent_name} stopped for intolerance.")
    if trial.outcome is TrialOutcome.EFFECTIVE:
        return TrialJudgement(trial, False, f"{trial.agent_name} is recorded as effective.")
    guidance = GUIDANCE.get(trial.agent)
    if guidance is None:
        return TrialJudgement(
            trial,
            False,
            f"{trial.agent_name}: no usual maximum on file, so only intolerance counts.",
        )
    threshold = guidance.reference_max_mg_per_day * settings.oral_near_max_fraction
    if trial.highest_daily_dose_mg >= threshold:
        return TrialJudgement(
            trial,
            True,
            f"{trial.agent_name} {trial.outcome.label.lower()} at "
            f"{format_number(trial.highest_daily_dose_mg)} mg a day (at or near the usual "
            f"maximum of {format_number(guidance.reference_max_mg_per_day)} mg).",
        )
    return TrialJudgement(
        trial,
        False,
        f"{trial.agent_name} reached only {format_number(trial.highest_daily_dose_mg)} mg a day; "
        f"at least {format_number(threshold, 2)} mg counts as near the maximum.",
    )


@dataclass(frozen=True)
class OralTherapyVerdict:
    exhausted: bool
    judgements: tuple[TrialJudgement, ...]
    agents_counted: tuple[OralAgent | str, ...]
    words: str


def oral_therapy_exhausted(
    trials: Iterable[OralTrial], settings: ClinicSettings
) -> OralTherapyVerdict:
    """Default rule [8]: at least ``settings.min_oral_agents_tried`` distinct agents, each at or
    near its usual maximum without full effect, or stopped for intolerance."""
    judgements = tuple(judge_trial(t, settings) for t in trials)
    counted: list[OralAgent | str] = []
    for j in judgements:
        if not j.counts:
            continue
        agent_id: OralAgent | str = (
            j.trial.agent
            if j.trial.agent is not OralAgent.OTHER
            else j.trial.other_agent_name.casefold()
        )
        if agent_id not in counted:
            counted.append(agent_id)
    needed = settings.min_oral_agents_tried
    exhausted = len(counted) >= needed
    if not judgements:
        words = "No oral trial recorded."
    elif exhausted:
        words = (
            f"Oral therapy exhausted: {_agents(len(counted))} tried without success "
            f"({needed} needed)."
        )
    else:
        words = (
            f"Oral therapy not exhausted: {_agents(len(counted))} tried without success, "
            f"{needed} needed."
        )
    return OralTherapyVerdict(exhausted, judgements, tuple(counted), words)


def _agents(n: int) -> str:
    return "no agent" if n == 0 else ("1 agent" if n == 1 else f"{n} agents")
