"""`carecoord restore FILE`: put a SQLite backup back in place, only if it can be trusted.

Before anything is replaced the backup is copied aside, checked page by page (SQLite's
integrity check), brought to this version's schema, and its audit chain verified (against the
checkpoint beside it, if there is one). Only then is the current database kept aside as a
backup of its own and the backup's content copied into it; an audit event in the restored
database says what happened.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import getpass
import sqlite3
from pathlib import Path

from carecoord.commands.common import CommandError, open_database
from carecoord.domain.audit import Checkpoint, CheckpointUnreadable, parse_checkpoint
from carecoord.services import audit
from carecoord.services.context import SYSTEM
from carecoord.store.database import Database, DatabaseError, checkpoint_path
from carecoord.store.files import create_private


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    rs = sub.add_parser(
        "restore",
        parents=[common],
        help="replace the SQLite database with a backup, after checking the backup",
        description=(
            "Checks the backup (SQLite integrity, schema, audit chain, and the checkpoint "
            "beside it if any) before anything is replaced; then keeps the current database "
            "aside as a backup of its own and restores. Close CareCoord on this computer first."
        ),
    )
    rs.add_argument("file", type=Path, metavar="FILE", help="the backup file")
    rs.add_argument(
        "--checkpoint",
        type=Path,
        metavar="FILE",
        help="an audit checkpoint the backup must agree with (default: FILE.checkpoint if present)",
    )
    rs.set_defaults(handler=_restore)


def _stamp() -> str:
    return dt.datetime.now().strftime("%Y%m%d-%H%M%S")


def _copy(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite file, opened read-only (the backup is never changed)."""
    create_private(target)
    try:
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        try:
            dest = sqlite3.connect(target)
            try:
                src.backup(dest)
            finally:
                dest.close()
        finally:
            src.close()
    except sqlite3.DatabaseError as exc:
        raise CommandError(
            f"{source} is not a CareCoord backup: it is not a database file ({exc})."
        ) from exc


def _integrity(path: Path) -> str | None:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        conn.close()
    found = [str(r[0]) for r in rows]
    return None if found == ["ok"] else "; ".join(found[:3])


def _checkpoint(args: argparse.Namespace) -> Checkpoint | None:
    path = args.checkpoint or checkpoint_path(args.file)
    if args.checkpoint is None and not path.exists():
        return None
    try:
        return parse_checkpoint(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"Cannot read the checkpoint {path}: {exc}.") from exc
    except CheckpointUnreadable as exc:
        raise CommandError(f"The checkpoint {path} cannot be used: {exc}.") from exc


def _check_backup(
    candidate: Path, checkpoint: Checkpoint | None, shown: Path
) -> audit.VerifyResult:
    problem = _integrity(candidate)
    if problem is not None:
        raise CommandError(f"The backup {shown} is damaged ({problem}). Nothing was replaced.")
    db = Database(f"sqlite:///{candidate}")
    try:
        try:
            state = db.check_schema()
        except DatabaseError as exc:
            raise CommandError(
                f"The backup {shown} cannot be used: {exc} Nothing was replaced."
            ) from exc
        if state.is_empty:
            raise CommandError(f"The backup {shown} is an empty database. Nothing was replaced.")
        if not state.up_to_date:
            db.upgrade()
        with db.session() as session:
            result = audit.verify(session, checkpoint)
    finally:
        db.dispose()
    if not result.ok:
        assert result.broken is not None
        more = f" (and {len(result.breaks) - 1} more problems)" if len(result.breaks) > 1 else ""
        raise CommandError(
            f"The backup's audit trail is broken at event {result.broken.seq}: "
            f"{result.broken.reason}{more}. Nothing was replaced; "
            f"`carecoord --database-url sqlite:///{shown} audit verify` names every problem."
        )
    return result


def _restore(args: argparse.Namespace) -> int:
    db = open_database(args, upgrade=False)
    target = db.sqlite_path
    if target is None:
        raise CommandError(
            "Restore a PostgreSQL database with the server's tools (pg_restore); this command "
            "restores the SQLite file of one workstation."
        )
    source: Path = args.file
    if not source.is_file():
        raise CommandError(f"There is no backup file {source}.")
    if target.exists() and source.resolve() == target.resolve():
        raise CommandError(f"{source} is the database in use, not a backup of it.")
    checkpoint = _checkpoint(args)
    candidate = target.with_name(f"{target.stem}.restoring-{_stamp()}{target.suffix}")
    try:
        _copy(source, candidate)
        result = _check_backup(candidate, checkpoint, source)
        kept = _keep_current(db, target)
        _put_in_place(candidate, target)
    finally:
        db.dispose()
        for leftover in candidate.parent.glob(f"{candidate.stem}*"):
            with contextlib.suppress(OSError):
                leftover.unlink()
    restored = Database(f"sqlite:///{target}")
    try:
        with restored.session() as session:
            kept_words = f"; the database it replaced was kept as {kept.name}" if kept else ""
            audit.record(
                session,
                SYSTEM,
                action="restore",
                entity="database",
                entity_id="sqlite",
                summary=(
                    f"Database restored from the backup {source.name} (audit trail to event "
                    f"{result.head.seq if result.head else 0}) by the computer account "
                    f"{getpass.getuser()}{kept_words}"
                ),
                after={"backup": source.name, "kept": kept.name if kept else ""},
            )
            session.commit()
    finally:
        restored.dispose()
    head = result.head
    print(
        f"Restored {source} into {target}: audit trail intact, {result.events} events"
        + (f", up to {head.short}" if head else "")
        + "."
    )
    if checkpoint is not None:
        print(f"It agrees with the checkpoint of {checkpoint.at} ({checkpoint.short}).")
    if kept:
        print(f"The database it replaced was kept as {kept}")
    return 0


def _keep_current(db: Database, target: Path) -> Path | None:
    """The current file, copied aside before it is replaced (even if it is damaged)."""
    if not target.exists():
        return None
    try:
        return db.backup_sqlite("before-restore")
    except sqlite3.DatabaseError:
        import shutil

        aside = target.with_name(f"{target.stem}.before-restore-{_stamp()}-damaged{target.suffix}")
        create_private(aside)
        shutil.copyfile(target, aside)
        return aside


def _put_in_place(candidate: Path, target: Path) -> None:
    """Copy the checked backup into the database file (through SQLite, so the WAL and other
    open connections stay consistent); a damaged file is replaced whole instead."""
    try:
        src = sqlite3.connect(candidate)
        try:
            dest = sqlite3.connect(target, timeout=15)
            try:
                src.backup(dest)
            finally:
                dest.close()
        finally:
            src.close()
    except sqlite3.DatabaseError:
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        candidate.replace(target)
