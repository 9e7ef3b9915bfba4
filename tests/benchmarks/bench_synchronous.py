"""What `PRAGMA synchronous = FULL` costs per save on this disk, against NORMAL.

With WAL, NORMAL never corrupts the file but a power cut can lose the last commits that were
already acknowledged to the user; FULL syncs the log on every commit. This script times the same
real save (a patient record created through the service, with its audit event) under both.

    .venv/bin/python tests/benchmarks/bench_synchronous.py [saves]
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

from carecoord.domain.enums import Sex
from carecoord.domain.patients import PatientInput
from carecoord.services import patients
from carecoord.services.context import SYSTEM
from carecoord.store import database


def run(mode: str, folder: Path, saves: int) -> list[float]:
    database.SQLITE_SYNCHRONOUS = mode
    path = folder / f"{mode}.db"
    path.unlink(missing_ok=True)
    db = database.Database(f"sqlite:///{path}")
    db.ensure_ready()
    timings = []
    for i in range(saves):
        data = PatientInput(
            mrn=f"B-{i}",
            family_name="Bench",
            given_names=f"Mark {i}",
            date_of_birth=dt.date(1980, 1, 1),
            sex=Sex.UNKNOWN,
        )
        started = time.perf_counter()
        with db.session() as session:
            patients.create_patient(session, SYSTEM, data)
        timings.append((time.perf_counter() - started) * 1000)
    with db.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == {"NORMAL": 1, "FULL": 2}[mode]
    db.dispose()
    return timings


def raw_commits(mode: str, folder: Path, commits: int) -> list[float]:
    """The commit alone: one small row per transaction, WAL as the app opens it."""
    import sqlite3

    path = folder / f"raw-{mode}.db"
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {mode}")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    timings = []
    for i in range(commits):
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (v) VALUES (?)", (f"row {i}",))
        conn.execute("COMMIT")
        timings.append((time.perf_counter() - started) * 1000)
    conn.close()
    return timings


def main() -> None:
    saves = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory(dir=Path.home()) as tmp:
        folder = Path(tmp)
        run("NORMAL", folder, 10)  # warm up imports and the disk
        results = [(mode, run(mode, folder, saves)) for mode in ("NORMAL", "FULL", "NORMAL")]
        results += [
            (f"raw commit {mode}", raw_commits(mode, folder, saves * 5))
            for mode in ("NORMAL", "FULL")
        ]
    for mode, timings in results:
        print(
            f"{mode:17}: median {statistics.median(timings):.2f} ms per save, "
            f"p95 {sorted(timings)[int(len(timings) * 0.95)]:.2f} ms ({len(timings)} saves)"
        )


if __name__ == "__main__":
    main()
