"""Small builders for domain tests (not a test module)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from carecoord.domain.enums import Discipline
from carecoord.domain.evaluations import FieldKind, form_for
from carecoord.domain.scales import MasAssessment, MasRating
from carecoord.domain.screening import (
    ScreeningAssessment,
    ScreeningRoute,
    ScreeningTrial,
    VitalSigns,
)

T0 = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
GROUPS = (("Hip adductors", "left"), ("Hip adductors", "right"), ("Knee extensors", "left"))
VITALS = VitalSigns(systolic_mmhg=Decimal(120), diastolic_mmhg=Decimal(80), heart_rate_per_min=72)


def mas(*grades: str) -> MasAssessment:
    """MAS over the first len(grades) standard groups."""
    return MasAssessment(
        tuple(MasRating(g, s, grade) for (g, s), grade in zip(GROUPS, grades, strict=False))
    )


def bolus(
    dose: int = 50,
    baseline: tuple[str, ...] = ("3", "3"),
    post: tuple[tuple[float, tuple[str, ...]], ...] = (
        (1, ("3", "3")),
        (2, ("3", "3")),
        (4, ("3", "3")),
    ),
    given_at: dt.datetime = T0,
    id: int | None = 1,
    vitals: bool = True,
) -> ScreeningTrial:
    """A bolus trial; ``post`` is (hours after the dose, grades) pairs; vitals at the first."""
    assessments = tuple(
        ScreeningAssessment(
            given_at + dt.timedelta(hours=h), mas(*grades), VITALS if vitals and i == 0 else None
        )
        for i, (h, grades) in enumerate(post)
    )
    return ScreeningTrial(
        id=id,
        route=ScreeningRoute.BOLUS,
        given_at=given_at,
        dose_mcg=Decimal(dose),
        baseline=ScreeningAssessment(given_at - dt.timedelta(minutes=30), mas(*baseline)),
        post_dose=assessments,
    )


def positive_bolus(dose: int = 50, **kw) -> ScreeningTrial:
    return bolus(dose, post=((1, ("2", "2")), (2, ("1", "2")), (4, ("2", "2"))), **kw)


def negative_bolus(dose: int = 50, **kw) -> ScreeningTrial:
    return bolus(dose, post=((1, ("3", "3")), (2, ("2", "3")), (4, ("3", "3"))), **kw)


# --- Evaluations -------------------------------------------------------------------------


MAS_DICT = mas("3", "2").to_dict()


def complete_values(discipline: Discipline, recommendation: str = "proceed_to_screening") -> dict:
    """Values that satisfy every required field of the discipline's form."""
    values: dict = {}
    for spec in form_for(discipline).fields:
        if not spec.required_for_signing:
            continue
        if spec.kind is FieldKind.TEXT:
            values[spec.key] = f"{spec.label} noted."
        elif spec.kind is FieldKind.CHOICE:
            values[spec.key] = spec.choices[0][0]
        elif spec.kind is FieldKind.NUMBER:
            values[spec.key] = "70"
        elif spec.kind is FieldKind.SCALE:
            values[spec.key] = MAS_DICT
    if "diastolic_mmhg" in values:
        values["systolic_mmhg"], values["diastolic_mmhg"] = "120", "80"
    if discipline is Discipline.PHYSIATRIST:
        values["origin"] = "spinal"
        values["diagnosis"] = "spinal_cord_injury"
    values["recommendation"] = recommendation
    if recommendation in ("not_recommended", "needs_more_information"):
        values["recommendation_reason"] = "Because."
    return values
