"""`carecoord restore FILE`: a backup goes back only after its integrity and audit chain are
checked; the database it replaces is kept aside."""

from __future__ import annotations

from sqlalchemy import text

from carecoord.cli import main
from carecoord.services import patients
from carecoord.store.database import Database
from tests.conftest import make_team, tampering
from tests.services.test_patients import sample


def _clinic(tmp_path, password_hash):
    db = Database(f"sqlite:///{tmp_path / 'clinic.db'}")
    db.upgrade()
    team = make_team(db, password_hash)
    with db.session() as s:
        patients.create_patient(s, team.nurse, sample("R-1"))
    backup = db.backup_sqlite("manual")
    with db.session() as s:
        patients.create_patient(s, team.nurse, sample("R-2"))
    return db, backup


def _count(db) -> int:
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM patients")).scalar_one()


def test_restore_checks_then_replaces_and_keeps_the_current_file(tmp_path, password_hash, capsys):
    db, backup = _clinic(tmp_path, password_hash)
    assert main(["--database-url", db.url, "restore", str(backup)]) == 0
    out = capsys.readouterr().out
    assert "audit trail intact" in out and "kept as" in out
    assert _count(db) == 1
    kept = list(tmp_path.glob("clinic.backup-*-before-restore-*.db"))
    assert len(kept) == 1 and _count(Database(f"sqlite:///{kept[0]}")) == 2
    assert main(["--database-url", db.url, "audit", "verify"]) == 0


def test_a_tampered_backup_is_refused_and_nothing_changes(tmp_path, password_hash, capsys):
    db, backup = _clinic(tmp_path, password_hash)
    with tampering(Database(f"sqlite:///{backup}")) as conn:
        conn.execute(text("UPDATE audit_events SET summary = 'x' WHERE seq = 1"))
    assert main(["--database-url", db.url, "restore", str(backup)]) == 1
    err = capsys.readouterr().err
    assert "audit trail is broken at event 1" in err and "Nothing was replaced" in err
    assert _count(db) == 2
    assert not list(tmp_path.glob("*before-restore*"))


def test_a_file_that_is_not_a_database_is_refused(tmp_path, password_hash, capsys):
    db, _backup = _clinic(tmp_path, password_hash)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database" * 100)
    assert main(["--database-url", db.url, "restore", str(junk)]) == 1
    assert "is not a CareCoord backup" in capsys.readouterr().err
    assert _count(db) == 2
