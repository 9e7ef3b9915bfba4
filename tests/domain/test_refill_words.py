"""Refill, alarm and battery dates said in words, passed ones included (CLINICAL.md 4-5)."""

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from carecoord.domain.refill_status import (
    alarm_date_line,
    battery_plan_words,
    current_dates_lines,
    days_from_today,
    refill_due_line,
)

TODAY = dt.date(2026, 11, 24)
D = Decimal


def day(offset: int) -> dt.date:
    return TODAY + dt.timedelta(days=offset)


def test_days_from_today():
    """Each distance from today has its own words."""
    assert [days_from_today(day(n), TODAY) for n in (-3, -1, 0, 1, 3)] == [
        "3 days ago",
        "yesterday",
        "today",
        "tomorrow",
        "in 3 days",
    ]


def test_refill_due_line_passed_today_and_ahead():
    """A due date that has passed says "was due ... now overdue"; today and later say "due"."""
    assert refill_due_line(day(3), "clinic maximum interval of 90 days", TODAY) == (
        "Refill due 27 Nov 2026 (in 3 days): clinic maximum interval of 90 days."
    )
    assert refill_due_line(TODAY, "", TODAY) == "Refill due 24 Nov 2026 (today)."
    assert refill_due_line(day(-4), "x", TODAY) == (
        "Refill was due 20 Nov 2026 (4 days ago), now overdue: x."
    )


def test_alarm_date_line():
    """On and after the alarm date: withdrawal risk in words [21]."""
    assert alarm_date_line(day(10), D(2), TODAY) == (
        "Low-reservoir alarm date 4 Dec 2026 (in 10 days, 2 mL left)."
    )
    today = alarm_date_line(TODAY, D(2), TODAY)
    assert today.startswith("Low-reservoir alarm date is today") and "withdrawal risk" in today
    passed = alarm_date_line(day(-2), D(3), TODAY)
    assert passed == (
        "Low-reservoir alarm date 22 Nov 2026 (2 days ago, 3 mL left) has passed: "
        "withdrawal risk, refill now."
    )
    assert "not delivering" in alarm_date_line(None, D(2), TODAY)


def test_battery_plan_words():
    """ "Plan by" and "ERI alarm expected by" say when they have passed [6][16]."""
    ahead = battery_plan_words(day(30), day(60), TODAY)
    assert ahead == [
        "plan the replacement by 24 Dec 2026 (in 30 days)",
        "replacement indicator (ERI) alarm expected by 23 Jan 2027 (in 60 days)",
    ]
    passed = battery_plan_words(day(-30), day(-1), TODAY)
    assert passed[0] == (
        "the date to plan the replacement by, 25 Oct 2026 (30 days ago), has passed: plan it now"
    )
    assert passed[1].startswith("the replacement indicator (ERI) alarm was expected by 23 Nov 2026")
    assert "check the pump" in passed[1]
    assert battery_plan_words(TODAY, TODAY, TODAY)[0] == (
        "plan the replacement by today, 24 Nov 2026"
    )
    assert battery_plan_words(None, None, TODAY) == []


def test_current_dates_lines_from_the_refill_record():
    """Due, alarm and the fill they count from; nothing when no refill can be planned."""
    lines = current_dates_lines(
        due_date=day(-1),
        due_reason="5 days before the low-reservoir alarm (28 Nov 2026)",
        alarm_date=day(4),
        alarm_volume_ml=D(2),
        fill_date=day(-60),
        volume_after_fill_ml=D(20),
        today=TODAY,
    )
    assert lines[0].startswith("Refill was due 23 Nov 2026 (yesterday), now overdue")
    assert lines[1] == "Low-reservoir alarm date 28 Nov 2026 (in 4 days, 2 mL left)."
    assert lines[2] == "Counted from the last fill on 25 Sep 2026 to 20 mL."
    none = current_dates_lines(
        due_date=None,
        due_reason="",
        alarm_date=None,
        alarm_volume_ml=None,
        fill_date=None,
        volume_after_fill_ml=None,
        today=TODAY,
    )
    assert none == []


@given(offset=st.integers(min_value=-4000, max_value=4000))
def test_a_passed_date_is_always_said_to_have_passed(offset):
    """Whatever the distance, a date before today reads as passed, and one after never does."""
    target = day(offset)
    due = refill_due_line(target, "", TODAY)
    alarm = alarm_date_line(target, D(2), TODAY)
    plan = battery_plan_words(target, target, TODAY)
    if offset < 0:
        assert "overdue" in due and "has passed" in alarm
        assert "has passed" in plan[0] and "was expected" in plan[1]
    else:
        assert "overdue" not in due and "has passed" not in alarm and "has passed" not in plan[0]
    assert ("withdrawal risk" in alarm) == (offset <= 0)
