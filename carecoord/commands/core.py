"""Foundation commands: db upgrade/status, demo, user add, audit verify, backup."""

from __future__ import annotations

import argparse
from pathlib import Path

from sqlalchemy import select

from carecoord.commands.common import CommandError, open_database, read_password, sign_in_as
from carecoord.domain.audit import Checkpoint, CheckpointUnreadable, parse_checkpoint, parse_time
from carecoord.domain.enums import Discipline
from carecoord.domain.units import format_datetime
from carecoord.domain.users import UserInput
from carecoord.services import audit, demo, users
from carecoord.store.database import (
    Database,
    checkpoint_path,
    default_data_dir,
    describe_url,
    resolve_database_url,
)
from carecoord.store.files import write_private
from carecoord.store.models import AuditEvent


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    db = sub.add_parser("db", parents=[common], help="database schema: upgrade or status")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    up = db_sub.add_parser(
        "upgrade",
        parents=[common],
        help="bring the database schema up to this version (SQLite is backed up first)",
    )
    up.set_defaults(handler=_db_upgrade)
    st = db_sub.add_parser(
        "status", parents=[common], help="show where the data is and its schema version"
    )
    st.set_defaults(handler=_db_status)

    dm = sub.add_parser(
        "demo",
        parents=[common],
        help="create the demo clinic (a team of five and realistic patients) and optionally open it",
        description=(
            "Creates a demo clinic. Without --database-url it (re)creates demo.db in the user's "
            "data folder, so real data is never touched; with --database-url the target must be empty."
        ),
    )
    dm.add_argument(
        "--patients", type=int, default=40, metavar="N", help="number of patients (default 40)"
    )
    dm.add_argument("--seed", type=int, default=2026, help="random seed for reproducible data")
    dm.add_argument(
        "--open", action="store_true", help="open the app on the demo clinic afterwards"
    )
    dm.set_defaults(handler=_demo)

    us = sub.add_parser("user", parents=[common], help="manage user accounts")
    us_sub = us.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = us_sub.add_parser(
        "add",
        parents=[common],
        help="add a user (the first one becomes the administrator)",
        description=(
            "Adds a user. On an empty database the first user is the administrator. Otherwise an "
            "administrator signs the change with --as and their password (asked, or "
            "CARECOORD_ADMIN_PASSWORD). The new user's password is asked, read with "
            "--password-stdin, or taken from CARECOORD_NEW_PASSWORD."
        ),
    )
    add.add_argument("--username", required=True)
    add.add_argument("--name", required=True, help="full name as shown to the team")
    add.add_argument("--discipline", choices=[d.value for d in Discipline], help="clinical role")
    add.add_argument("--admin", action="store_true", help="administrator capability")
    add.add_argument("--phone", default="")
    add.add_argument(
        "--as", dest="as_user", metavar="ADMIN", help="administrator making the change"
    )
    add.add_argument(
        "--password-stdin", action="store_true", help="read the new password from standard input"
    )
    add.set_defaults(handler=_user_add)
    ls = us_sub.add_parser("list", parents=[common], help="list user accounts")
    ls.set_defaults(handler=_user_list)

    au = sub.add_parser("audit", parents=[common], help="audit trail")
    au_sub = au.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    ver = au_sub.add_parser(
        "verify",
        parents=[common],
        help="check the hash chain; name the first broken event",
        description=(
            "Recomputes every event's hash and link. With --checkpoint, also checks that the "
            "history the checkpoint saw is still there unchanged (a chain rewritten or cut "
            "short as a whole is found only this way)."
        ),
    )
    ver.add_argument(
        "--checkpoint",
        type=Path,
        metavar="FILE",
        help="a file written earlier by `carecoord audit checkpoint`",
    )
    ver.set_defaults(handler=_audit_verify)
    cp = au_sub.add_parser(
        "checkpoint",
        parents=[common],
        help="write the chain head (event number, hash, time) to a file kept elsewhere",
        description=(
            "Writes the newest event's number and hash, and the time, to FILE. Keep it outside "
            "the database (another computer, a printout): `audit verify --checkpoint FILE` later "
            "shows whether any history up to that point was rewritten or removed."
        ),
    )
    cp.add_argument("--out", type=Path, required=True, metavar="FILE", help="checkpoint file")
    cp.set_defaults(handler=_audit_checkpoint)

    bk = sub.add_parser("backup", parents=[common], help="copy a SQLite database to a backup file")
    bk.add_argument("--out", type=Path, help="backup file (default: beside the database)")
    bk.set_defaults(handler=_backup)


def _db_upgrade(args: argparse.Namespace) -> int:
    db = open_database(args, upgrade=False)
    before = db.check_schema()
    backup = db.upgrade()
    after = db.schema_state()
    where = describe_url(db.url)
    if before.up_to_date:
        print(f"{where}: schema already up to date ({after.current}).")
    else:
        print(f"{where}: schema upgraded from {before.current or 'empty'} to {after.current}.")
    if backup:
        print(f"Backup of the previous file: {backup}")
    return 0


def _db_status(args: argparse.Namespace) -> int:
    db = open_database(args, upgrade=False)
    state = db.check_schema()
    db.check_file(full=True)  # every page and index; a damaged file raises with what to do
    print(f"Database: {describe_url(db.url)}")
    if db.is_sqlite:
        print("File: intact (SQLite integrity check passed).")
    print(f"Schema: {state.current or 'empty'} (this app: {state.head})")
    print(
        "Up to date."
        if state.up_to_date
        else "Needs `carecoord db upgrade` (done automatically at start)."
    )
    return 0


def _demo(args: argparse.Namespace) -> int:
    if args.patients < 0 or args.patients > 200_000:
        raise CommandError("--patients must be between 0 and 200000.")
    explicit = getattr(args, "database_url", None)
    import os

    if explicit or os.environ.get("CARECOORD_DATABASE_URL"):
        url = resolve_database_url(explicit)
    else:
        path = default_data_dir() / "demo.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    db = Database(url)
    db.ensure_ready()
    with db.session() as session:
        if not users.needs_first_admin(session):
            raise CommandError(
                f"{describe_url(url)} already has users; the demo goes only into an empty database."
            )
        clinic = demo.build_demo(session, patient_count=args.patients, seed=args.seed)
    total = len(clinic.patients) + clinic.bulk_patients
    print(f"Demo clinic created in {describe_url(url)}: {total} patients.")
    print(f"Sign in with any of these usernames and the password “{demo.DEMO_PASSWORD}”:")
    for username, actor in clinic.staff.items():
        print(f"  {username:<14} {actor.display}")
    for note in clinic.notes:
        print(note)
    print(f"Open it again later with: carecoord --database-url {url}")
    if args.open:
        from carecoord.gui.app import run

        return run(url)
    return 0


def _user_add(args: argparse.Namespace) -> int:
    db = open_database(args)
    discipline = Discipline(args.discipline) if args.discipline else None
    with db.session() as session:
        first = users.needs_first_admin(session)
    actor = None
    if not first:
        if not args.as_user:
            raise CommandError(
                "Users exist already: name the administrator making the change with --as."
            )
        admin_password = read_password(
            f"Password of {args.as_user}: ", env="CARECOORD_ADMIN_PASSWORD"
        )
        actor = sign_in_as(db, args.as_user, admin_password)
    password = read_password(
        f"Password for the new user {args.username}: ",
        from_stdin=args.password_stdin,
        env="CARECOORD_NEW_PASSWORD",
    )
    data = UserInput(
        args.username, args.name, discipline, args.admin or first, args.phone, password
    )
    with db.session() as session:
        view = (
            users.create_first_admin(session, data)
            if first
            else users.add_user(session, actor, data)
        )
    extra = " (the first administrator)" if first else ""
    print(f"Added {view.full_name} ({view.username}), {view.role_label}{extra}.")
    return 0


def _user_list(args: argparse.Namespace) -> int:
    db = open_database(args)
    with db.session() as session:
        rows = users.list_users(session)
    for u in rows:
        state = "" if u.active else "  [deactivated]"
        print(f"{u.username:<16} {u.full_name:<28} {u.role_label}{state}")
    if not rows:
        print("No users yet: `carecoord user add` creates the first administrator.")
    return 0


MAX_BREAKS_SHOWN = 20


def read_checkpoint(path: Path) -> Checkpoint:
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"Cannot read the checkpoint {path}: {exc.strerror or exc}.") from exc
    try:
        return parse_checkpoint(content)
    except CheckpointUnreadable as exc:
        raise CommandError(f"The file {path} cannot be used: {exc}.") from exc


def _audit_verify(args: argparse.Namespace) -> int:
    checkpoint = read_checkpoint(args.checkpoint) if args.checkpoint else None
    db = open_database(args)
    with db.session() as session:
        result = audit.verify(session, checkpoint)
        if result.ok:
            print(f"Audit trail intact: {result.events} events verified.")
            if checkpoint is not None:
                print(
                    f"Consistent with the checkpoint of {checkpoint.at} ({checkpoint.short}): "
                    "nothing before it was changed or removed."
                )
            return 0
        shown = result.breaks[:MAX_BREAKS_SHOWN]
        found = {
            e.seq: e
            for e in session.scalars(
                select(AuditEvent).where(AuditEvent.seq.in_([b.seq for b in shown]))
            )
        }
    count = len(result.breaks)
    print(f"Audit trail BROKEN: {count} problem{'s' if count != 1 else ''} found.")
    for broken in shown:
        event = found.get(broken.seq)
        detail = ""
        if event is not None:
            when = parse_time(event.at)
            at = format_datetime(when) if when is not None else f"at “{event.at}”"
            detail = f" (recorded {at} by {event.actor}: “{event.summary}”)"
        print(f"BROKEN at event {broken.seq}: {broken.reason}{detail}.")
    if count > len(shown):
        print(f"... and {count - len(shown)} more.")
    return 1


def _audit_checkpoint(args: argparse.Namespace) -> int:
    db = open_database(args)
    with db.session() as session:
        result = audit.verify(session)
    if not result.ok or result.head is None:
        assert result.broken is not None
        raise CommandError(
            f"The audit trail is broken at event {result.broken.seq} "
            f"({result.broken.reason}); no checkpoint was written. Run `carecoord audit verify`."
        )
    try:
        write_private(args.out, result.head.to_text())
    except OSError as exc:
        raise CommandError(f"Cannot write {args.out}: {exc.strerror or exc}.") from exc
    print(f"Checkpoint written to {args.out}: {result.head.short}, taken {result.head.at}.")
    print("Keep it outside the database; `carecoord audit verify --checkpoint` uses it.")
    return 0


def _backup(args: argparse.Namespace) -> int:
    db: Database = open_database(args, upgrade=False)
    if not db.is_sqlite:
        raise CommandError("Back up a PostgreSQL database with the server's tools (pg_dump).")
    path = db.backup_sqlite("manual")
    if path is None:
        raise CommandError("There is no database file to back up yet.")
    side = checkpoint_path(path)
    if args.out:
        path.replace(args.out)
        if side.exists():
            side.replace(checkpoint_path(args.out))
        path, side = args.out, checkpoint_path(args.out)
    print(f"Backup written: {path}")
    if side.exists():
        head = parse_checkpoint(side.read_text(encoding="utf-8"))
        print(f"It contains the audit trail up to {head.short}; checkpoint beside it: {side}")
    return 0
