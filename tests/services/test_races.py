"""Two workstations (two processes) doing the same check-then-add for one patient at once.

Each racer acts on patient i at the same moment as the other (tests/services/racer.py); the
store must keep one refill per last fill, one draft per discipline and one open recall.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from carecoord.domain.enums import Discipline
from carecoord.services.users import list_users
from carecoord.store.models_candidacy import EvaluationRow
from carecoord.store.models_refills import RecallAttempt, RecallEntry, RefillVisit
from tests.services.pump_helpers import example2, implanted_patient
from tests.services.refill_helpers import local, programmed

ROOT = Path(__file__).resolve().parents[2]
PATIENTS = 6
SLOT_S = 0.3
TODAY = dt.date.today()


@pytest.fixture(autouse=True)
def utc_clinic(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")


def _patients(db, team) -> list[int]:
    day0 = TODAY - dt.timedelta(days=10)
    ids = []
    with db.session() as s:
        for i in range(PATIENTS):
            patient, _ = implanted_patient(s, team.nurse, mrn=f"RACE-{i}", implant_date=day0)
            programmed(s, team, patient.id, example2(), at=local(day0))
            ids.append(patient.id)
    return ids


def _race(db, action: str, users: tuple[str, str], ids: list[int]) -> list[dict[str, str]]:
    """Start both racers; they begin together a few seconds from now (after their imports)."""
    start = time.time() + 3.0
    env = dict(os.environ, PYTHONPATH=str(ROOT), TZ="UTC")
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.services.racer",
                db.url,
                db.pg_schema or "",
                action,
                user,
                str(start),
                str(SLOT_S),
                *map(str, ids),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for user in users
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def _count(db, query) -> dict[int, int]:
    with db.session() as s:
        return dict(s.execute(query).all())


def test_two_nurses_recording_a_refill_at_once_store_one(db, team):
    """Both forms were opened with no earlier refill; the second save is a worded conflict,
    never a second refill counted from the fill the first one replaced."""
    ids = _patients(db, team)
    first, second = _race(db, "refill", ("nking", "mdoe"), ids)
    per_patient = _count(
        db,
        select(RefillVisit.patient_id, func.count())
        .where(RefillVisit.patient_id.in_(ids))
        .group_by(RefillVisit.patient_id),
    )
    assert per_patient == {pid: 1 for pid in ids}
    for pid in map(str, ids):
        outcomes = sorted([first[pid], second[pid]])
        assert outcomes[1] == "saved", outcomes
        assert outcomes[0].startswith("conflict: ") and "a refill of this patient" in outcomes[0]
        assert "Your changes were not saved" in outcomes[0]


def test_two_physical_therapists_starting_the_evaluation_at_once_make_one_draft(db, team):
    ids = _patients(db, team)
    first, second = _race(db, "draft", ("ppatel", "ppatel"), ids)
    per_patient = _count(
        db,
        select(EvaluationRow.patient_id, func.count())
        .where(EvaluationRow.discipline == Discipline.PHYSICAL_THERAPIST.value)
        .group_by(EvaluationRow.patient_id),
    )
    assert per_patient == {pid: 1 for pid in ids}
    for pid in map(str, ids):
        outcomes = sorted([first[pid], second[pid]])
        assert outcomes[1] == "saved", outcomes
        assert outcomes[0].startswith("refused: This patient already has a physical therapy")


def test_two_recall_calls_at_once_share_one_open_recall(db, team):
    """Both calls are kept, on the one recall the first of them opened."""
    ids = _patients(db, team)
    first, second = _race(db, "recall", ("nking", "swu"), ids)
    assert all(first[pid] == second[pid] == "saved" for pid in map(str, ids)), (first, second)
    open_recalls = _count(
        db,
        select(RecallEntry.patient_id, func.count())
        .where(RecallEntry.status == "open")
        .group_by(RecallEntry.patient_id),
    )
    assert open_recalls == {pid: 1 for pid in ids}
    attempts = _count(
        db,
        select(RecallEntry.patient_id, func.count(RecallAttempt.id))
        .join(RecallAttempt, RecallAttempt.recall_id == RecallEntry.id)
        .group_by(RecallEntry.patient_id),
    )
    assert attempts == {pid: 2 for pid in ids}


def test_two_administrators_adding_one_username_at_once_add_one(db, team):
    """The loser is told the username is taken, in words without the password's hash."""
    names = list(range(1, PATIENTS + 1))
    first, second = _race(db, "user", ("admin", "admin"), names)
    with db.session() as s:
        stored = [u.username for u in list_users(s)]
    for n in map(str, names):
        assert stored.count(f"race{n}") == 1
        outcomes = sorted([first[n], second[n]])
        assert outcomes[1] == "saved", outcomes
        assert outcomes[0].startswith("refused: The username “race") and "taken" in outcomes[0]
        assert "argon2" not in outcomes[0] and "INSERT" not in outcomes[0]
