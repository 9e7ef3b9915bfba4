"""Exact arithmetic behind the pump calculations.

Inputs and results are ``Decimal`` (DESIGN.md). Inside a calculation, though, the pump divides by
24 (mcg/h to mL/day), by 60 (minutes of a step) and by dilution concentrations such as 300 mcg/mL:
those quotients do not terminate in decimal, and a rounded running sum can move a refill date by a
day (CLINICAL.md section 5). So sums are kept as exact ``Fraction`` values built from the Decimal
inputs, and converted back to ``Decimal`` only at the edge, exactly when the value terminates.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, Decimal
from fractions import Fraction

# Significant digits kept when a result does not terminate in decimal (the Decimal default).
RESULT_DIGITS = 28


def frac(value: Decimal | int | Fraction) -> Fraction:
    """The exact rational value of a Decimal or int (never via float)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise TypeError(f"expected Decimal or int, got {type(value).__name__}")
    return Fraction(value)


def _terminates(denominator: int) -> tuple[bool, int]:
    """Whether 1/denominator terminates in decimal, and how many decimal places it needs."""
    twos = fives = 0
    while denominator % 2 == 0:
        denominator //= 2
        twos += 1
    while denominator % 5 == 0:
        denominator //= 5
        fives += 1
    return denominator == 1, max(twos, fives)


def dec(value: Fraction | int, *, rounding: str = ROUND_HALF_EVEN) -> Decimal:
    """Decimal of an exact value: exact when it terminates, else RESULT_DIGITS significant digits.

    ``rounding`` applies only to non-terminating values (e.g. ROUND_CEILING for a volume used,
    so that a date derived from it can only move earlier).
    """
    value = Fraction(value)
    exact, places = _terminates(value.denominator)
    if exact:
        scaled = value.numerator * (10**places) // value.denominator
        return Decimal(f"{scaled}E-{places}") if places else Decimal(scaled)
    context = Context(prec=RESULT_DIGITS, rounding=rounding)
    return context.divide(Decimal(value.numerator), Decimal(value.denominator))
