"""Words and states around refills: due status, appointments, recall calls, battery.

Words first, colour second (DESIGN.md): every status here is a sentence a nurse can read on a
list without knowing what the colour means.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from carecoord.domain.units import format_date, format_days_until, format_ml

DRUG_NAME = "Baclofen"  # intrathecal baclofen is the only drug these pumps hold (CLINICAL.md)


class AppointmentStatus(StrEnum):
    BOOKED = "booked"
    ATTENDED = "attended"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class RecallStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ContactOutcome(StrEnum):
    """What happened when the clinic tried to reach a patient about a refill."""

    BOOKED = "booked"
    CALL_BACK = "call_back"
    MESSAGE = "message"
    NO_ANSWER = "no_answer"
    WRONG_NUMBER = "wrong_number"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return {
            ContactOutcome.BOOKED: "Reached: refill booked",
            ContactOutcome.CALL_BACK: "Reached: will call back",
            ContactOutcome.MESSAGE: "Left a message",
            ContactOutcome.NO_ANSWER: "No answer",
            ContactOutcome.WRONG_NUMBER: "Wrong or missing number",
            ContactOutcome.DECLINED: "Reached: declines the refill",
        }[self]


def is_past_alarm(alarm_date: dt.date | None, today: dt.date) -> bool:
    """On or after the low-reservoir alarm date the pump may run short: withdrawal risk [21]."""
    return alarm_date is not None and alarm_date <= today


def due_words(due_date: dt.date | None, alarm_date: dt.date | None, today: dt.date) -> str:
    """ "Overdue 4 days; past alarm date: withdrawal risk", "Due in 3 days" (the alarm date
    itself is shown beside it)."""
    if due_date is None:
        return "No refill planned"
    words = format_days_until((due_date - today).days)
    if is_past_alarm(alarm_date, today):
        if alarm_date == today:
            words += "; alarm date today: withdrawal risk"
        else:
            words += "; past alarm date: withdrawal risk"
    return words


def battery_words(replace_by: dt.date, today: dt.date, *, estimate: bool = False) -> str:
    """ "Replace by 12 Mar 2027 (in 108 days)" or "Past its design life since 1 Jan 2026"."""
    days = (replace_by - today).days
    if days < 0:
        text = f"Past its battery life since {format_date(replace_by)}: replace now"
    elif days == 0:
        text = "Battery life ends today: replace now"
    else:
        text = f"Replace by {format_date(replace_by)} (in {days} day{'s' if days != 1 else ''})"
    return text + (" (estimate: battery values unconfirmed)" if estimate else "")


# Dates said in words wherever they are shown: a date that has passed says so, so a nurse
# never has to compare it with today's date to notice.


def days_from_today(day: dt.date, today: dt.date) -> str:
    """ "today", "tomorrow", "in 3 days", "yesterday", "3 days ago"."""
    days = (day - today).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days == -1:
        return "yesterday"
    return f"in {days} days" if days > 0 else f"{-days} days ago"


def refill_due_line(due_date: dt.date, reason: str, today: dt.date) -> str:
    """ "Refill due 24 Nov 2026 (in 3 days): 5 days before the low-reservoir alarm (...)." or,
    once passed, "Refill was due 20 Nov 2026 (4 days ago), overdue: ..."."""
    when = f"{format_date(due_date)} ({days_from_today(due_date, today)})"
    why = f": {reason}" if reason else ""
    if due_date < today:
        return f"Refill was due {when}, now overdue{why}."
    return f"Refill due {when}{why}."


def alarm_date_line(
    alarm_date: dt.date | None, alarm_volume_ml: Decimal | None, today: dt.date
) -> str:
    """The low-reservoir alarm date, with "passed: withdrawal risk" once it is reached [21]."""
    left = "" if alarm_volume_ml is None else f", {format_ml(alarm_volume_ml)} left"
    if alarm_date is None:
        return "Low-reservoir alarm date: none (the pump is not delivering)."
    when = f"{format_date(alarm_date)} ({days_from_today(alarm_date, today)}{left})"
    if alarm_date < today:
        return f"Low-reservoir alarm date {when} has passed: withdrawal risk, refill now."
    if alarm_date == today:
        return f"Low-reservoir alarm date is today, {when}: withdrawal risk, refill now."
    return f"Low-reservoir alarm date {when}."


def current_dates_lines(
    *,
    due_date: dt.date | None,
    due_reason: str,
    alarm_date: dt.date | None,
    alarm_volume_ml: Decimal | None,
    fill_date: dt.date | None,
    volume_after_fill_ml: Decimal | None,
    today: dt.date,
) -> list[str]:
    """The current refill dates from the refill record, in words (Refills tab, pump Summary,
    `program show`); one empty list when nothing can be planned yet."""
    if due_date is None:
        return []
    lines = [
        refill_due_line(due_date, due_reason, today),
        alarm_date_line(alarm_date, alarm_volume_ml, today),
    ]
    if fill_date is not None:
        volume = "" if volume_after_fill_ml is None else f" to {format_ml(volume_after_fill_ml)}"
        lines.append(f"Counted from the last fill on {format_date(fill_date)}{volume}.")
    return lines


def battery_plan_words(
    plan_by: dt.date | None, eri_by: dt.date | None, today: dt.date
) -> list[str]:
    """The battery section's "plan by" and "ERI alarm expected by" dates, said as passed once
    they are [6][16]."""
    words: list[str] = []
    if plan_by is not None:
        when = f"{format_date(plan_by)} ({days_from_today(plan_by, today)})"
        if plan_by < today:
            words.append(f"the date to plan the replacement by, {when}, has passed: plan it now")
        elif plan_by == today:
            words.append(f"plan the replacement by today, {format_date(plan_by)}")
        else:
            words.append(f"plan the replacement by {when}")
    if eri_by is not None:
        when = f"{format_date(eri_by)} ({days_from_today(eri_by, today)})"
        if eri_by <= today:
            verb = "was" if eri_by < today else "is"
            words.append(
                f"the replacement indicator (ERI) alarm {verb} expected by {when}: it may be "
                "sounding now; check the pump"
            )
        else:
            words.append(f"replacement indicator (ERI) alarm expected by {when}")
    return words
