"""Clinical quantities: exact Decimal parsing and the house style for showing them.

House style (DESIGN.md, "What a clinician sees"): units always shown, "mcg" on screen and
"micrograms" on handouts, never "ug" or "µg"; no trailing zeros ("5 mg", not "5.0 mg"); a
leading zero before a decimal point ("0.5 mL"); dates unambiguous ("24 Nov 2026").
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")


class QuantityError(ValueError):
    """Text that is not a number we can read without guessing."""


def parse_decimal(text: str, *, decimal_separator: str = ".", what: str = "value") -> Decimal:
    """Read a number typed by a user, exactly.

    A comma is accepted as the decimal separator only when the user's locale uses one; in a
    point locale "12,5" is refused (it might mean 125 or 12.5), never guessed. Thousands
    separators are refused for the same reason: clinical numbers here are small.
    """
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "")
    if not cleaned:
        raise QuantityError(f"Enter the {what}.")
    if not _NUMBER.match(cleaned):
        raise QuantityError(f"The {what} “{text.strip()[:20]}” is not a number.")
    if "," in cleaned:
        if decimal_separator != ",":
            raise QuantityError(
                f"The {what} “{cleaned}” uses a comma; write the decimal with a point "
                f"({cleaned.replace(',', '.')})."
            )
        cleaned = cleaned.replace(",", ".")
    elif "." in cleaned and decimal_separator == ",":
        # A point in a comma locale is unambiguous here (no thousands separators allowed).
        pass
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:  # pragma: no cover - guarded by the regex
        raise QuantityError(f"The {what} “{text.strip()[:20]}” is not a number.") from exc
    if not value.is_finite():
        raise QuantityError(f"The {what} must be a finite number.")
    return value


def format_number(value: Decimal | int, places: int | None = None) -> str:
    """Plain text of a number: no trailing zeros, a leading zero, no exponent."""
    number = Decimal(value)
    # Enough digits for any finite number: the default 28 would round a longer one, or raise.
    exact = Context(
        prec=max(28, number.adjusted() + (places or 0) + 2, len(number.as_tuple().digits))
    )
    if places is not None:
        number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=exact)
    text = format(number.normalize(exact), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in {"-0", ""}:
        text = "0"
    return text


def format_mcg(value: Decimal | int, *, places: int | None = 2, long: bool = False) -> str:
    """A dose: "360 mcg" on screen, "360 micrograms" on handouts."""
    return f"{format_number(value, places)} {'micrograms' if long else 'mcg'}"


def format_mcg_per_day(value: Decimal | int, *, long: bool = False, places: int | None = 2) -> str:
    unit = "micrograms a day" if long else "mcg/day"
    return f"{format_number(value, places)} {unit}"


def format_mcg_per_hour(value: Decimal | int, *, long: bool = False, places: int | None = 3) -> str:
    unit = "micrograms an hour" if long else "mcg/h"
    return f"{format_number(value, places)} {unit}"


def format_ml(value: Decimal | int, *, places: int | None = 2, long: bool = False) -> str:
    return f"{format_number(value, places)} {'millilitres' if long else 'mL'}"


def format_concentration(value: Decimal | int, *, long: bool = False) -> str:
    unit = "micrograms per millilitre" if long else "mcg/mL"
    return f"{format_number(value)} {unit}"


def format_date(value: dt.date | None, *, missing: str = "—") -> str:
    """Unambiguous clinic date: 24 Nov 2026."""
    if value is None:
        return missing
    return f"{value.day} {value.strftime('%b')} {value.year}"


def format_long_date(value: dt.date | None, *, missing: str = "—") -> str:
    """Handout date: Tuesday 24 November 2026."""
    if value is None:
        return missing
    return f"{value.strftime('%A')} {value.day} {value.strftime('%B')} {value.year}"


def format_datetime(value: dt.datetime | None, *, missing: str = "—") -> str:
    """Local clinic time, unambiguous: 24 Nov 2026 14:05."""
    if value is None:
        return missing
    if value.tzinfo is not None:
        value = value.astimezone()
    return f"{format_date(value.date())} {value:%H:%M}"


def format_days_until(days: int) -> str:
    """Words for a due date relative to today: "Due today", "Due in 3 days", "Overdue 2 days"."""
    if days == 0:
        return "Due today"
    if days == 1:
        return "Due tomorrow"
    if days > 1:
        return f"Due in {days} days"
    late = -days
    return f"Overdue {late} day" if late == 1 else f"Overdue {late} days"
