"""Typed errors raised by services; each message is written for the user who acted."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from carecoord.domain.errors import Problem, ValidationFailed

__all__ = [
    "ConflictError",
    "NotFound",
    "PermissionDenied",
    "Problem",
    "ServiceError",
    "SignInFailed",
    "ValidationFailed",
]


class ServiceError(Exception):
    """Base of every refusal a user may see."""


class PermissionDenied(ServiceError):
    pass


class NotFound(ServiceError):
    pass


class SignInFailed(ServiceError):
    pass


@dataclass
class FieldConflict:
    field: str
    label: str
    yours: str
    theirs: str


@dataclass
class ConflictError(ServiceError):
    """A save based on an old version: someone else saved first. Nothing was written."""

    entity_label: str
    changed_by: str
    changed_at: dt.datetime | None
    current_version: int
    current: dict[str, Any]
    fields: list[FieldConflict] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @property
    def message(self) -> str:
        when = (
            self.changed_at.astimezone().strftime("%H:%M on %d %b %Y")
            if self.changed_at
            else "meanwhile"
        )
        changed = ", ".join(f.label for f in self.fields) or "this record"
        return (
            f"{self.changed_by} saved {self.entity_label} at {when} while you were editing "
            f"({changed}). Your changes were not saved and are still in the form."
        )
