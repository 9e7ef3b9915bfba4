"""What every sub-command shares: opening the store, printing errors in words, acting users."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable

from carecoord.services import users
from carecoord.services.context import Actor
from carecoord.services.errors import ServiceError
from carecoord.store.database import Database, DatabaseError, resolve_database_url

Handler = Callable[[argparse.Namespace], int]


class CommandError(Exception):
    """A refusal printed as one line on standard error, exit code 1."""


def open_database(args: argparse.Namespace, *, upgrade: bool = True) -> Database:
    db = Database(resolve_database_url(getattr(args, "database_url", None)))
    if upgrade:
        db.ensure_ready()
    return db


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
