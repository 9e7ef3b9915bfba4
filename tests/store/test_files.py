"""Files holding patient information are readable by their owner only: the SQLite database and
the files SQLite makes beside it, backups (which name the audit head they contain), the log."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from carecoord.domain.audit import parse_checkpoint
from carecoord.services import patients
from carecoord.store.database import Database, checkpoint_path
from tests.conftest import make_team
from tests.services.test_patients import sample

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)  # the usual default: files readable by everybody
    yield
    os.umask(old)


def test_a_new_database_and_its_wal_files_are_owner_only(tmp_path, loose_umask, password_hash):
    path = tmp_path / "data" / "clinic.db"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    team = make_team(db, password_hash)
    with db.session() as s:
        patients.create_patient(s, team.nurse, sample("F-1"))
        with db.reading() as reader:
            reader.rows("SELECT count(*) FROM patients")
        found = [p for p in tmp_path.joinpath("data").iterdir()]
        assert {p.name for p in found} >= {"clinic.db", "clinic.db-wal", "clinic.db-shm"}
        for p in found:
            assert _mode(p) == 0o600, p.name
    assert _mode(path.parent) == 0o700
    db.dispose()


def test_an_existing_readable_database_is_tightened_on_open(tmp_path, loose_umask):
    path = tmp_path / "old.db"
    Database(f"sqlite:///{path}").upgrade()
    for p in tmp_path.iterdir():
        p.chmod(0o644)
    db = Database(f"sqlite:///{path}")
    db.check_schema()
    assert _mode(path) == 0o600
    db.dispose()


def test_a_backup_is_owner_only_and_names_its_audit_head(tmp_path, loose_umask, password_hash):
    path = tmp_path / "clinic.db"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    team = make_team(db, password_hash)
    with db.session() as s:
        for i in range(3):
            patients.create_patient(s, team.nurse, sample(f"B-{i}"))
    backup = db.backup_sqlite("manual")
    assert backup is not None and backup.name.endswith("-manual-audit3.db")
    assert _mode(backup) == 0o600
    side = checkpoint_path(backup)
    assert _mode(side) == 0o600 and parse_checkpoint(side.read_text()).seq == 3
    assert not list(tmp_path.glob("*.partial"))
    db.dispose()


def test_the_log_is_owner_only(tmp_path, loose_umask, monkeypatch):
    from carecoord.gui import app

    target = tmp_path / "logs" / "carecoord.log"
    monkeypatch.setattr(app, "log_file", lambda: target)
    logger = logging.getLogger("carecoord")
    saved = list(logger.handlers)
    for handler in saved:
        logger.removeHandler(handler)
    try:
        assert app._setup_logging() == target
        logger.info("a line")
        assert _mode(target) == 0o600 and _mode(target.parent) == 0o700
    finally:
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
            handler.close()
        for handler in saved:
            logger.addHandler(handler)
