"""Typed errors raised by services; each message is written for the user who acted."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from carecoord.domain.errors import Problem, ValidationFailed

__all__ = [
    "ChangedMeanwhile",
    "ConflictError",
    "ConnectionLost",
    "NotFound",
    "PermissionDenied",
    "Problem",
    "ServiceError",
    "SignInFailed",
    "StoreBusy",
    "StoreDamaged",
    "StoreFull",
    "StoreProblem",
    "StoreReadOnly",
    "StoreRefused",
    "StoreUnreachable",
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


class StoreProblem(ServiceError):
    """The store could not do what was asked (the connection, the disk, a save at the same
    moment as another one). The transaction was rolled back: nothing of it was saved."""


class ConnectionLost(StoreProblem):
    pass


class StoreUnreachable(StoreProblem):
    pass


class StoreFull(StoreProblem):
    pass


class StoreReadOnly(StoreProblem):
    pass


class StoreBusy(StoreProblem):
    pass


class ChangedMeanwhile(StoreProblem):
    """Another workstation saved the same record, or the same entry, at the same moment."""


class StoreDamaged(StoreProblem):
    pass


class StoreRefused(StoreProblem):
    pass
