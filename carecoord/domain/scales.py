"""Clinical scales (CLINICAL.md section 7): validation, scoring and a plain-dict form.

Every result is a frozen dataclass that validates on construction and raises
``ValidationFailed`` carrying one ``Problem`` per wrong field. ``to_dict`` gives JSON-ready
values (Decimals as text) with a ``"scale"`` key; ``scale_from_dict`` rebuilds any of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, ClassVar

from carecoord.domain.errors import Problem, ValidationFailed, raise_if_errors
from carecoord.domain.units import format_number


class ScaleKind(StrEnum):
    MAS = "mas"
    PENN = "penn"
    TARDIEU = "tardieu"
    GAS = "gas"
    GMFCS = "gmfcs"
    PAIN_NRS = "pain_nrs"
    FIM = "fim"
    BARTHEL = "barthel"

    @property
    def label(self) -> str:
        return _SCALE_LABELS[self]


_SCALE_LABELS = {
    ScaleKind.MAS: "Modified Ashworth Scale",
    ScaleKind.PENN: "Penn Spasm Frequency Scale",
    ScaleKind.TARDIEU: "Modified Tardieu Scale",
    ScaleKind.GAS: "Goal Attainment Scaling",
    ScaleKind.GMFCS: "GMFCS level",
    ScaleKind.PAIN_NRS: "Pain (numeric rating 0-10)",
    ScaleKind.FIM: "Functional Independence Measure",
    ScaleKind.BARTHEL: "Barthel Index",
}


class Side(StrEnum):
    LEFT = "left"
    RIGHT = "right"

    @property
    def label(self) -> str:
        return self.value.capitalize()


# ---------------------------------------------------------------------------------------------
# Small parsing helpers shared by the scales (and by the other domain modules).


_WHOLE = re.compile(r"^[+-]?[0-9]+$")


def read_int(
    value: Any, low: int, high: int, field_name: str, what: str, problems: list[Problem]
) -> int | None:
    """A whole number in [low, high], or None after appending a Problem."""
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, str) and _WHOLE.match(value.strip()):
        number = int(value.strip())
    elif isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        number = int(value)
    if number is None:
        problems.append(Problem(field_name, f"{what} must be a whole number from {low} to {high}."))
        return None
    if not low <= number <= high:
        problems.append(Problem(field_name, f"{what} must be from {low} to {high}, not {number}."))
        return None
    return number


def read_decimal(value: Any, field_name: str, what: str, problems: list[Problem]) -> Decimal | None:
    """A finite Decimal from int, Decimal or text (never float), or None after a Problem."""
    number: Decimal | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            number = None
    if number is None or not number.is_finite():
        problems.append(Problem(field_name, f"{what} must be a number."))
        return None
    return number


def read_text(value: Any, field_name: str, what: str, problems: list[Problem]) -> str | None:
    if not isinstance(value, str) or not value.strip():
        problems.append(Problem(field_name, f"Enter the {what}."))
        return None
    return value.strip()


def read_enum(
    enum_type: type[StrEnum], value: Any, field_name: str, what: str, problems: list[Problem]
) -> Any:
    try:
        return enum_type(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum_type)
        problems.append(Problem(field_name, f"{what} must be one of: {allowed}."))
        return None


def _set(obj: object, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)


# ---------------------------------------------------------------------------------------------
# Modified Ashworth Scale [44]: six labels, stored as the label; 1+ counts 1.5 in averages.

MAS_LABELS: tuple[str, ...] = ("0", "1", "1+", "2", "3", "4")  # [44]
_MAS_VALUES = {
    "0": Decimal(0),
    "1": Decimal(1),
    "1+": Decimal("1.5"),  # [44] via CLINICAL.md section 7
    "2": Decimal(2),
    "3": Decimal(3),
    "4": Decimal(4),
}
MAS_DESCRIPTIONS = {
    "0": "No increase in muscle tone",
    "1": "Slight increase: catch and release or minimal resistance at the end of the range",
    "1+": "Slight increase: catch, then minimal resistance through less than half the range",
    "2": "More marked increase through most of the range, but the part moves easily",
    "3": "Considerable increase; passive movement difficult",
    "4": "Rigid in flexion or extension",
}

# Muscle groups offered by the GUI; free text is accepted too.
COMMON_MUSCLE_GROUPS: tuple[str, ...] = (
    "Hip flexors",
    "Hip adductors",
    "Hip extensors",
    "Knee flexors (hamstrings)",
    "Knee extensors (quadriceps)",
    "Ankle plantar flexors",
    "Shoulder adductors",
    "Elbow flexors",
    "Elbow extensors",
    "Wrist flexors",
    "Finger flexors",
)


def parse_mas_grade(value: Any, field_name: str = "grade") -> str:
    """Return the stored label for a Modified Ashworth grade; only the six labels are accepted."""
    text = value.strip() if isinstance(value, str) else None
    if text not in _MAS_VALUES:
        shown = value if isinstance(value, str) else repr(value)
        raise ValidationFailed.single(
            field_name,
            f"Modified Ashworth grade “{shown}” is not one of {', '.join(MAS_LABELS)}.",
        )
    return text


def mas_value(label: str) -> Decimal:
    """The number used in averages: 1+ counts as 1.5 [44]."""
    return _MAS_VALUES[parse_mas_grade(label)]


def muscle_key(muscle_group: str, side: Side) -> tuple[str, Side]:
    """Identity of a muscle group and side for matching assessments (case and spaces ignored)."""
    return (" ".join(muscle_group.split()).casefold(), side)


@dataclass(frozen=True)
class MasRating:
    muscle_group: str
    side: Side
    grade: str

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        group = read_text(self.muscle_group, "muscle_group", "muscle group", problems)
        side = read_enum(Side, self.side, "side", "Side", problems)
        grade = None
        try:
            grade = parse_mas_grade(self.grade)
        except ValidationFailed as exc:
            problems.extend(exc.problems)
        raise_if_errors(problems)
        _set(self, "muscle_group", group)
        _set(self, "side", side)
        _set(self, "grade", grade)

    @property
    def value(self) -> Decimal:
        return _MAS_VALUES[self.grade]

    @property
    def key(self) -> tuple[str, Side]:
        return muscle_key(self.muscle_group, self.side)

    def to_dict(self) -> dict[str, Any]:
        return {"muscle_group": self.muscle_group, "side": self.side.value, "grade": self.grade}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MasRating:
        return cls(data.get("muscle_group"), data.get("side"), data.get("grade"))  # type: ignore[arg-type]


def _prefix(problems: Iterable[Problem], prefix: str) -> list[Problem]:
    return [Problem(f"{prefix}.{p.field}", p.message, p.severity) for p in problems]


def _build_items(
    cls: Any, items: Iterable[Any], prefix: str, problems: list[Problem]
) -> tuple[Any, ...]:
    """Coerce dicts to ``cls`` and collect their problems under ``prefix[i]``."""
    built = []
    for index, item in enumerate(items):
        if isinstance(item, cls):
            built.append(item)
            continue
        try:
            if isinstance(item, Mapping):
                built.append(cls.from_dict(item))
            elif isinstance(item, tuple | list):
                built.append(cls(*item))
            else:
                raise TypeError
        except ValidationFailed as exc:
            problems.extend(_prefix(exc.problems, f"{prefix}[{index}]"))
        except TypeError:
            problems.append(Problem(f"{prefix}[{index}]", "This entry is not readable."))
    return tuple(built)


@dataclass(frozen=True)
class MasAssessment:
    """MAS grades of one or more muscle groups, each group and side at most once."""

    KIND: ClassVar[ScaleKind] = ScaleKind.MAS
    ratings: tuple[MasRating, ...]

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        ratings = _build_items(MasRating, self.ratings, "ratings", problems)
        if not ratings and not problems:
            problems.append(Problem("ratings", "Grade at least one muscle group."))
        seen: set[tuple[str, Side]] = set()
        for index, rating in enumerate(ratings):
            if rating.key in seen:
                problems.append(
                    Problem(
                        f"ratings[{index}].muscle_group",
                        f"{rating.muscle_group} ({rating.side.value}) is graded twice.",
                    )
                )
            seen.add(rating.key)
        raise_if_errors(problems)
        _set(self, "ratings", ratings)

    def by_key(self) -> dict[tuple[str, Side], MasRating]:
        return {r.key: r for r in self.ratings}

    def mean(self) -> Decimal:
        """Mean grade over the rated groups, 1+ counting 1.5 [44]."""
        return sum((r.value for r in self.ratings), Decimal(0)) / len(self.ratings)

    def summary(self) -> str:
        parts = [f"{r.muscle_group} {r.side.value[0].upper()} {r.grade}" for r in self.ratings]
        return f"MAS mean {format_number(self.mean(), 2)} ({'; '.join(parts)})"

    def to_dict(self) -> dict[str, Any]:
        return {"scale": self.KIND.value, "ratings": [r.to_dict() for r in self.ratings]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MasAssessment:
        return cls(tuple(data.get("ratings") or ()))


# ---------------------------------------------------------------------------------------------
# Penn Spasm Frequency Scale [45]: frequency 0-4, severity 1-3 (none when frequency is 0).

PENN_FREQUENCY_LABELS = {
    0: "No spasms",
    1: "Spasms only on stimulation",
    2: "Infrequent spasms, less than once an hour",
    3: "Spasms more than once an hour",
    4: "Spasms more than 10 times an hour",  # [45]
}
PENN_SEVERITY_LABELS = {1: "Mild", 2: "Moderate", 3: "Severe"}


@dataclass(frozen=True)
class PennScore:
    KIND: ClassVar[ScaleKind] = ScaleKind.PENN
    frequency: int
    severity: int | None = None

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        frequency = read_int(self.frequency, 0, 4, "frequency", "Spasm frequency", problems)
        severity = None
        if frequency == 0:
            if self.severity not in (None, ""):
                problems.append(
                    Problem("severity", "Leave severity empty when there are no spasms.")
                )
        elif frequency is not None:
            if self.severity in (None, ""):
                problems.append(Problem("severity", "Enter the spasm severity (1-3)."))
            else:
                severity = read_int(self.severity, 1, 3, "severity", "Spasm severity", problems)
        raise_if_errors(problems)
        _set(self, "frequency", frequency)
        _set(self, "severity", severity)

    def summary(self) -> str:
        text = f"Penn frequency {self.frequency} ({PENN_FREQUENCY_LABELS[self.frequency]})"
        if self.severity is not None:
            text += f", severity {self.severity} ({PENN_SEVERITY_LABELS[self.severity]})"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {"scale": self.KIND.value, "frequency": self.frequency, "severity": self.severity}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PennScore:
        return cls(data.get("frequency"), data.get("severity"))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Modified Tardieu [46]: R1 angle of catch (fast, V3), R2 passive range (slow, V1), quality 0-5.


class TardieuSpeed(StrEnum):
    V1 = "V1"  # as slow as possible
    V3 = "V3"  # as fast as possible

    @property
    def label(self) -> str:
        return "V1 (slow)" if self is TardieuSpeed.V1 else "V3 (fast)"


TARDIEU_QUALITY_LABELS = {
    0: "No resistance throughout the passive movement",
    1: "Slight resistance, no clear catch",
    2: "Clear catch at a precise angle, then release",
    3: "Fatigable clonus",
    4: "Unfatigable clonus",
    5: "Joint immobile",
}
# A joint angle in degrees lies within a half turn either way: a geometric bound, not clinical.
_ANGLE_LIMIT = Decimal(180)


@dataclass(frozen=True)
class TardieuMeasurement:
    """One muscle group and side: R1 and quality at ``speed`` (usually V3), R2 at V1."""

    muscle_group: str
    side: Side
    r1_deg: Decimal
    r2_deg: Decimal
    quality: int
    speed: TardieuSpeed = TardieuSpeed.V3

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        group = read_text(self.muscle_group, "muscle_group", "muscle group", problems)
        side = read_enum(Side, self.side, "side", "Side", problems)
        speed = read_enum(TardieuSpeed, self.speed, "speed", "Speed", problems)
        r1 = read_decimal(self.r1_deg, "r1_deg", "R1 (angle of catch)", problems)
        r2 = read_decimal(self.r2_deg, "r2_deg", "R2 (passive range)", problems)
        for name, angle in (("r1_deg", r1), ("r2_deg", r2)):
            if angle is not None and abs(angle) > _ANGLE_LIMIT:
                problems.append(Problem(name, "An angle must be between -180 and 180 degrees."))
        if r1 is not None and r2 is not None and r1 > r2:
            problems.append(
                Problem(
                    "r1_deg",
                    f"R1 (angle of catch, {format_number(r1)}°) cannot be beyond R2 "
                    f"(passive range, {format_number(r2)}°).",
                )
            )
        quality = read_int(self.quality, 0, 5, "quality", "Quality of muscle reaction", problems)
        raise_if_errors(problems)
        _set(self, "muscle_group", group)
        _set(self, "side", side)
        _set(self, "speed", speed)
        _set(self, "r1_deg", r1)
        _set(self, "r2_deg", r2)
        _set(self, "quality", quality)

    @property
    def dynamic_component_deg(self) -> Decimal:
        """R2 - R1: the part of the range lost to the fast stretch."""
        return self.r2_deg - self.r1_deg

    def to_dict(self) -> dict[str, Any]:
        return {
            "muscle_group": self.muscle_group,
            "side": self.side.value,
            "r1_deg": str(self.r1_deg),
            "r2_deg": str(self.r2_deg),
            "quality": self.quality,
            "speed": self.speed.value,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TardieuMeasurement:
        return cls(
            data.get("muscle_group"),  # type: ignore[arg-type]
            data.get("side"),  # type: ignore[arg-type]
            data.get("r1_deg"),  # type: ignore[arg-type]
            data.get("r2_deg"),  # type: ignore[arg-type]
            data.get("quality"),  # type: ignore[arg-type]
            data.get("speed", TardieuSpeed.V3.value),  # type: ignore[arg-type]
        )


@dataclass(frozen=True)
class TardieuAssessment:
    KIND: ClassVar[ScaleKind] = ScaleKind.TARDIEU
    measurements: tuple[TardieuMeasurement, ...]

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        items = _build_items(TardieuMeasurement, self.measurements, "measurements", problems)
        if not items and not problems:
            problems.append(Problem("measurements", "Measure at least one muscle group."))
        seen: set[tuple[str, Side]] = set()
        for index, item in enumerate(items):
            key = muscle_key(item.muscle_group, item.side)
            if key in seen:
                problems.append(
                    Problem(
                        f"measurements[{index}].muscle_group",
                        f"{item.muscle_group} ({item.side.value}) is measured twice.",
                    )
                )
            seen.add(key)
        raise_if_errors(problems)
        _set(self, "measurements", items)

    def summary(self) -> str:
        parts = [
            f"{m.muscle_group} {m.side.value[0].upper()} R1 {format_number(m.r1_deg)}° "
            f"R2 {format_number(m.r2_deg)}° Q{m.quality}"
            for m in self.measurements
        ]
        return "Tardieu: " + "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {"scale": self.KIND.value, "measurements": [m.to_dict() for m in self.measurements]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TardieuAssessment:
        return cls(tuple(data.get("measurements") or ()))


# ---------------------------------------------------------------------------------------------
# Goal Attainment Scaling [47].

GAS_RHO = Decimal("0.3")  # inter-goal correlation in the T-score formula [47]
GAS_LEVELS = {
    -2: "Much less than expected",
    -1: "Somewhat less than expected",
    0: "Expected level",
    1: "Somewhat more than expected",
    2: "Much more than expected",
}


@dataclass(frozen=True)
class GasGoal:
    description: str
    score: int
    weight: Decimal = Decimal(1)

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        description = read_text(self.description, "description", "goal", problems)
        score = read_int(self.score, -2, 2, "score", "Goal attainment", problems)  # [47]
        weight = read_decimal(
            Decimal(1) if self.weight in (None, "") else self.weight, "weight", "Weight", problems
        )
        if weight is not None and weight <= 0:
            problems.append(Problem("weight", "A goal's weight must be more than 0."))
        raise_if_errors(problems)
        _set(self, "description", description)
        _set(self, "score", score)
        _set(self, "weight", weight)

    def to_dict(self) -> dict[str, Any]:
        return {"description": self.description, "score": self.score, "weight": str(self.weight)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GasGoal:
        return cls(data.get("description"), data.get("score"), data.get("weight"))  # type: ignore[arg-type]


def gas_t_score(scores: Iterable[int], weights: Iterable[Decimal] | None = None) -> Decimal:
    """T = 50 + 10 * sum(w*x) / sqrt((1 - rho) * sum(w^2) + rho * (sum w)^2), rho = 0.3 [47]."""
    xs = [Decimal(x) for x in scores]
    ws = [Decimal(w) for w in weights] if weights is not None else [Decimal(1)] * len(xs)
    if not xs or len(ws) != len(xs):
        raise ValueError("one weight per goal, at least one goal")
    weighted = sum((w * x for w, x in zip(ws, xs, strict=True)), Decimal(0))
    squares = sum((w * w for w in ws), Decimal(0))
    total = sum(ws, Decimal(0))
    denominator = ((1 - GAS_RHO) * squares + GAS_RHO * total * total).sqrt()
    return Decimal(50) + Decimal(10) * weighted / denominator  # [47]


@dataclass(frozen=True)
class GasAssessment:
    KIND: ClassVar[ScaleKind] = ScaleKind.GAS
    goals: tuple[GasGoal, ...]

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        goals = _build_items(GasGoal, self.goals, "goals", problems)
        if not goals and not problems:
            problems.append(Problem("goals", "Write at least one goal."))
        raise_if_errors(problems)
        _set(self, "goals", goals)

    def t_score(self) -> Decimal:
        return gas_t_score([g.score for g in self.goals], [g.weight for g in self.goals])

    def summary(self) -> str:
        return f"GAS T-score {format_number(self.t_score(), 1)} ({len(self.goals)} goals)"

    def to_dict(self) -> dict[str, Any]:
        return {"scale": self.KIND.value, "goals": [g.to_dict() for g in self.goals]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GasAssessment:
        return cls(tuple(data.get("goals") or ()))


# ---------------------------------------------------------------------------------------------
# GMFCS levels I-V [48].

_ROMAN = ("I", "II", "III", "IV", "V")


@dataclass(frozen=True)
class GmfcsLevel:
    KIND: ClassVar[ScaleKind] = ScaleKind.GMFCS
    level: int

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        value: Any = self.level
        if isinstance(value, str) and value.strip().upper() in _ROMAN:
            value = _ROMAN.index(value.strip().upper()) + 1
        level = read_int(value, 1, len(_ROMAN), "level", "GMFCS level", problems)  # I-V [48]
        raise_if_errors(problems)
        _set(self, "level", level)

    @property
    def roman(self) -> str:
        return _ROMAN[self.level - 1]

    def summary(self) -> str:
        return f"GMFCS level {self.roman}"

    def to_dict(self) -> dict[str, Any]:
        return {"scale": self.KIND.value, "level": self.level}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GmfcsLevel:
        return cls(data.get("level"))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Pain numeric rating scale 0-10; a change of at least 2 points is meaningful [49].

PAIN_NRS_MAX = 10  # [49]
PAIN_MEANINGFUL_CHANGE = 2  # [49]


@dataclass(frozen=True)
class PainScore:
    KIND: ClassVar[ScaleKind] = ScaleKind.PAIN_NRS
    score: int

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        score = read_int(self.score, 0, PAIN_NRS_MAX, "score", "Pain score", problems)
        raise_if_errors(problems)
        _set(self, "score", score)

    def summary(self) -> str:
        return f"Pain {self.score}/{PAIN_NRS_MAX}"

    def to_dict(self) -> dict[str, Any]:
        return {"scale": self.KIND.value, "score": self.score}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PainScore:
        return cls(data.get("score"))  # type: ignore[arg-type]


@dataclass(frozen=True)
class PainChange:
    before: int
    after: int

    @property
    def change(self) -> int:
        return self.after - self.before

    @property
    def meaningful(self) -> bool:
        return abs(self.change) >= PAIN_MEANINGFUL_CHANGE

    @property
    def words(self) -> str:
        if not self.meaningful:
            return f"No meaningful change in pain ({self.before} to {self.after})"
        verb = "Pain better" if self.change < 0 else "Pain worse"
        return f"{verb} by {abs(self.change)} points ({self.before} to {self.after})"


def pain_change(before: PainScore | int, after: PainScore | int) -> PainChange:
    """Compare two pain ratings; a change of 2 points or more is meaningful [49]."""
    b = before if isinstance(before, PainScore) else PainScore(before)
    a = after if isinstance(after, PainScore) else PainScore(after)
    return PainChange(b.score, a.score)


# ---------------------------------------------------------------------------------------------
# FIM: 18 items scored 1-7, total 18-126 [50].

FIM_MIN, FIM_MAX = 1, 7  # [50]
FIM_MOTOR_ITEMS: tuple[tuple[str, str], ...] = (
    ("eating", "Eating"),
    ("grooming", "Grooming"),
    ("bathing", "Bathing"),
    ("dressing_upper", "Dressing, upper body"),
    ("dressing_lower", "Dressing, lower body"),
    ("toileting", "Toileting"),
    ("bladder", "Bladder management"),
    ("bowel", "Bowel management"),
    ("transfer_bed", "Transfer: bed, chair, wheelchair"),
    ("transfer_toilet", "Transfer: toilet"),
    ("transfer_tub", "Transfer: tub or shower"),
    ("locomotion", "Walk or wheelchair"),
    ("stairs", "Stairs"),
)
FIM_COGNITIVE_ITEMS: tuple[tuple[str, str], ...] = (
    ("comprehension", "Comprehension"),
    ("expression", "Expression"),
    ("social_interaction", "Social interaction"),
    ("problem_solving", "Problem solving"),
    ("memory", "Memory"),
)
FIM_ITEMS = FIM_MOTOR_ITEMS + FIM_COGNITIVE_ITEMS  # 18 items [50]


@dataclass(frozen=True)
class FimAssessment:
    KIND: ClassVar[ScaleKind] = ScaleKind.FIM
    items: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        given = dict(self.items or {})
        known = {key for key, _ in FIM_ITEMS}
        for key in given:
            if key not in known:
                problems.append(Problem(f"items.{key}", f"“{key}” is not a FIM item."))
        scores: dict[str, int] = {}
        for key, label in FIM_ITEMS:
            if given.get(key) in (None, ""):
                problems.append(Problem(f"items.{key}", f"Score “{label}” (1-7)."))
                continue
            value = read_int(given[key], FIM_MIN, FIM_MAX, f"items.{key}", label, problems)
            if value is not None:
                scores[key] = value
        raise_if_errors(problems)
        _set(self, "items", scores)

    @property
    def total(self) -> int:
        return sum(self.items.values())

    @property
    def motor(self) -> int:
        return sum(self.items[key] for key, _ in FIM_MOTOR_ITEMS)

    @property
    def cognitive(self) -> int:
        return sum(self.items[key] for key, _ in FIM_COGNITIVE_ITEMS)

    def summary(self) -> str:
        return f"FIM {self.total} (motor {self.motor}, cognitive {self.cognitive})"

    def to_dict(self) -> dict[str, Any]:
        return {"scale": self.KIND.value, "items": dict(self.items)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FimAssessment:
        return cls(dict(data.get("items") or {}))


# ---------------------------------------------------------------------------------------------
# Barthel Index 0-100 (CLINICAL.md section 7).

BARTHEL_MAX = 100  # Barthel 0-100, CLINICAL.md section 7


@dataclass(frozen=True)
class BarthelScore:
    KIND: ClassVar[ScaleKind] = ScaleKind.BARTHEL
    total: int

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        total = read_int(self.total, 0, BARTHEL_MAX, "total", "Barthel Index", problems)
        raise_if_errors(problems)
        _set(self, "total", total)

    def summary(self) -> str:
        return f"Barthel {self.total}/{BARTHEL_MAX}"

    def to_dict(self) -> dict[str, Any]:
        return {"scale": self.KIND.value, "total": self.total}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BarthelScore:
        return cls(data.get("total"))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------

ScaleResult = (
    MasAssessment
    | PennScore
    | TardieuAssessment
    | GasAssessment
    | GmfcsLevel
    | PainScore
    | FimAssessment
    | BarthelScore
)
SCALE_TYPES: dict[ScaleKind, Any] = {
    ScaleKind.MAS: MasAssessment,
    ScaleKind.PENN: PennScore,
    ScaleKind.TARDIEU: TardieuAssessment,
    ScaleKind.GAS: GasAssessment,
    ScaleKind.GMFCS: GmfcsLevel,
    ScaleKind.PAIN_NRS: PainScore,
    ScaleKind.FIM: FimAssessment,
    ScaleKind.BARTHEL: BarthelScore,
}


def scale_from_dict(data: Mapping[str, Any], expected: ScaleKind | None = None) -> ScaleResult:
    """Rebuild any scale result from its ``to_dict`` form (raises ValidationFailed)."""
    if not isinstance(data, Mapping):
        raise ValidationFailed.single("scale", "This scale result is not readable.")
    try:
        kind = ScaleKind(data.get("scale"))
    except ValueError:
        raise ValidationFailed.single("scale", f"Unknown scale “{data.get('scale')}”.") from None
    if expected is not None and kind is not expected:
        raise ValidationFailed.single("scale", f"Expected {expected.label}, got {kind.label}.")
    return SCALE_TYPES[kind].from_dict(data)
