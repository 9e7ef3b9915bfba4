"""`carecoord audit checkpoint` and `audit verify --checkpoint`, as an administrator uses them
on a copy of the clinic's database that someone edited by hand (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import stat
from urllib.parse import quote

import pytest
from sqlalchemy import text

from carecoord.cli import main
from carecoord.services import patients
from tests.conftest import tampering
from tests.services.test_patients import sample


def _url(db) -> str:
    if db.is_sqlite:
        return db.url
    return f"{db.url}?options={quote(f'-csearch_path={db.pg_schema}')}"


@pytest.fixture
def clinic(db, team):
    with db.session() as s:
        for i in range(6):
            patients.create_patient(s, team.nurse, sample(f"C-{i}"))
    return db


def _checkpoint(clinic, tmp_path, capsys):
    path = tmp_path / "head.checkpoint"
    assert main(["--database-url", _url(clinic), "audit", "checkpoint", "--out", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Checkpoint written" in out and "event 6" in out
    assert json.loads(path.read_text())["seq"] == 6
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    return path


def _verify(clinic, path, capsys) -> tuple[int, str]:
    code = main(["--database-url", _url(clinic), "audit", "verify", "--checkpoint", str(path)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out + captured.err


def test_verify_against_a_fresh_checkpoint_is_intact(clinic, tmp_path, capsys):
    path = _checkpoint(clinic, tmp_path, capsys)
    code, out = _verify(clinic, path, capsys)
    assert code == 0 and "intact: 6 events" in out and "Consistent with the checkpoint" in out


def test_newest_events_deleted_and_head_rewritten(clinic, tmp_path, capsys):
    path = _checkpoint(clinic, tmp_path, capsys)
    with tampering(clinic) as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq > 4"))
        digest = conn.execute(text("SELECT hash FROM audit_events WHERE seq = 4")).scalar_one()
        conn.execute(text("UPDATE audit_head SET seq = 4, hash = :h"), {"h": digest})
    assert main(["--database-url", _url(clinic), "audit", "verify"]) == 0  # alone, it can't see
    capsys.readouterr()
    code, out = _verify(clinic, path, capsys)
    assert code == 1
    assert "BROKEN at event 6: events 5 to 6 were removed" in out


def test_changed_id_actor_and_time_are_named(clinic, tmp_path, capsys, team):
    """Each hand edit is named with its event, one line each; a broken time is quoted."""
    path = _checkpoint(clinic, tmp_path, capsys)
    with tampering(clinic) as conn:
        conn.execute(text("UPDATE audit_events SET id = id + 100 WHERE seq = 2"))
        conn.execute(text(f"UPDATE audit_events SET actor_id = {team.admin.user_id} WHERE seq = 3"))
        conn.execute(text("UPDATE audit_events SET at = '2026-13-45 25:61' WHERE seq = 4"))
    code, out = _verify(clinic, path, capsys)
    assert code == 1 and "3 problems found" in out
    for seq in (2, 3, 4):
        assert f"BROKEN at event {seq}: its content was changed" in out
    assert "“2026-13-45 25:61”, which is not a time" in out
    assert "recorded at “2026-13-45 25:61” by Nia King (Nurse)" in out
    assert "isoformat" not in out


def test_an_unreadable_checkpoint_is_refused_in_words(clinic, tmp_path, capsys):
    junk = tmp_path / "junk.checkpoint"
    junk.write_text("not json at all")
    code, out = _verify(clinic, junk, capsys)
    assert code == 1 and "is not a CareCoord audit checkpoint" in out
    code, out = _verify(clinic, tmp_path / "missing.checkpoint", capsys)
    assert code == 1 and "Cannot read the checkpoint" in out
