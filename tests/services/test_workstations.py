"""Two workstations (two processes) on one SQLite file or one PostgreSQL database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from carecoord.services import audit, patients
from tests.services.test_patients import sample

ROOT = Path(__file__).resolve().parents[2]


def _start(db, *args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-m", "tests.services.workstation", db.url, db.pg_schema or "", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _result(proc: subprocess.Popen[str]) -> dict:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def test_second_workstation_save_is_refused_and_nothing_is_lost(db, team):
    """Both opened version 1; the one saving second gets an understandable conflict."""
    with db.session() as s:
        p = patients.create_patient(s, team.nurse, sample())
    first = _result(_start(db, "edit", str(p.id), "1", "ppatel", "+1 555 1111"))
    second = _result(_start(db, "edit", str(p.id), "1", "nking", "+1 555 2222"))
    assert first == {"ok": True, "version": 2}
    assert second["ok"] is False and "Priya Patel" in second["conflict"]
    with db.session() as s:
        assert patients.get_patient(s, team.nurse, p.id).phone == "+1 555 1111"


def test_simultaneous_saves_one_wins_one_conflicts(db, team):
    """Started at the same moment: exactly one save lands, the other is refused."""
    with db.session() as s:
        p = patients.create_patient(s, team.nurse, sample())
    procs = [
        _start(db, "edit", str(p.id), "1", "ppatel", "+1 555 1111"),
        _start(db, "edit", str(p.id), "1", "nking", "+1 555 2222"),
    ]
    results = [_result(proc) for proc in procs]
    assert sorted(r["ok"] for r in results) == [False, True]
    with db.session() as s:
        stored = patients.get_patient(s, team.nurse, p.id)
    winner = next(i for i, r in enumerate(results) if r["ok"])
    assert stored.phone == ["+1 555 1111", "+1 555 2222"][winner] and stored.version == 2


def test_concurrent_writers_keep_one_unbroken_audit_chain(db, team):
    """Two processes appending at once never fork the hash chain."""
    procs = [_start(db, "create", "A", "15", "nking"), _start(db, "create", "B", "15", "ppatel")]
    for proc in procs:
        assert _result(proc)["ok"]
    with db.session() as s:
        result = audit.verify(s)
        assert patients.search_patients(s, team.nurse, "parallel").total == 30
    assert result.ok and result.events == 30
