"""Generated inputs (hypothesis) for every service entry point that takes what a user types, on
both stores: no unhandled exception, and nothing stored outside its range.

Each call may only succeed or refuse with a typed, worded error (``ServiceError`` or the
domain's ``ValidationFailed``). After every call the whole store is scanned: no text holds a
control character or a surrogate, and every clinical number and date is inside its range.

The default run is small; ``HYPOTHESIS_PROFILE=deep`` runs thousands of inputs per entry point
(tests/conftest.py registers both profiles).
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from carecoord.domain import ranges
from carecoord.domain.contraindications import Contraindication
from carecoord.domain.enums import Discipline, Sex
from carecoord.domain.errors import ValidationFailed
from carecoord.domain.evaluations import form_for
from carecoord.domain.patients import PatientInput
from carecoord.domain.refill_status import ContactOutcome
from carecoord.domain.settings import ClinicSettings, validate_settings
from carecoord.domain.users import UserInput
from carecoord.services import (
    candidacy,
    evaluations,
    meetings,
    patients,
    pumps,
    recalls,
    refills,
    users,
)
from carecoord.services import settings as clinic_settings
from carecoord.services.errors import ServiceError
from carecoord.store import guard
from carecoord.store.schema import metadata
from tests.services.pump_helpers import example2, implanted_patient
from tests.services.refill_helpers import local, programmed

D = Decimal
DEEP = os.environ.get("HYPOTHESIS_PROFILE") == "deep"
# A database round trip per input on each store: a few dozen by default, thousands when deep.
EXAMPLES = 2500 if DEEP else 5
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=not DEEP,
    # Shrinking a failure through the database takes minutes; the failing input is printed.
    phases=list(Phase) if DEEP else [Phase.explicit, Phase.reuse, Phase.generate],
)
TODAY = dt.date.today()

# What a user can type or paste: any code point, surrogates and controls included.
texts = st.one_of(
    st.text(st.characters(codec=None, exclude_categories=()), max_size=40),
    st.sampled_from(["", " ", "\x00", "a\x00b", "\ud800", "x" * 5000, "²", "1e999", "NaN"]),
)
numbers = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True),
    st.decimals(min_value=-100, max_value=1000, places=3),
    st.sampled_from([D("1" * 29), D("1E+12"), D("0.0000001"), D(0), D(-5)]),
)
dates = st.one_of(
    st.dates(),
    st.dates(min_value=TODAY - dt.timedelta(days=400), max_value=TODAY + dt.timedelta(days=400)),
)
instants = st.one_of(
    st.datetimes(timezones=st.just(dt.UTC)),
    st.datetimes(
        min_value=dt.datetime.now() - dt.timedelta(days=40),
        max_value=dt.datetime.now() + dt.timedelta(days=40),
        timezones=st.just(dt.UTC),
    ),
)

# Numbers and dates that matter, with the range nothing outside of may be stored.
NUMBER_CHECKS = {
    ("patients", "weight_kg"): ranges.WEIGHT_KG,
    ("patient_alarm_volumes", "alarm_volume_ml"): ranges.alarm_volume_span(None),
    ("refill_visits", "measured_residual_ml"): ranges.volume_span("residual", None),
    ("refill_visits", "volume_discarded_ml"): ranges.volume_span("discarded", None),
    ("refill_visits", "volume_added_ml"): ranges.volume_span("added", None),
    ("refill_visits", "new_volume_ml"): ranges.volume_span("new", None),
    ("goals", "weight"): ranges.GAS_WEIGHT,
}
DATE_CHECKS = {
    ("meetings", "held_on"),
    ("team_decisions", "defer_until"),
    ("contraindication_screens", "assessed_on"),
    ("refill_visits", "lot_expiry"),
}


def assert_store_in_range(db) -> None:
    """Every stored text storable and clean, every checked number and date in its range."""
    with db.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)).mappings():
                for column in table.columns:
                    value = row[column.name]
                    assert not guard.value_problems(column, value), (table.name, column.name)
                    if isinstance(value, str) and table.name != "audit_events":
                        assert not ranges.has_bad_characters(value), (table.name, column.name)
                    key = (table.name, column.name)
                    if key in NUMBER_CHECKS and value is not None:
                        assert NUMBER_CHECKS[key].contains(D(value)), (key, value)
                    if key in DATE_CHECKS and value is not None:
                        day = dt.date.fromisoformat(value) if isinstance(value, str) else value
                        assert day >= ranges.EARLIEST_TREATMENT_DATE, (key, value)
                        assert day <= ranges.years_after(TODAY, ranges.MAX_DEFERRAL_YEARS + 1)


def attempt(call, *args: Any, **kwargs: Any) -> Any:
    """Success or a worded refusal; anything else fails the test."""
    try:
        return call(*args, **kwargs)
    except (ServiceError, ValidationFailed) as exc:
        assert str(exc).strip(), "a refusal without words"
        return None


@pytest.fixture
def pumped(db, team):
    day0 = TODAY - dt.timedelta(days=30)
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse, implant_date=day0 - dt.timedelta(days=5))
        programmed(s, team, patient.id, example2(), at=local(day0))
    return patient


@FUZZ
@given(
    mrn=texts,
    family=texts,
    given_names=texts,
    born=dates,
    weight=st.none() | numbers,
    notes=texts,
    phone=texts,
)
def test_create_patient(db, team, mrn, family, given_names, born, weight, notes, phone):
    data = PatientInput(
        mrn=mrn,
        family_name=family,
        given_names=given_names,
        date_of_birth=born,
        sex=Sex.UNKNOWN,
        weight_kg=weight,
        notes=notes,
        phone=phone,
    )
    with db.session() as s:
        attempt(patients.create_patient, s, team.nurse, data)
    assert_store_in_range(db)


@FUZZ
@given(text=texts, mrn=texts)
def test_search_and_find_by_record_number(db, team, text, mrn):
    with db.session() as s:
        page = patients.search_patients(s, team.nurse, text)
        assert page.total == len(page.rows) == 0
        attempt(patients.find_by_mrn, s, team.nurse, mrn)


@FUZZ
@given(username=texts, password=texts)
def test_sign_in(db, team, username, password):
    with db.session() as s:
        assert attempt(users.sign_in, s, username, password) is None
    assert_store_in_range(db)


@FUZZ
@given(username=texts, full_name=texts, phone=texts, password=texts)
def test_add_user(db, team, username, full_name, phone, password):
    data = UserInput(username, full_name, Discipline.NURSE, False, phone, password)
    with db.session() as s:
        attempt(users.add_user, s, team.admin, data)
    assert_store_in_range(db)


SETTING_NAMES = sorted(ClinicSettings().to_dict())


@FUZZ
@given(name=st.sampled_from(SETTING_NAMES), value=st.one_of(texts, numbers.map(str)))
def test_update_settings(db, team, name, value):
    with db.session() as s:
        attempt(clinic_settings.update_settings, s, team.admin, **{name: value})
    with db.session() as s:
        loaded = clinic_settings.load_settings(s)  # whatever was stored reads back
    assert validate_settings(loaded) == []
    assert_store_in_range(db)


@FUZZ
@given(
    field=st.sampled_from(sorted(pumps.CATALOG_FIELD_LABELS)),
    text=st.one_of(texts, numbers.map(str)),
)
def test_correct_device(db, team, field, text):
    with db.session() as s:
        attempt(
            pumps.correct_device, s, team.admin, "synchromed2_8637_20", field, text, confirmed=False
        )
    assert_store_in_range(db)


@FUZZ
@given(
    at=instants,
    residual=numbers,
    discarded=numbers,
    added=numbers,
    concentration=numbers,
    lot=texts,
    expiry=dates,
    note=texts,
)
def test_refill_live_check_and_record(
    db, team, pumped, at, residual, discarded, added, concentration, lot, expiry, note
):
    data = refills.RefillInput(
        refill_at=at,
        measured_residual_ml=residual,
        volume_discarded_ml=discarded,
        volume_added_ml=added,
        concentration_mcg_per_ml=concentration,
        lot=lot,
        lot_expiry=expiry,
        note=note,
    )
    with db.session() as s:
        context = refills.refill_context(s, team.nurse, pumped.id)
        context.check(data)
        last = context.last_visit_id
        attempt(refills.record_refill, s, team.nurse, pumped.id, data, based_on_visit_id=last)
    assert_store_in_range(db)


@FUZZ
@given(volume=st.none() | numbers, reason=texts)
def test_set_patient_alarm_volume(db, team, pumped, volume, reason):
    with db.session() as s:
        version = refills.patient_forecast(s, team.nurse, pumped.id).patient_alarm_volume_version
        attempt(
            refills.set_patient_alarm_volume,
            s,
            team.nurse,
            pumped.id,
            volume,
            reason,
            expected_version=version,
        )
    assert_store_in_range(db)


NURSE_FIELDS = [f.key for f in form_for(Discipline.NURSE).fields]


@FUZZ
@given(
    values=st.dictionaries(
        st.sampled_from(NURSE_FIELDS), st.one_of(texts, numbers.map(str)), max_size=6
    )
)
def test_nurse_evaluation_draft(db, team, pumped, values):
    with db.session() as s:
        current = evaluations.list_evaluations(s, team.nurse, pumped.id)
        mine = [e for e in current if e.discipline is Discipline.NURSE]
        if mine:
            attempt(evaluations.save_draft, s, team.nurse, mine[0].id, mine[0].version, values)
        else:
            attempt(
                evaluations.start_evaluation, s, team.nurse, pumped.id, Discipline.NURSE, values
            )
    assert_store_in_range(db)


@FUZZ
@given(
    agent=st.sampled_from(["baclofen", "tizanidine", "other", "x"]),
    dose=numbers,
    days=st.integers(-10, 10**12) | numbers,
    outcome=st.sampled_from(["ineffective", "not_tolerated", "partial", ""]),
    side_effects=texts,
    other=texts,
)
def test_record_oral_trial(db, team, pumped, agent, dose, days, outcome, side_effects, other):
    with db.session() as s:
        attempt(
            candidacy.record_oral_trial,
            s,
            team.physiatrist,
            pumped.id,
            agent=agent,
            highest_daily_dose_mg=dose,
            duration_days=days,
            outcome=outcome,
            side_effects=side_effects,
            other_agent_name=other,
        )
    assert_store_in_range(db)


@FUZZ
@given(area=st.sampled_from(["sleep", "pain", "other", "?"]), description=texts, weight=numbers)
def test_add_goal(db, team, pumped, area, description, weight):
    with db.session() as s:
        attempt(
            candidacy.add_goal,
            s,
            team.physiatrist,
            pumped.id,
            area=area,
            description=description,
            weight=weight,
        )
    assert_store_in_range(db)


@FUZZ
@given(
    answers=st.dictionaries(st.sampled_from([c.value for c in Contraindication]), st.booleans()),
    assessed_on=dates,
    notes=texts,
)
def test_save_screen(db, team, pumped, answers, assessed_on, notes):
    with db.session() as s:
        latest = candidacy.latest_screen(s, team.physiatrist, pumped.id)
        attempt(
            candidacy.save_screen,
            s,
            team.physiatrist,
            pumped.id,
            answers=answers,
            assessed_on=assessed_on,
            notes=notes,
            based_on_id=latest.id if latest else None,
        )
    assert_store_in_range(db)


@FUZZ
@given(held_on=dates, starts_at=texts, location=texts, notes=texts)
def test_schedule_meeting(db, team, held_on, starts_at, location, notes):
    with db.session() as s:
        attempt(
            meetings.schedule_meeting,
            s,
            team.physiatrist,
            held_on=held_on,
            starts_at=starts_at,
            location=location,
            notes=notes,
        )
    assert_store_in_range(db)


@FUZZ
@given(starts_at=instants, minutes=st.integers(-(10**12), 10**12), note=texts)
def test_book_appointment(db, team, pumped, starts_at, minutes, note):
    with db.session() as s:
        attempt(
            recalls.book_appointment,
            s,
            team.nurse,
            pumped.id,
            starts_at,
            duration_minutes=minutes,
            note=note,
        )
    assert_store_in_range(db)


@FUZZ
@given(outcome=st.sampled_from(list(ContactOutcome)), note=texts, at=st.none() | instants)
def test_log_contact_attempt(db, team, pumped, outcome, note, at):
    with db.session() as s:
        attempt(recalls.log_contact_attempt, s, team.nurse, pumped.id, outcome, note, at=at)
    assert_store_in_range(db)
