"""The one place where a store error becomes a typed error in words a nurse can act on.

Everything the GUI and the CLI ask of the services passes here (``run`` for a service call in
its own session, ``translate`` for an error that reached a caller some other way). A store
error never reaches a user as SQL, a driver's text or a traceback:

- a save that failed says why and that nothing was saved (the transaction was rolled back);
  the form that asked keeps what was typed;
- a read whose connection was lost is tried once more on a fresh connection before it fails.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from carecoord.services.errors import (
    ChangedMeanwhile,
    ConnectionLost,
    ServiceError,
    StoreBusy,
    StoreDamaged,
    StoreFull,
    StoreProblem,
    StoreReadOnly,
    StoreRefused,
    StoreUnreachable,
)
from carecoord.store.database import (
    COMMITTED,
    COMMITTING,
    READING,
    SQLITE_BUSY_TIMEOUT_MS,
    DatabaseError,
    session_progress,
)
from carecoord.store.faults import Fault, classify, safe_message

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from carecoord.store.database import Database

log = logging.getLogger(__name__)
T = TypeVar("T")

NOTHING_SAVED = "Nothing was saved."
_WORDS: dict[Fault, tuple[type[StoreProblem], str]] = {
    Fault.CONNECTION_LOST: (
        ConnectionLost,
        "The connection to the database was lost. "
        + NOTHING_SAVED
        + " Try again in a moment; if it keeps happening, check the network cable or Wi-Fi, "
        "or ask IT whether the database server is running.",
    ),
    Fault.UNREACHABLE: (
        StoreUnreachable,
        "CareCoord cannot reach its database. "
        + NOTHING_SAVED
        + " Check the network, or ask IT whether the database server is running.",
    ),
    Fault.FILE_UNAVAILABLE: (
        StoreUnreachable,
        "The database file cannot be opened: it may have been moved, or its folder or disk is "
        "read-only or was disconnected. "
        + NOTHING_SAVED
        + " Ask IT to check the file and its folder.",
    ),
    Fault.DISK_FULL: (
        StoreFull,
        "The disk that holds the database is full. "
        + NOTHING_SAVED
        + " Ask IT to free space on it, then try again.",
    ),
    Fault.READ_ONLY: (
        StoreReadOnly,
        "The database can only be read from this computer (the file or the server is set to "
        "read-only). " + NOTHING_SAVED + " Ask IT to give CareCoord write access again.",
    ),
    Fault.BUSY: (
        StoreBusy,
        "The database is busy: another workstation kept it locked for more than "
        f"{SQLITE_BUSY_TIMEOUT_MS // 1000} seconds. " + NOTHING_SAVED + " Try again in a moment.",
    ),
    Fault.CHANGED_MEANWHILE: (
        ChangedMeanwhile,
        "Someone else saved this record at the same moment. "
        + NOTHING_SAVED
        + " Open it again to see their change, then save yours again if it is still needed.",
    ),
    Fault.DUPLICATE: (
        ChangedMeanwhile,
        "Someone else saved the same entry at the same moment, and only one can be kept. "
        + NOTHING_SAVED
        + " Open the record again to see theirs.",
    ),
    Fault.DAMAGED: (
        StoreDamaged,
        "The database is damaged. "
        + NOTHING_SAVED
        + " Close CareCoord and ask IT to restore the last backup.",
    ),
    Fault.DISK_ERROR: (
        StoreFull,
        "The disk that holds the database could not be written (it may be full, removed or "
        "failing). " + NOTHING_SAVED + " Ask IT to check it, then try again.",
    ),
    Fault.REFUSED: (
        StoreRefused,
        "The database refused this change: it no longer fits the stored records (something it "
        "refers to may have been changed meanwhile). "
        + NOTHING_SAVED
        + " Open the record again and check it.",
    ),
}


LOST_WHILE_COMMITTING = (
    "The connection to the database was lost while your change was being saved, so CareCoord "
    "cannot tell whether it was kept. Open the record again to check before saving again."
)
LOST_AFTER_COMMIT = (
    "Your change was saved, but the connection to the database was lost before CareCoord could "
    "show it. Open the record again to see it."
)


def problem_for(fault: Fault) -> StoreProblem:
    kind, words = _WORDS[fault]
    return kind(words)


def translate(exc: BaseException) -> StoreProblem | None:
    """The typed error for a store error (also one already explained by the store on opening);
    None for anything else."""
    if isinstance(exc, StoreProblem):
        return exc
    fault = classify(exc)
    if fault is None and isinstance(exc, DatabaseError) and exc.__cause__ is not None:
        fault = classify(exc.__cause__)
    return None if fault is None else problem_for(fault)


def run(db: Database, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(session, *args, **kwargs)`` in a fresh session; store errors come out typed.

    A lost connection is retried once when ``fn`` had sent no change yet (a read). After a
    change was sent it is not: the server rolled the transaction back, so the user is told that
    nothing was saved; if the connection broke during or after COMMIT, they are told that the
    save may have been (or was) kept, and to look before saving again."""
    sessions: list[Session] = []

    def once() -> T:
        session = db.session()
        sessions.append(session)
        with session:
            return fn(session, *args, **kwargs)

    return _retrying(once, lambda: session_progress(sessions[-1]), fn)


def run_reader(db: Database, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(reader, *args, **kwargs)`` with the store's plain-SQL reader, retried once on a
    lost connection (a reader never writes)."""

    def once() -> T:
        with db.reading() as reader:
            return fn(reader, *args, **kwargs)

    return _retrying(once, lambda: READING, fn)


def _retrying(once: Callable[[], T], progress: Callable[[], str], fn: Callable[..., Any]) -> T:
    for attempt in (1, 2):
        try:
            return once()
        except ServiceError:
            raise
        except Exception as exc:
            problem = translate(exc)
            if problem is None:
                raise
            done = progress()
            log.warning(
                "%s in %s (%s): %s",
                type(problem).__name__,
                getattr(fn, "__qualname__", fn),
                done,
                safe_message(exc.__cause__ if isinstance(exc, DatabaseError) else exc),
            )
            if isinstance(problem, ConnectionLost):
                if done == READING and attempt == 1:
                    continue
                if done == COMMITTING:
                    problem = ConnectionLost(LOST_WHILE_COMMITTING)
                elif done == COMMITTED:
                    problem = ConnectionLost(LOST_AFTER_COMMIT)
            raise problem from exc
    raise AssertionError("unreachable")  # pragma: no cover
