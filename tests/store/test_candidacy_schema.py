"""The candidacy tables: created by migration 0002 from an empty database, identical to the
models, and JSON and decimal content round-trips exactly on both stores."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from carecoord.store.database import Database
from carecoord.store.models import Patient
from carecoord.store.models_candidacy import (
    EvaluationRow,
    OralTrialRow,
    ScreeningAssessmentRow,
    ScreeningTrialRow,
)
from carecoord.store.schema import metadata

CANDIDACY_TABLES = {
    "evaluations",
    "oral_trials",
    "contraindication_screens",
    "goals",
    "screening_trials",
    "screening_assessments",
    "screening_adverse_events",
    "meetings",
    "meeting_agenda_items",
    "meeting_attendance",
    "team_decisions",
}


def test_upgrade_from_an_empty_database_creates_the_candidacy_tables(tmp_path):
    """A new SQLite file goes through 0001 then 0002 and ends at 0002_candidacy or later."""
    db = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    db.upgrade()
    with db.engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
        chain = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert names >= CANDIDACY_TABLES
    assert chain == db.head_revision()
    db.dispose()


def test_models_match_the_migrations(db):
    """Autogenerate finds nothing to add: the hand-checked revision equals the models."""
    db.upgrade()
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    assert diff == []


def test_content_round_trips_exactly(db):
    """Decimal doses, UTC times and JSON scale content come back as stored."""
    db.upgrade()
    given = dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC)
    with db.session() as s:
        p = Patient(
            mrn="RT2",
            family_name="Round",
            given_names="Trip",
            date_of_birth=dt.date(1990, 1, 1),
            sex="female",
            status="evaluating",
        )
        s.add(p)
        s.flush()
        s.add(EvaluationRow(patient_id=p.id, discipline="nurse", status="draft", content='{"a":1}'))
        s.add(
            OralTrialRow(
                patient_id=p.id,
                agent="baclofen",
                highest_daily_dose_mg=Decimal("62.5"),
                duration_days=90,
                outcome="ineffective",
            )
        )
        trial = ScreeningTrialRow(
            patient_id=p.id, route="bolus_lumbar_puncture", given_at=given, dose_mcg=Decimal(50)
        )
        s.add(trial)
        s.flush()
        s.add(ScreeningAssessmentRow(trial_id=trial.id, taken_at=given, mas='{"scale":"mas"}'))
        s.commit()
        pid = p.id
    with db.session() as s:
        oral = s.query(OralTrialRow).filter_by(patient_id=pid).one()
        assert str(oral.highest_daily_dose_mg) == "62.5"
        t = s.query(ScreeningTrialRow).filter_by(patient_id=pid).one()
        assert t.given_at == given and t.dose_mcg == Decimal(50)
        assert s.query(EvaluationRow).filter_by(patient_id=pid).one().content == '{"a":1}'
