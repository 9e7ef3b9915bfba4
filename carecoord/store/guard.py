"""The last check before a row is written: no value that the store cannot keep exactly.

Every service checks its input with the domain rules and says what is wrong in the user's words;
this guard runs on every flush of every session as a backstop, so that no writer (a service that
forgot a check, a script, an import) can store a NUL or a lone surrogate (PostgreSQL refuses the
first, neither store can encode the second), a text longer than its column, a number that is not
finite or does not fit its exact text column, or a date outside any plausible record. It raises
the same ``ValidationFailed`` as the domain rules, before any SQL is sent, so nothing is written.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import String, event, inspect
from sqlalchemy.orm import Session

from carecoord.domain.errors import Problem, ValidationFailed
from carecoord.domain.ranges import has_bad_characters
from carecoord.store.types import DecimalText

# A Text column without a length: a record's longest free text is a few pages; JSON content
# (an evaluation, an audit event's before and after) a few hundred kilobytes at most. A megabyte
# is never typed.
MAX_UNBOUNDED_TEXT = 1_000_000
# Dates stored by this application are about living patients and their treatment.
EARLIEST_STORED_YEAR = 1900
LATEST_STORED_YEAR = 2200


def _label(column_name: str) -> str:
    words = column_name.removesuffix("_id").replace("_", " ")
    for unit in (" ml", " mcg per ml", " mcg", " kg", " mmhg"):
        words = words.removesuffix(unit)
    return words[:1].upper() + words[1:]


def value_problems(column: Any, value: Any) -> list[Problem]:
    """Why ``value`` cannot be stored in ``column`` (empty when it can)."""
    if value is None:
        return []
    name = column.name
    label = _label(name)
    if isinstance(value, str):
        limit = column.type.length if isinstance(column.type, String) else None
        limit = limit or MAX_UNBOUNDED_TEXT
        problems = []
        if len(value) > limit:
            problems.append(
                Problem(
                    name, f"{label} is too long ({len(value):,} characters; at most {limit:,})."
                )
            )
        if has_bad_characters(value, multiline=True):
            problems.append(Problem(name, f"{label} contains invisible control characters."))
        return problems
    if isinstance(value, Decimal) and isinstance(column.type, DecimalText):
        if not value.is_finite() or len(format(value, "f")) > column.type.impl.length:
            return [Problem(name, f"{label}: {value:.3E} is not a number that can be stored.")]
        return []
    if isinstance(value, dt.date) and not (  # dates and datetimes
        EARLIEST_STORED_YEAR <= value.year <= LATEST_STORED_YEAR
    ):
        return [
            Problem(
                name,
                f"{label}: the year {value.year} cannot be right "
                f"({EARLIEST_STORED_YEAR}-{LATEST_STORED_YEAR}).",
            )
        ]
    return []


def _row_problems(obj: object, only_changed: bool) -> list[Problem]:
    state = inspect(obj)
    problems: list[Problem] = []
    for attr in state.mapper.column_attrs:
        if len(attr.columns) != 1:
            continue
        column = attr.columns[0]
        attr_state = state.attrs[attr.key]
        if only_changed and not attr_state.history.has_changes():
            continue
        value = state.dict.get(attr.key)
        problems.extend(value_problems(column, value))
    return problems


def _before_flush(session: Session, _context: object, _instances: object) -> None:
    problems: list[Problem] = []
    for obj in session.new:
        problems.extend(_row_problems(obj, only_changed=False))
    for obj in session.dirty:
        problems.extend(_row_problems(obj, only_changed=True))
    if problems:
        raise ValidationFailed(problems)


def install(sessions: Any) -> None:
    """Guard every flush of the sessions a ``sessionmaker`` makes."""
    event.listen(sessions, "before_flush", _before_flush)
