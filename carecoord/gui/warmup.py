"""Loading the rest of the app while the sign-in dialog waits for a person.

The dialog appears before SQLAlchemy and the services are imported (about 0.3 s); a background
thread imports them and opens the store's engine while the user types. Whoever needs them next
calls ``wait()`` first, so no module is ever imported by two threads at once.
"""

from __future__ import annotations

import importlib
import logging
import threading

from carecoord.store.database import Database

log = logging.getLogger(__name__)

MODULES = (
    "carecoord.services.users",
    "carecoord.services.settings",
    "carecoord.services.patients",
    "carecoord.services.audit",
)


class Warmup:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._thread = threading.Thread(target=self._run, name="carecoord-warmup", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for name in MODULES:
                importlib.import_module(name)
            self._db.load_orm()
        except Exception:  # the main thread meets the same problem and explains it
            log.exception("Loading ahead of sign-in failed")

    def wait(self) -> None:
        self._thread.join()
