"""Clinic settings: every value where protocols differ between clinics.

Defaults come from CLINICAL.md; a clinic changes them in the settings store. Domain rules take a
``ClinicSettings`` argument instead of reading constants, so a clinic's choice is always honoured.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from decimal import Decimal
from enum import StrEnum
from typing import Any


class ScreeningResponseRule(StrEnum):
    """How a positive screening response is defined (CLINICAL.md section 2)."""

    # Default [41]: mean MAS reduction of at least 1 point at the best post-dose assessment.
    MAS_MEAN_1 = "mas_mean_1"
    # [40]: 2 points in Ashworth (or Penn).
    MAS_MEAN_2 = "mas_mean_2"
    # [39]: 2 points for spinal origin, 1 point for cerebral origin.
    MAS_BY_ORIGIN = "mas_by_origin"


class PageSize(StrEnum):
    A4 = "A4"
    LETTER = "Letter"


@dataclass(frozen=True)
class ClinicSettings:
    """All clinic-tunable values with the defaults given in CLINICAL.md."""

    clinic_name: str = "Spasticity Clinic"
    clinic_phone: str = ""
    emergency_phone: str = ""
    clinic_address: str = ""
    # Minutes of inactivity before the screen locks (DESIGN: a setting).
    idle_lock_minutes: int = 10
    # Refills (CLINICAL.md section 5).
    alarm_volume_ml: Decimal = Decimal("2")  # manufacturer recommendation [21]
    refill_margin_days: int = 5  # book 3-5 days before the alarm [20]
    max_refill_interval_days: int = 90  # "every 1-3 months"
    drug_stability_days: int = 180  # in-vivo stability [22]
    discrepancy_threshold_20ml: Decimal = Decimal("1")  # [24]
    discrepancy_threshold_40ml: Decimal = Decimal("2")  # [24]
    due_soon_days: int = 14  # dashboard "due in the next N days"
    battery_warning_months: int = 6  # dashboard battery window; some centres plan 6 months [6][16]
    # Candidacy (CLINICAL.md sections 1 and 2).
    screening_response_rule: ScreeningResponseRule = ScreeningResponseRule.MAS_MEAN_1
    min_oral_agents_tried: int = 1  # default rule [8]
    relative_contraindications_block: bool = False  # relative ones warn, they do not refuse
    quorum_one_per_discipline: bool = True
    # Reports.
    page_size: PageSize = PageSize.A4
    # Candidacy and meetings
    # "Near its maximum" has no published figure (CLINICAL.md section 1 [8]): a clinic choice.
    # An oral trial counts as adequate at or above this fraction of the agent's usual maximum.
    oral_near_max_fraction: Decimal = Decimal("0.75")
    tbi_wait_years: int = 1  # wait at least 1 year after a traumatic brain injury [1][3]
    min_age_years: int = 4  # safety and efficacy not established under 4 years [2]
    # Disciplines whose signed evaluation is required before screening (comma-separated values
    # of Discipline); default: the whole team of CLINICAL.md section 7.
    required_evaluation_disciplines: str = (
        "physiatrist,physical_therapist,occupational_therapist,nurse,social_worker"
    )

    def with_changes(self, **changes: Any) -> ClinicSettings:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, str]:
        """Text form for storage; Decimal and enums as their string values."""
        return {f.name: str(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, values: dict[str, str]) -> ClinicSettings:
        """Parse stored text; unknown keys are ignored so old databases keep working."""
        defaults = cls()
        parsed: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in values:
                continue
            current = getattr(defaults, f.name)
            raw = values[f.name]
            if isinstance(current, bool):
                parsed[f.name] = raw.lower() in {"1", "true", "yes"}
            elif isinstance(current, int):
                parsed[f.name] = int(raw)
            elif isinstance(current, Decimal):
                parsed[f.name] = Decimal(raw)
            elif isinstance(current, StrEnum):
                parsed[f.name] = type(current)(raw)
            else:
                parsed[f.name] = raw
        return replace(defaults, **parsed)
