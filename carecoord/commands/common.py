"""What every sub-command shares: opening the store, printing errors in words, acting users."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path

from carecoord.services import users
from carecoord.services.context import Actor
from carecoord.services.errors import ServiceError
from carecoord.store.database import (
    Database,
    DatabaseError,
    describe_url,
    resolve_database_url,
)

Handler = Callable[[argparse.Namespace], int]


class CommandError(Exception):
    """A refusal printed as one line on standard error, exit code 1."""


def open_database(args: argparse.Namespace, *, upgrade: bool = True) -> Database:
    db = Database(resolve_database_url(getattr(args, "database_url", None)))
    if upgrade:
        db.ensure_ready()
    return db


def open_for_reading(args: argparse.Namespace) -> Database:
    """Open the clinic's database for a command that reports on it (``due``, ``calendar``,
    ``report refill-list``): refused, naming the database, when there is nothing to report on.
    A missing file is never created, an empty one is not given a schema, and a database
    without patients is not reported as "nothing due", since that usually means the wrong
    database (a misspelled path or ``--database-url``)."""
    url = resolve_database_url(getattr(args, "database_url", None))
    where = describe_url(url)
    hint = "Check --database-url (or CARECOORD_DATABASE_URL): nothing was read."
    path = _sqlite_file_of(url)  # looked at before anything opens (and creates) it
    if path is not None:
        if path == ":memory:":
            raise CommandError(f"{where} is an in-memory database with no records. {hint}")
        file = Path(path).expanduser()
        if not file.exists():
            raise CommandError(f"There is no CareCoord database at {where}. {hint}")
        if file.is_dir():
            raise CommandError(f"{where} is a folder, not a database file. {hint}")
        if file.stat().st_size == 0:
            raise CommandError(f"{where} is an empty file, not a CareCoord database. {hint}")
    db = Database(url)
    try:
        state = db.check_schema()
        if state.is_empty:
            raise CommandError(f"{where} has no CareCoord records (no tables). {hint}")
        db.ensure_ready()
        from sqlalchemy import func, select

        from carecoord.store.models import Patient

        with db.session() as session:
            patients = session.scalar(select(func.count()).select_from(Patient)) or 0
        if not patients:
            raise CommandError(f"{where} has no patients, so it has nothing to report. {hint}")
    except BaseException:
        db.dispose()
        raise
    return db


def _sqlite_file_of(url: str) -> str | None:
    """The file a SQLite URL names (None for another store)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    return parsed.database or ":memory:"


def read_password(prompt: str, *, from_stdin: bool = False, env: str = "CARECOORD_PASSWORD") -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    if os.environ.get(env):
        return os.environ[env]
    if not sys.stdin.isatty():
        raise CommandError(
            f"No terminal to ask for the password: use --password-stdin or set {env}."
        )
    return getpass.getpass(prompt)


def sign_in_as(db: Database, username: str, password: str) -> Actor:
    with db.session() as session:
        return users.sign_in(session, username, password)


def run_handler(handler: Handler, args: argparse.Namespace) -> int:
    """Every failure a user can cause becomes one readable line, never a traceback; a store
    error is worded by the services' boundary (no SQL, no stored value)."""
    from carecoord.services import boundary

    try:
        return handler(args)
    except (DatabaseError, ServiceError, CommandError) as exc:
        print(f"carecoord: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:  # domain ValidationFailed and other refusals of input
        print(f"carecoord: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("carecoord: interrupted; nothing more was changed.", file=sys.stderr)
        return 130
    except Exception as exc:
        problem = boundary.translate(exc)
        if problem is None:
            raise
        print(f"carecoord: {problem}", file=sys.stderr)
        return 1
