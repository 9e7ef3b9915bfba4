"""What a number, a date or a text typed into CareCoord may be: outside its range it is refused
in words, outside its usual range it is saved with a warning.

CLINICAL.md gives few physiological bounds, so most ranges here are deliberately generous: the
refusal bound is far beyond anything a living patient (or a real pump) can show, so that it only
ever stops a typing error (10^12 mmHg, 0.0001 beats a minute, 100,000 kg, a year 9999), never a
true extreme reading. The warning bound is where a value is possible but unusual enough to be
worth a second look. Each bound says where it comes from.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from carecoord.domain.errors import Problem, Severity

D = Decimal

# ---------------------------------------------------------------------------------------------
# Numbers.


@dataclass(frozen=True)
class Span:
    """The range of one clinical number: ``low``..``high`` allowed (inclusive), ``usual_low``..
    ``usual_high`` unremarkable (outside it a warning)."""

    label: str
    unit: str
    low: Decimal
    high: Decimal
    usual_low: Decimal | None = None
    usual_high: Decimal | None = None

    def _amount(self, value: Decimal) -> str:
        from carecoord.domain.units import format_number

        # A refused value may have thousands of digits: show only its size.
        text = format_number(value) if abs(value.adjusted()) < 12 else f"{value:.3E}"
        return f"{text} {self.unit}".strip()

    def _bounds(self, low: Decimal, high: Decimal) -> str:
        from carecoord.domain.units import format_number

        unit = f" {self.unit}" if self.unit else ""
        return f"{format_number(low)} to {format_number(high)}{unit}"

    def problems(self, field: str, value: Decimal | None) -> list[Problem]:
        """Refusal outside low..high, a warning outside the usual range, nothing otherwise."""
        if value is None:
            return []
        if not value.is_finite():
            return [Problem(field, f"{self.label} must be a number.")]
        if not self.low <= value <= self.high:
            return [
                Problem(
                    field,
                    f"{self.label} of {self._amount(value)} is not possible: enter a value from "
                    f"{self._bounds(self.low, self.high)}.",
                )
            ]
        low = self.usual_low if self.usual_low is not None else self.low
        high = self.usual_high if self.usual_high is not None else self.high
        if not low <= value <= high:
            return [
                Problem(
                    field,
                    f"{self.label} of {self._amount(value)} is unusual (usually "
                    f"{self._bounds(low, high)}): check it.",
                    Severity.WARNING,
                )
            ]
        return []

    def contains(self, value: Decimal) -> bool:
        return value.is_finite() and self.low <= value <= self.high


# Vital signs. No bound is in CLINICAL.md: these are generous physiological limits. Refusal
# bounds lie beyond the most extreme values recorded in survivors (systolic above 300 mmHg in
# hypertensive crisis is reported; heart rates of 300/min in infants with tachyarrhythmia;
# accidental hypothermia survived at 13.7 °C, hyperthermia to 46.5 °C), so a true reading is
# never refused. Low temperature and slow breathing are overdose signs (CLINICAL.md section 6)
# and withdrawal brings blood-pressure changes, fever and a fast heart rate: the warning bounds
# make those visible instead of refusing them.
SYSTOLIC_MMHG = Span("Systolic pressure", "mmHg", D(30), D(350), D(80), D(200))
DIASTOLIC_MMHG = Span("Diastolic pressure", "mmHg", D(10), D(250), D(40), D(120))
HEART_RATE_PER_MIN = Span("Heart rate", "/min", D(10), D(350), D(40), D(150))
RESPIRATORY_RATE_PER_MIN = Span("Respiratory rate", "/min", D(1), D(100), D(8), D(35))
# Saturation is a percentage: 100 is a physical bound; below 50 % no reading is taken at rest.
OXYGEN_SATURATION_PERCENT = Span("Oxygen saturation", "%", D(30), D(100), D(90), D(100))
TEMPERATURE_C = Span("Temperature", "°C", D(10), D(47), D("35"), D("38.5"))
# Body weight: a premature newborn (0.5 kg) to the heaviest people recorded (about 650 kg); the
# same bounds as the patient record (carecoord.domain.patients). ITB is not established under 4
# years of age (CLINICAL.md section 1), so below 10 kg is unusual.
WEIGHT_KG = Span("Weight", "kg", D("0.5"), D(650), D(10), D(250))
# Distance from home to the clinic: anything on Earth (half its circumference is 20,000 km);
# beyond a few hundred km, refill visits are hard to attend (a relative contraindication,
# CLINICAL.md section 1).
DISTANCE_KM = Span("Distance to the clinic", "km", D(0), D(20000), D(0), D(500))
# A GAS goal weight [47] is a small positive factor (commonly importance x difficulty, 0-3 x
# 0-3, so at most 9); 100 leaves room for any local scheme and stops 10^12.
GAS_WEIGHT = Span("A goal's weight", "", D("0.01"), D(100), D("0.01"), D(9))

# Pump volumes. The largest reservoir in the catalog is 40 mL (CLINICAL.md section 4); a pump
# holds at most its reservoir, which each rule passes in. Without a pump at hand no volume can
# be above this bound (generous: twice the largest reservoir, in case a larger pump is added to
# the catalog).
MAX_ANY_RESERVOIR_ML = D(80)
# The low-reservoir alarm volume (CLINICAL.md section 5): the manufacturer recommends 2 mL and
# withdrawal has occurred above 2 mL. A pump cannot measure below about half a millilitre, so
# less than 0.5 mL is refused; below 2 mL is a warning.
MIN_ALARM_VOLUME_ML = D("0.5")
RECOMMENDED_ALARM_VOLUME_ML = D(2)


def alarm_volume_span(reservoir_ml: Decimal | None) -> Span:
    """0.5 mL up to the reservoir (or the largest reservoir when the pump is not known)."""
    high = reservoir_ml if reservoir_ml is not None else MAX_ANY_RESERVOIR_ML
    return Span("The alarm volume", "mL", MIN_ALARM_VOLUME_ML, high, RECOMMENDED_ALARM_VOLUME_ML)


def volume_span(label: str, reservoir_ml: Decimal | None) -> Span:
    """A volume in a pump (residual, discarded, added): 0 up to what the reservoir holds."""
    high = reservoir_ml if reservoir_ml is not None else MAX_ANY_RESERVOIR_ML
    return Span(label, "mL", D(0), high)


# ---------------------------------------------------------------------------------------------
# Dates.

# ITB therapy began in 1984: no pump, screen, refill, meeting or program of this application can
# be dated earlier. 1980 leaves a margin and stops a year typed as 1 or 19.
EARLIEST_TREATMENT_DATE = dt.date(1980, 1, 1)
# How far ahead a plan may be dated: meetings, deferrals and appointments further than two years
# ahead are typing errors (refills are due within 180 days, CLINICAL.md section 5).
MAX_YEARS_AHEAD = 2
# A deferral ("review again on ...") further than five years ahead is no longer a deferral.
MAX_DEFERRAL_YEARS = 5
# Intrathecal baclofen ampoules and syringes carry a shelf life of about three years from
# manufacture; a lot expiring more than five years after the refill is a typing error.
MAX_LOT_SHELF_YEARS = 5


def years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)
    except OverflowError:  # pragma: no cover - year beyond 9999
        return dt.date.max


def date_problems(
    field: str,
    label: str,
    value: dt.date | None,
    *,
    earliest: dt.date = EARLIEST_TREATMENT_DATE,
    latest: dt.date,
) -> list[Problem]:
    """A refusal when ``value`` lies outside ``earliest``..``latest``."""
    from carecoord.domain.units import format_date

    if value is None:
        return []
    if value < earliest:
        return [
            Problem(field, f"{label} ({format_date(value)}) is before {format_date(earliest)}.")
        ]
    if value > latest:
        return [
            Problem(
                field,
                f"{label} ({format_date(value)}) is too far ahead: at the latest "
                f"{format_date(latest)}.",
            )
        ]
    return []


def plan_window(today: dt.date) -> tuple[dt.date, dt.date]:
    """Dates a meeting or an appointment may be planned on: a record of one held since 1980, or
    one planned up to two years ahead."""
    return EARLIEST_TREATMENT_DATE, years_after(today, MAX_YEARS_AHEAD)


# ---------------------------------------------------------------------------------------------
# Texts.

# Lengths. A name or a short field fits a line; a note fits a page (about 4,000 characters);
# the longest free text (an evaluation's findings, an address book entry) a few pages.
SHORT_TEXT = 200
NOTE_TEXT = 4000
LONG_TEXT = 20000

# Control characters never belong in a record: they are invisible, PostgreSQL refuses NUL, and a
# pasted one can hide text. Newline and tab are allowed where the field has several lines. Lone
# surrogates (from a broken paste) cannot be encoded at all.
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_CONTROL_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def has_bad_characters(value: str, *, multiline: bool = True) -> bool:
    pattern = _CONTROL_MULTILINE if multiline else _CONTROL_SINGLE_LINE
    return pattern.search(value) is not None


def without_bad_characters(value: str) -> str:
    """What a search for ``value`` can find: control characters and surrogates can never be
    stored, so they can never match and are left out."""
    return _CONTROL_SINGLE_LINE.sub(" ", value)


def text_problems(
    field: str, label: str, value: object, *, max_length: int, multiline: bool = True
) -> list[Problem]:
    """Too long, or containing characters that cannot be stored: refused in words."""
    if value is None:
        return []
    if not isinstance(value, str):
        return [Problem(field, f"{label} must be text.")]
    problems: list[Problem] = []
    if len(value) > max_length:
        problems.append(
            Problem(
                field,
                f"{label} is too long ({len(value):,} characters; at most {max_length:,}).",
            )
        )
    if has_bad_characters(value, multiline=multiline):
        what = "invisible control characters" if multiline else "a line break or control character"
        problems.append(Problem(field, f"{label} contains {what}; retype it."))
    return problems
