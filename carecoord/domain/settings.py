"""Clinic settings: every value where protocols differ between clinics.

Defaults come from CLINICAL.md; a clinic changes them in the settings store. Domain rules take a
``ClinicSettings`` argument instead of reading constants, so a clinic's choice is always honoured.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from decimal import Decimal
from enum import StrEnum
from typing import Any

from carecoord.domain.errors import Problem, ValidationFailed


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
        """Parse stored text; unknown keys are ignored so old databases keep working. A value
        that is not of its setting's kind raises ``ValidationFailed`` naming the setting."""
        defaults = cls()
        parsed: dict[str, Any] = {}
        problems: list[Problem] = []
        for f in fields(cls):
            if f.name not in values:
                continue
            current = getattr(defaults, f.name)
            raw = str(values[f.name]).strip()
            label = setting_label(f.name)
            if isinstance(current, bool):
                parsed[f.name] = raw.lower() in {"1", "true", "yes"}
            elif isinstance(current, int):
                # ASCII digits only: "²".isdigit() is true but int("²") fails.
                if not re.fullmatch(r"[+-]?[0-9]{1,9}", raw):
                    problems.append(Problem(f.name, f"{label}: enter a whole number."))
                    continue
                parsed[f.name] = int(raw)
            elif isinstance(current, Decimal):
                if not re.fullmatch(r"[+-]?([0-9]{1,9}(\.[0-9]{0,9})?|\.[0-9]{1,9})", raw):
                    problems.append(Problem(f.name, f"{label}: enter a number, e.g. 2.5."))
                    continue
                parsed[f.name] = Decimal(raw)
            elif isinstance(current, StrEnum):
                try:
                    parsed[f.name] = type(current)(raw)
                except ValueError:
                    choices = ", ".join(v.value for v in type(current))
                    problems.append(Problem(f.name, f"{label}: choose one of {choices}."))
            else:
                parsed[f.name] = str(values[f.name])
        if problems:
            raise ValidationFailed(problems)
        return replace(defaults, **parsed)


# The range of every number a clinic may set: (lowest, highest, unit). Outside: refused. Where
# CLINICAL.md gives no bound the range is generous and says why; where a wrong value could give
# a later refill date, the bound is the one that cannot.
SETTING_RANGES: dict[str, tuple[Decimal, Decimal, str]] = {
    # A screen that locks after less than a minute cannot be used; after more than a shift (8 h)
    # it no longer protects anything.
    "idle_lock_minutes": (Decimal(1), Decimal(480), "minutes"),
    # CLINICAL.md section 5: at most the whole reservoir; below 0.5 mL a pump cannot measure
    # (carecoord.domain.ranges). 40 mL is the largest reservoir (section 4).
    "alarm_volume_ml": (Decimal("0.5"), Decimal(40), "mL"),
    # Booking margin: 3-5 days [20]; a month at most (a larger margin only books earlier).
    "refill_margin_days": (Decimal(0), Decimal(30), "days"),
    # Clinic maximum interval: visits are every 1-3 months. The due date is the earliest of this,
    # drug stability and the alarm, so a long maximum (a year: "no clinic maximum") can never
    # make it later than the other two limits.
    "max_refill_interval_days": (Decimal(7), Decimal(365), "days"),
    # Drug stability: refill within 180 days at most [22]; a shorter limit only books earlier.
    "drug_stability_days": (Decimal(7), Decimal(180), "days"),
    # Discrepancy thresholds [24]: 1 mL and 2 mL; a threshold above 5 mL would hide a pocket
    # fill, below 0.1 mL every refill would be flagged.
    "discrepancy_threshold_20ml": (Decimal("0.1"), Decimal(5), "mL"),
    "discrepancy_threshold_40ml": (Decimal("0.1"), Decimal(5), "mL"),
    "due_soon_days": (Decimal(1), Decimal(180), "days"),
    # Battery: plan replacement 3-6 months ahead [6][16]; the ERI alarm is 90 days ahead.
    "battery_warning_months": (Decimal(1), Decimal(24), "months"),
    "min_oral_agents_tried": (Decimal(0), Decimal(10), "agents"),
    # A fraction of the usual maximum: more than 0, at most the whole maximum.
    "oral_near_max_fraction": (Decimal("0.05"), Decimal(1), ""),
    # At least 1 year after a traumatic brain injury [1][3]: a shorter wait is not allowed.
    "tbi_wait_years": (Decimal(1), Decimal(10), "years"),
    # Not established under 4 years of age [2]: a clinic may not go below it; 18 is adulthood.
    "min_age_years": (Decimal(4), Decimal(18), "years"),
}
SETTING_TEXT_LIMITS: dict[str, int] = {
    "clinic_name": 120,
    "clinic_phone": 64,
    "emergency_phone": 64,
    "clinic_address": 500,
    "required_evaluation_disciplines": 200,
}
_SETTING_LABELS = {
    "idle_lock_minutes": "The screen lock time",
    "alarm_volume_ml": "Alarm volume",
    "refill_margin_days": "Booking margin",
    "max_refill_interval_days": "Longest refill interval",
    "drug_stability_days": "Drug stability",
    "discrepancy_threshold_20ml": "Discrepancy threshold (20 mL pump)",
    "discrepancy_threshold_40ml": "Discrepancy threshold (40 mL pump)",
    "due_soon_days": "Due soon window",
    "battery_warning_months": "Battery warning",
    "min_oral_agents_tried": "Oral agents to try first",
    "oral_near_max_fraction": "Near the maximum oral dose",
    "tbi_wait_years": "Wait after a brain injury",
    "min_age_years": "Youngest age",
}


def setting_label(name: str) -> str:
    return _SETTING_LABELS.get(name, name.replace("_", " ").capitalize())


def validate_settings(settings: ClinicSettings) -> list[Problem]:
    """Every setting outside its range, in the administrator's words."""
    from carecoord.domain.ranges import text_problems
    from carecoord.domain.units import format_number

    problems: list[Problem] = []
    for name, (low, high, unit) in SETTING_RANGES.items():
        value = Decimal(getattr(settings, name))
        if not low <= value <= high:
            suffix = f" {unit}" if unit else ""
            problems.append(
                Problem(
                    name,
                    f"{setting_label(name)} must be from {format_number(low)} to "
                    f"{format_number(high)}{suffix}, not {format_number(value)}.",
                )
            )
    for name, limit in SETTING_TEXT_LIMITS.items():
        problems.extend(
            text_problems(name, setting_label(name), getattr(settings, name), max_length=limit)
        )
    if not settings.clinic_name.strip():
        problems.append(Problem("clinic_name", "Enter the clinic's name."))
    return problems
