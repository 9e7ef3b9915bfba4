"""The acting user, and the permission check every service performs first."""

from __future__ import annotations

from dataclasses import dataclass

from carecoord.domain.enums import Discipline
from carecoord.domain.permissions import Permission, is_allowed, who_may
from carecoord.services.errors import PermissionDenied


@dataclass(frozen=True)
class Actor:
    user_id: int
    username: str
    full_name: str
    discipline: Discipline | None
    is_admin: bool

    @property
    def display(self) -> str:
        role = self.discipline.label if self.discipline else "Administrator"
        return f"{self.full_name} ({role})"

    def can(self, permission: Permission) -> bool:
        return is_allowed(permission, self.discipline, self.is_admin)


def require(actor: Actor, permission: Permission) -> None:
    """Refuse in words when the actor may not do this, whatever the caller (GUI, CLI, script)."""
    if not actor.can(permission):
        raise PermissionDenied(f"{who_may(permission)} You are signed in as {actor.display}.")


SYSTEM = Actor(user_id=0, username="system", full_name="CareCoord", discipline=None, is_admin=True)
