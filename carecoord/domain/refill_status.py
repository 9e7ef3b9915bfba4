"""Words and states around refills: due status, appointments, recall calls, battery.

Words first, colour second (DESIGN.md): every status here is a sentence a nurse can read on a
list without knowing what the colour means.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from carecoord.domain.units import format_date, format_days_until

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
    """ "Overdue 4 days; past alarm date (20 Nov 2026): withdrawal risk", "Due in 3 days"."""
    if due_date is None:
        return "No refill planned"
    words = format_days_until((due_date - today).days)
    if is_past_alarm(alarm_date, today):
        if alarm_date == today:
            words += "; alarm date today: withdrawal risk"
        else:
            words += f"; past alarm date ({format_date(alarm_date)}): withdrawal risk"
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
