"""Team decisions about a patient (used by the candidacy rule and by meetings)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from carecoord.domain.errors import Problem, raise_if_errors
from carecoord.domain.ranges import MAX_DEFERRAL_YEARS, date_problems, years_after
from carecoord.domain.scales import read_enum
from carecoord.domain.units import format_date


class DecisionKind(StrEnum):
    APPROVE_IMPLANT = "approve_implant"
    APPROVE_SCREENING = "approve_screening"
    DEFER = "defer"
    DECLINE = "decline"

    @property
    def label(self) -> str:
        return {
            DecisionKind.APPROVE_IMPLANT: "Approve implant",
            DecisionKind.APPROVE_SCREENING: "Approve screening",
            DecisionKind.DEFER: "Defer",
            DecisionKind.DECLINE: "Decline",
        }[self]

    @property
    def needs_reason(self) -> bool:
        return self in (DecisionKind.DEFER, DecisionKind.DECLINE)


def check_decision(
    kind: Any, *, reason: str, defer_until: dt.date | None, today: dt.date
) -> list[Problem]:
    """A reason for defer and decline; a defer date strictly after today; no date otherwise."""
    problems: list[Problem] = []
    kind_v = read_enum(DecisionKind, kind, "kind", "Decision", problems)
    if kind_v is None:
        return problems
    if kind_v.needs_reason and not (reason or "").strip():
        problems.append(Problem("reason", f"“{kind_v.label}” needs a reason."))
    if kind_v is DecisionKind.DEFER:
        if defer_until is None:
            problems.append(Problem("defer_until", "Give the date to review the patient again."))
        elif defer_until <= today:
            problems.append(
                Problem(
                    "defer_until",
                    f"The review date must be after today ({format_date(today)}).",
                )
            )
        else:
            problems.extend(
                date_problems(
                    "defer_until",
                    "The review date",
                    defer_until,
                    latest=years_after(today, MAX_DEFERRAL_YEARS),
                )
            )
    elif defer_until is not None:
        problems.append(Problem("defer_until", "Only a deferral has a review date."))
    return problems


@dataclass(frozen=True)
class TeamDecision:
    id: int | str | None
    patient_id: int | str | None
    kind: DecisionKind
    decided_on: dt.date
    reason: str = ""
    defer_until: dt.date | None = None
    meeting_id: int | str | None = None

    @property
    def words(self) -> str:
        text = f"{self.kind.label} on {format_date(self.decided_on)}"
        if self.defer_until is not None:
            text += f", review on {format_date(self.defer_until)}"
        if self.reason.strip():
            text += f": {self.reason.strip()}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "patient_id": self.patient_id,
            "kind": self.kind.value,
            "decided_on": self.decided_on.isoformat(),
            "reason": self.reason,
            "defer_until": self.defer_until.isoformat() if self.defer_until else None,
            "meeting_id": self.meeting_id,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TeamDecision:
        """Rebuild a stored decision (not re-validated against today: it was valid then)."""
        until = data.get("defer_until")
        return cls(
            id=data.get("id"),
            patient_id=data.get("patient_id"),
            kind=DecisionKind(data["kind"]),
            decided_on=dt.date.fromisoformat(data["decided_on"]),
            reason=data.get("reason") or "",
            defer_until=dt.date.fromisoformat(until) if until else None,
            meeting_id=data.get("meeting_id"),
        )


def make_decision(
    kind: Any,
    *,
    patient_id: int | str | None,
    today: dt.date,
    reason: str = "",
    defer_until: dt.date | None = None,
    meeting_id: int | str | None = None,
    id: int | str | None = None,
) -> TeamDecision:
    """A validated decision taken today; raises ValidationFailed."""
    raise_if_errors(check_decision(kind, reason=reason, defer_until=defer_until, today=today))
    return TeamDecision(
        id=id,
        patient_id=patient_id,
        kind=DecisionKind(kind),
        decided_on=today,
        reason=reason.strip(),
        defer_until=defer_until,
        meeting_id=meeting_id,
    )
