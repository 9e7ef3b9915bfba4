"""What every view is given: the open store, the signed-in user, the change bus, navigation.

Views receive an ``AppContext`` in their constructor (no global application object). They call
services through ``ctx.call(service_function, *args)``, which opens a short session, passes the
signed-in actor and closes the session again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

from carecoord.domain.permissions import Permission, who_may
from carecoord.services.context import Actor
from carecoord.store.database import Database, describe_url

T = TypeVar("T")


class ChangeBus(QObject):
    """Announces what changed so each view decides for itself whether to refresh.

    ``changed(entity)`` carries the audit entity name ("patient", "team", "user", ...) after a
    save on this workstation, or "external" when another workstation saved something.
    """

    changed = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.generation = 0  # how many changes were announced; caches compare it
        # Connected first, so every listener already sees the count of the change it hears of.
        self.changed.connect(self._count)

    def _count(self, _entity: str) -> None:
        self.generation += 1


@dataclass
class AppContext:
    db: Database
    actor: Actor
    bus: ChangeBus = field(default_factory=ChangeBus)
    # Navigation, set by the main window (tests may replace them with recorders).
    open_patient: Callable[[int], None] = lambda _patient_id: None
    new_patient: Callable[[], None] = lambda: None

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a service use case ``fn(session, actor, *args)`` in its own session. A store
        error comes out as a ``StoreProblem`` in words (``carecoord.services.boundary``)."""
        from carecoord.services import boundary

        return boundary.run(self.db, fn, self.actor, *args, **kwargs)

    def read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a plain-SQL read ``fn(reader, actor, *args)`` (``carecoord.store.reader``): on
        SQLite it needs no ORM, so it works before SQLAlchemy has loaded."""
        from carecoord.services import boundary

        return boundary.run_reader(self.db, fn, self.actor, *args, **kwargs)

    def query(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a service function that takes no actor: ``fn(session, *args)``."""
        from carecoord.services import boundary

        return boundary.run(self.db, fn, *args, **kwargs)

    def can(self, permission: Permission) -> bool:
        return self.actor.can(permission)

    @property
    def where(self) -> str:
        return describe_url(self.db.url)


def gate(widget: Any, ctx: AppContext, permission: Permission, tooltip: str = "") -> bool:
    """Enable a widget only when the user may do this; otherwise say who may in its tooltip."""
    allowed = ctx.can(permission)
    widget.setEnabled(allowed)
    widget.setToolTip(tooltip if allowed else who_may(permission))
    return allowed
