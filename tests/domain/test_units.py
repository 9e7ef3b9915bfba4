"""House style of clinical quantities and exact parsing of typed numbers."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecoord.domain.units import (
    QuantityError,
    format_date,
    format_days_until,
    format_mcg,
    format_mcg_per_day,
    format_ml,
    format_number,
    parse_decimal,
)


def test_no_trailing_zeros_and_leading_zero():
    """DESIGN: "5 mg" not "5.0 mg"; "0.5 mL" not ".5 mL"."""
    assert format_number(Decimal("5.0")) == "5"
    assert format_ml(Decimal(".5")) == "0.5 mL"
    assert format_mcg(Decimal("360.00")) == "360 mcg"
    assert format_number(Decimal("1E+2")) == "100"
    assert format_mcg_per_day(Decimal("360"), long=True) == "360 micrograms a day"


def test_never_writes_ug():
    for text in (format_mcg(5), format_mcg(5, long=True), format_mcg_per_day(5)):
        assert "ug" not in text.replace("micrograms", "") and "µg" not in text


def test_dates_are_unambiguous():
    assert format_date(dt.date(2026, 11, 24)) == "24 Nov 2026"
    assert format_date(None) == "—"


def test_days_until_words():
    assert format_days_until(0) == "Due today"
    assert format_days_until(3) == "Due in 3 days"
    assert format_days_until(-1) == "Overdue 1 day"
    assert format_days_until(-4) == "Overdue 4 days"


def test_comma_decimal_is_read_in_comma_locale_and_refused_otherwise():
    """ "12,5" is 12.5 where the locale uses commas, and never misread elsewhere."""
    assert parse_decimal("12,5", decimal_separator=",") == Decimal("12.5")
    with pytest.raises(QuantityError, match="point"):
        parse_decimal("12,5", decimal_separator=".")
    assert parse_decimal(" 0.72 ") == Decimal("0.72")


@pytest.mark.parametrize(
    "text", ["", "abc", "1,2,3", "1.2.3", "1e5", "nan", "inf", "--1", "1;DROP"]
)
def test_rubbish_is_refused(text):
    with pytest.raises(QuantityError):
        parse_decimal(text)


@given(st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False))
def test_format_then_parse_round_trips(value):
    assert parse_decimal(format_number(value)) == value
