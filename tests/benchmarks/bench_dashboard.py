"""Benchmark (not a test): the refill dashboard's data with a large clinic.

    python tests/benchmarks/bench_dashboard.py [--patients 50000] [--visits-per-pump 15]
                                               [--database-url URL] [--runs 25]

Builds a clinic by bulk insert (SQLite file in a temporary folder, or a fresh schema on the
PostgreSQL server given by --database-url): N patients, four in five with a pump and a program,
each pump with a refill history (50,000 patients x 0.8 x 15 = 600,000 refill visits), and each
patient's forecast row computed by the same domain rules the app uses. Then times, in the same
run and alternating:
  1. the service ``refills.dashboard_data`` (session, stale check, settings, every section's
     rows and counts, result objects), and
  2. hand-written SQL returning the same rows and counts through the raw driver connection.
Prints medians and the ratio; never fails on timing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TZ", "UTC")

from sqlalchemy import create_engine, insert, text  # noqa: E402

from carecoord.domain.devices import battery_replacement_window, find_device  # noqa: E402
from carecoord.domain.program import (  # noqa: E402
    Program,
    PumpMode,
    RateUnit,
    Step,
    continuous_program,
    program_to_dict,
)
from carecoord.domain.refills import alarm_volume_for, forecast_refill  # noqa: E402
from carecoord.domain.settings import ClinicSettings  # noqa: E402
from carecoord.services import refills  # noqa: E402
from carecoord.services.context import SYSTEM  # noqa: E402
from carecoord.services.pumps import base_catalog  # noqa: E402
from carecoord.store.database import Database  # noqa: E402
from carecoord.store.models import Patient, User  # noqa: E402
from carecoord.store.models_pump import Implant, PumpProgram  # noqa: E402
from carecoord.store.models_refills import RefillForecast, RefillVisit  # noqa: E402

D = Decimal
TZ = dt.UTC
PLANS = [
    (
        "synchromed2_8637_20",
        D(20),
        Program(D(500), PumpMode.FLEX, (Step(0, D(20)), Step(420, D(12)), Step(1320, D(20)))),
    ),
    ("synchromed2_8637_20", D(20), continuous_program(D(500), D(12))),
    ("synchromed2_8637_40", D(40), continuous_program(D(2000), D("0.2"), RateUnit.ML_PER_DAY)),
    ("synchromed2_8637_40", D(40), continuous_program(D(1000), D(25))),
    ("prometra2_20", D(20), continuous_program(D(500), D(10))),
]
SETTINGS = ClinicSettings()
BATCH = 10_000


@cache
def plan_forecast(plan: int, fill_date: dt.date):
    key, volume, program = PLANS[plan]
    device = find_device(list(base_catalog()), key)
    return forecast_refill(
        fill_date, volume, program, TZ, SETTINGS, alarm_volume_ml=alarm_volume_for(SETTINGS, device)
    )


@cache
def battery(key: str, implant_date: dt.date):
    device = find_device(list(base_catalog()), key)
    return battery_replacement_window(implant_date, device, plan_ahead_months=6)


def _insert(session, model, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        session.execute(insert(model), rows[start : start + BATCH])


def build(db: Database, patients: int, visits_per_pump: int, seed: int = 7) -> tuple[int, int]:
    rng = random.Random(seed)
    today = dt.date.today()
    now = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    with db.session() as s:
        s.add(
            User(username="nurse", full_name="Bench Nurse", discipline="nurse", password_hash="x")
        )
        s.flush()
        _insert(
            s,
            Patient,
            [
                {
                    "mrn": f"B-{i:06d}",
                    "family_name": f"Family{i % 977}",
                    "given_names": f"Given{i % 131}",
                    "date_of_birth": dt.date(1950, 1, 1) + dt.timedelta(days=i % 20000),
                    "sex": "female" if i % 2 else "male",
                    "status": "implanted" if i % 5 else "referred",
                    "phone": f"+1 555 {1000 + i % 9000}",
                    "version": 1,
                }
                for i in range(patients)
            ],
        )
        ids = [r[0] for r in s.execute(text("SELECT id FROM patients ORDER BY id")).all()]
        implanted = [pid for i, pid in enumerate(ids) if i % 5]
        implants, programs, visits, forecasts = [], [], [], []
        for n, pid in enumerate(implanted):
            plan = n % len(PLANS)
            key, volume, program = PLANS[plan]
            shape = plan_forecast(plan, today)
            due = shape.days_to_due
            # Where the last fill falls: 1 % past the alarm, 3 % overdue, 15 % due soon.
            roll = rng.random()
            if roll < 0.01:
                last = (shape.days_to_alarm or due) + rng.randint(1, 10)
            elif roll < 0.04:
                last = due + rng.randint(1, 4)
            elif roll < 0.19:
                last = due - rng.randint(0, 14)
            else:
                last = rng.randint(1, max(1, due - 15))
            interval = max(7, due - 2)
            last_day = today - dt.timedelta(days=last)
            first_day = last_day - dt.timedelta(days=interval * (visits_per_pump - 1))
            implant_day = first_day - dt.timedelta(days=rng.randint(2, 400))
            if rng.random() < 0.004:
                implant_day = today - dt.timedelta(days=84 * 30 - rng.randint(0, 170))
                implant_day = min(implant_day, first_day - dt.timedelta(days=2))
            implants.append(
                {
                    "id": n + 1,
                    "patient_id": pid,
                    "device_key": key,
                    "serial_number": f"S{pid}",
                    "implant_date": implant_day,
                    "catheter_tip_level": "T10",
                    "pocket_side": "right",
                    "surgeon": "",
                    "revisions": "",
                    "explant_reason": "",
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            programmed_at = dt.datetime.combine(implant_day, dt.time(11), TZ)
            programs.append(
                {
                    "id": n + 1,
                    "patient_id": pid,
                    "implant_id": n + 1,
                    "number": 1,
                    "status": "programmed",
                    "program_json": json.dumps(program_to_dict(program)),
                    "phase": "maintenance",
                    "note": "",
                    "reason": "",
                    "acknowledged_json": "[]",
                    "created_at": programmed_at,
                    "programmed_at": programmed_at,
                    "reservoir_ml": volume,
                    "withdrawn_reason": "",
                    "version": 1,
                    "updated_at": programmed_at,
                }
            )
            pending_last = rng.random() < 0.005
            for k in range(visits_per_pump):
                day = first_day + dt.timedelta(days=interval * k)
                expected = volume - D(interval) * D("0.5")
                measured = max(D(0), expected + D(rng.randint(-3, 3)) / 10)
                pending = pending_last and k == visits_per_pump - 1
                if pending:
                    measured = max(D(0), expected - D(3))
                fc = plan_forecast(plan, day)
                visits.append(
                    {
                        "patient_id": pid,
                        "implant_id": n + 1,
                        "program_id": n + 1,
                        "program_changed": False,
                        "refill_at": dt.datetime.combine(day, dt.time(10), TZ),
                        "measured_residual_ml": measured,
                        "expected_residual_ml": expected,
                        "discrepancy_ml": measured - expected,
                        "threshold_ml": D(1),
                        "discrepancy_flagged": pending,
                        "review_pending": pending,
                        "review_note": "",
                        "volume_discarded_ml": measured,
                        "drug": "Baclofen",
                        "concentration_mcg_per_ml": program.concentration_mcg_per_ml,
                        "lot": f"L{k}",
                        "lot_expiry": day + dt.timedelta(days=300),
                        "volume_added_ml": volume,
                        "new_volume_ml": volume,
                        "our_alarm_date": fc.alarm_date,
                        "alarm_mismatch": False,
                        "due_date": fc.due_date,
                        "note": "",
                        "created_at": now,
                        "version": 1,
                    }
                )
            fc = plan_forecast(plan, last_day)
            window = battery(key, implant_day)
            forecasts.append(
                {
                    "patient_id": pid,
                    "stale": False,
                    "implant_id": n + 1,
                    "fill_date": last_day,
                    "volume_after_fill_ml": volume,
                    "alarm_volume_ml": fc.alarm_volume_ml,
                    "alarm_date": fc.alarm_date,
                    "due_date": fc.due_date,
                    "due_limit": fc.due_limit.value,
                    "due_reason": fc.due_reason,
                    "battery_replace_by": window.latest if window else None,
                    "battery_plan_by": window.plan_by if window else None,
                    "battery_eri_by": window.eri_alarm_by if window else None,
                    "battery_estimate": bool(window and window.estimate),
                    "computed_at": now,
                }
            )
            if len(visits) >= 100_000:
                _flush(s, implants, programs, visits, forecasts)
        _flush(s, implants, programs, visits, forecasts)
        if db.dialect == "postgresql":
            s.execute(text("SELECT setval(pg_get_serial_sequence('implants', 'id'), 1000000)"))
            s.execute(text("SELECT setval(pg_get_serial_sequence('pump_programs', 'id'), 1000000)"))
        s.commit()
        count = s.scalar(text("SELECT count(*) FROM refill_visits"))
    with db.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    print(
        f"built {patients} patients, {len(implanted)} pumps, {count} refill visits "
        f"in {time.perf_counter() - started:.0f} s"
    )
    return len(implanted), count


def _flush(s, implants, programs, visits, forecasts) -> None:
    _insert(s, Implant, implants)
    _insert(s, PumpProgram, programs)
    _insert(s, RefillVisit, visits)
    _insert(s, RefillForecast, forecasts)
    for rows in (implants, programs, visits, forecasts):
        rows.clear()


HAND_SQL = {
    "overdue": """
        SELECT f.patient_id, p.mrn, p.family_name, p.given_names, p.phone, f.due_date,
               f.alarm_date, f.due_reason, f.next_appointment_at
        FROM refill_forecasts f JOIN patients p ON p.id = f.patient_id
        WHERE f.due_date < :today
        ORDER BY CASE WHEN f.alarm_date <= :today THEN 0 ELSE 1 END, f.due_date, f.patient_id
        LIMIT 500""",
    "due_soon": """
        SELECT f.patient_id, p.mrn, p.family_name, p.given_names, p.phone, f.due_date,
               f.alarm_date, f.due_reason, f.next_appointment_at
        FROM refill_forecasts f JOIN patients p ON p.id = f.patient_id
        WHERE f.due_date >= :today AND f.due_date <= :soon
        ORDER BY f.due_date, f.patient_id LIMIT 500""",
    "discrepancies": """
        SELECT v.id, v.patient_id, p.mrn, p.family_name, p.given_names, v.refill_at,
               v.expected_residual_ml, v.measured_residual_ml, v.discrepancy_ml, v.threshold_ml
        FROM refill_visits v JOIN patients p ON p.id = v.patient_id
        WHERE v.review_pending = :yes
        ORDER BY v.refill_at, v.id LIMIT 500""",
    "battery": """
        SELECT f.patient_id, p.mrn, p.family_name, p.given_names, f.battery_replace_by,
               f.battery_plan_by, f.battery_eri_by, f.battery_estimate
        FROM refill_forecasts f JOIN patients p ON p.id = f.patient_id
        WHERE f.battery_replace_by <= :battery
        ORDER BY f.battery_replace_by, f.patient_id LIMIT 500""",
    "counts": """
        SELECT (SELECT count(*) FROM refill_forecasts WHERE due_date < :today),
               (SELECT count(*) FROM refill_forecasts
                 WHERE due_date < :today AND alarm_date <= :today),
               (SELECT count(*) FROM refill_forecasts
                 WHERE due_date >= :today AND due_date <= :soon),
               (SELECT count(*) FROM refill_visits WHERE review_pending = :yes),
               (SELECT count(*) FROM refill_forecasts WHERE battery_replace_by <= :battery)""",
}


def hand_written(db: Database, today: dt.date) -> dict[str, list]:
    """The same rows through the raw driver connection, parameters bound natively."""
    from carecoord.domain.devices import add_months

    soon = today + dt.timedelta(days=SETTINGS.due_soon_days)
    battery_end = add_months(today, SETTINGS.battery_warning_months)
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        out = {}
        sqlite = db.is_sqlite
        params = {"today": today, "soon": soon, "battery": battery_end, "yes": True}
        if sqlite:
            params = {
                k: (v.isoformat() if isinstance(v, dt.date) else 1) for k, v in params.items()
            }
        for name, sql in HAND_SQL.items():
            if sqlite:
                cursor.execute(sql, params)
            else:
                cursor.execute(
                    sql.replace(":today", "%(today)s")
                    .replace(":soon", "%(soon)s")
                    .replace(":battery", "%(battery)s")
                    .replace(":yes", "%(yes)s"),
                    params,
                )
            out[name] = cursor.fetchall()
        raw.rollback()
        return out
    finally:
        raw.close()


def service(db: Database, today: dt.date) -> refills.DashboardData:
    with db.session() as session:
        return refills.dashboard_data(session, SYSTEM, today)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=50_000)
    parser.add_argument("--visits-per-pump", type=int, default=15)
    parser.add_argument("--database-url", help="PostgreSQL server (a fresh schema is used)")
    parser.add_argument("--runs", type=int, default=25)
    args = parser.parse_args()
    schema = None
    admin = None
    if args.database_url:
        schema = f"bench_dashboard_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.database_url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        db = Database(args.database_url, pg_schema=schema)
        where = f"PostgreSQL (schema {schema})"
    else:
        folder = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
        db = Database(f"sqlite:///{folder / 'clinic.db'}")
        where = f"SQLite {folder / 'clinic.db'}"
    try:
        db.ensure_ready()
        build(db, args.patients, args.visits_per_pump)
        today = dt.date.today()
        data = service(db, today)
        hand = hand_written(db, today)
        counts = hand["counts"][0]
        mine = (
            data.overdue_count,
            data.past_alarm_count,
            data.due_soon_count,
            data.discrepancy_count,
            data.battery_count,
        )
        assert tuple(counts) == mine, (counts, mine)
        assert [r.patient_id for r in data.overdue] == [r[0] for r in hand["overdue"]]
        assert [r.patient_id for r in data.due_soon] == [r[0] for r in hand["due_soon"]]
        assert [r.visit_id for r in data.discrepancies] == [r[0] for r in hand["discrepancies"]]
        assert [r.patient_id for r in data.battery] == [r[0] for r in hand["battery"]]
        print(
            f"{where}: overdue {mine[0]} ({mine[1]} past the alarm date), due soon {mine[2]}, "
            f"discrepancies {mine[3]}, batteries {mine[4]}; rows listed "
            f"{len(data.overdue)}/{len(data.due_soon)}/{len(data.discrepancies)}/"
            f"{len(data.battery)}"
        )
        for _ in range(3):  # warm caches on both sides
            service(db, today)
            hand_written(db, today)
        service_times, hand_times = [], []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            service(db, today)
            service_times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            hand_written(db, today)
            hand_times.append(time.perf_counter() - t0)
        s_med, h_med = statistics.median(service_times), statistics.median(hand_times)
        print(
            f"dashboard data via the service: median {s_med * 1000:.1f} ms "
            f"(min {min(service_times) * 1000:.1f}, max {max(service_times) * 1000:.1f})"
        )
        print(
            f"hand-written SQL, same rows:    median {h_med * 1000:.1f} ms "
            f"(min {min(hand_times) * 1000:.1f}, max {max(hand_times) * 1000:.1f})"
        )
        print(
            f"ratio service / hand-written: {s_med / h_med:.2f} "
            f"(target: under 200 ms and within 2x)"
        )
    finally:
        db.dispose()
        if admin is not None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
