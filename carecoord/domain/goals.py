"""Patient goals documented before screening [5], scored later with GAS [47].

CLINICAL.md section 1: the team documents goals in mobility and positioning, daily activities,
caregiver time, wheelchair tolerance, sleep and pain.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

from carecoord.domain.errors import Problem
from carecoord.domain.ranges import GAS_WEIGHT, NOTE_TEXT, text_problems
from carecoord.domain.scales import GasGoal, read_decimal, read_int


class GoalArea(StrEnum):
    MOBILITY = "mobility"
    DAILY_ACTIVITIES = "daily_activities"
    CAREGIVER_TIME = "caregiver_time"
    WHEELCHAIR_TOLERANCE = "wheelchair_tolerance"
    SLEEP = "sleep"
    PAIN = "pain"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    GoalArea.MOBILITY: "Mobility and positioning",
    GoalArea.DAILY_ACTIVITIES: "Daily activities",
    GoalArea.CAREGIVER_TIME: "Caregiver time",
    GoalArea.WHEELCHAIR_TOLERANCE: "Wheelchair tolerance",
    GoalArea.SLEEP: "Sleep",
    GoalArea.PAIN: "Pain",
    GoalArea.OTHER: "Other",
}


def check_goal(area: Any, description: Any, weight: Any) -> list[Problem]:
    """A goal needs an area, words and a positive weight (default 1) [47]."""
    problems: list[Problem] = []
    try:
        GoalArea(area)
    except ValueError:
        problems.append(Problem("area", "Choose the area of the goal."))
    if not isinstance(description, str) or not description.strip():
        problems.append(Problem("description", "Write the goal in words."))
    else:
        problems.extend(text_problems("description", "The goal", description, max_length=NOTE_TEXT))
    value = read_decimal(
        Decimal(1) if weight in (None, "") else weight, "weight", "Weight", problems
    )
    if value is not None and value <= 0:
        problems.append(Problem("weight", "A goal's weight must be more than 0."))
    elif value is not None:
        problems.extend(GAS_WEIGHT.problems("weight", value))
    return problems


def check_gas_score(score: Any) -> list[Problem]:
    """A GAS attainment level: -2 to +2, 0 the expected level [47]."""
    problems: list[Problem] = []
    read_int(score, -2, 2, "score", "Goal attainment", problems)
    return problems


def scored_goal(description: str, score: int, weight: Decimal) -> GasGoal:
    return GasGoal(description, score, weight)
