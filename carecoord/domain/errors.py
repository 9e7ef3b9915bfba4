"""Problems found by domain rules, in the user's words, tied to the field that caused them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"  # refused: cannot be saved
    NEEDS_REASON = "needs_reason"  # allowed only with a written reason
    WARNING = "warning"  # allowed, shown to the user


@dataclass(frozen=True)
class Problem:
    field: str
    message: str
    severity: Severity = Severity.ERROR


class ValidationFailed(ValueError):
    """Raised when input is refused; carries every problem so a form can mark each field."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(p.message for p in self.problems))

    @classmethod
    def single(cls, field: str, message: str) -> ValidationFailed:
        return cls([Problem(field, message)])


def errors_only(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity is Severity.ERROR]


def raise_if_errors(problems: Iterable[Problem]) -> None:
    errors = errors_only(problems)
    if errors:
        raise ValidationFailed(errors)
