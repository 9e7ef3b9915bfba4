"""Inputs that crashed, froze or stored absurd values, on both stores: each now gets a worded
answer and changes nothing."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from carecoord.domain.enums import Sex
from carecoord.domain.errors import ValidationFailed
from carecoord.domain.patients import PatientInput
from carecoord.services import candidacy, meetings, patients, pumps, refills, settings, users
from carecoord.services.errors import NotFound, SignInFailed
from carecoord.store.models import Patient
from carecoord.store.models_refills import RefillVisit
from tests.services.pump_helpers import example2, implanted_patient
from tests.services.refill_helpers import local, programmed, refill

D = Decimal
TODAY = dt.date.today()


@pytest.fixture(autouse=True)
def utc_clinic(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")


@pytest.fixture
def pumped(db, team):
    """A patient whose 20 mL pump was programmed 30 days ago (CLINICAL.md example 2)."""
    day0 = TODAY - dt.timedelta(days=30)
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse, implant_date=day0 - dt.timedelta(days=5))
        programmed(s, team, patient.id, example2(), at=local(day0))
    return patient


def yesterday() -> dt.datetime:
    return local(TODAY - dt.timedelta(days=1))


def test_a_29_digit_volume_gets_words_in_the_live_check_and_the_save(db, team, pumped):
    """It passed the form's parser, then raised InvalidOperation in the live check."""
    huge = D("1" * 29)
    with db.session() as s:
        context = refills.refill_context(s, team.nurse, pumped.id)
    for name in ("measured_residual_ml", "volume_discarded_ml", "volume_added_ml"):
        check = context.check(refill(yesterday(), **{name: huge}))
        assert [p.field for p in check.errors] == [name]
        assert "not a possible volume" in check.errors[0].message
    with db.session() as s, pytest.raises(ValidationFailed):
        refills.record_refill(
            s,
            team.nurse,
            pumped.id,
            refill(yesterday(), volume_added_ml=huge),
            based_on_visit_id=None,
        )
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(RefillVisit)) == 0


def test_a_refill_dated_in_year_3026_is_refused_at_once(db, team, pumped):
    """The live check walked the schedule to year 3026 for 7.5 s on the GUI thread."""
    with db.session() as s:
        context = refills.refill_context(s, team.nurse, pumped.id)
    for year in (3026, 9999):
        started = time.perf_counter()
        check = context.check(refill(dt.datetime(year, 1, 1, 10, tzinfo=dt.UTC)))
        assert time.perf_counter() - started < 0.5
        assert any("future" in p.message for p in check.errors)
        assert check.forecast is None and check.expected_ml is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"note": "seen\x00"}, "note"),
        ({"lot": "L\x00T"}, "lot"),
        ({"lot": "L\ud800"}, "lot"),
        ({"note": "x" * 100_000}, "note"),
        ({"lot_expiry": dt.date(9999, 12, 31)}, "lot_expiry"),
    ],
)
def test_refill_texts_and_lot_expiry_are_refused_in_words(db, team, pumped, changes, field):
    with db.session() as s, pytest.raises(ValidationFailed) as exc:
        refills.record_refill(
            s, team.nurse, pumped.id, refill(yesterday(), **changes), based_on_visit_id=None
        )
    assert field in {p.field for p in exc.value.problems}
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(RefillVisit)) == 0


def test_alarm_volume_of_a_ten_millionth_of_a_millilitre_is_refused(db, team, pumped):
    with db.session() as s, pytest.raises(ValidationFailed) as exc:
        refills.set_patient_alarm_volume(
            s, team.nurse, pumped.id, D("0.0000001"), reason="x", expected_version=0
        )
    assert "0.5 to 20 mL" in str(exc.value)
    with db.session() as s:
        assert (
            refills.set_patient_alarm_volume(
                s, team.nurse, pumped.id, D(4), reason="[21]", expected_version=0
            )
            == 4
        )


@pytest.mark.parametrize("text", ["a\x00b", "a\ud800b", "\udfff", "\x1b[2J"])
def test_search_and_find_by_record_number_answer_any_pasted_text(db, team, text):
    """NUL raised DataError on PostgreSQL, a lone surrogate UnicodeEncodeError on both."""
    with db.session() as s:
        assert patients.search_patients(s, team.nurse, text).rows == []
        with pytest.raises(NotFound):
            patients.find_by_mrn(s, team.nurse, text)


@pytest.mark.parametrize("username", ["ad\ud800min", "ad\x00min", "admin\n"])
def test_sign_in_with_a_broken_paste_is_the_usual_refusal(db, team, username):
    with db.session() as s, pytest.raises(SignInFailed, match="not right"):
        users.sign_in(s, username, "pass\ud800word")
    with db.session() as s, pytest.raises(SignInFailed, match="not right"):
        users.sign_in(s, "admin", "pass\ud800\x00word")


def test_patient_with_a_lone_surrogate_is_refused_and_not_stored(db, team):
    data = PatientInput(
        mrn="S-1",
        family_name="Lo\ud800pez",
        given_names="Ana",
        date_of_birth=dt.date(1990, 1, 1),
        sex=Sex.FEMALE,
    )
    with db.session() as s, pytest.raises(ValidationFailed) as exc:
        patients.create_patient(s, team.nurse, data)
    assert [p.field for p in exc.value.problems] == ["family_name"]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Patient)) == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"refill_margin_days": -5},
        {"idle_lock_minutes": 0},
        {"idle_lock_minutes": 10**9},
        {"oral_near_max_fraction": D(7)},
        {"alarm_volume_ml": ""},
        {"alarm_volume_ml": "abc"},
        {"due_soon_days": "²"},
        {"clinic_name": "North\x00side"},
        {"no_such_setting": 1},
    ],
)
def test_absurd_clinic_settings_are_refused_and_nothing_changes(db, team, changes):
    with db.session() as s:
        before = settings.load_settings(s)
        with pytest.raises(ValidationFailed):
            settings.update_settings(s, team.admin, **changes)
    with db.session() as s:
        assert settings.load_settings(s) == before


def test_a_superscript_two_in_a_whole_number_catalog_field_is_refused(db, team):
    """ "²".isdigit() is true and int("²") raised ValueError."""
    with db.session() as s, pytest.raises(ValidationFailed, match="whole number"):
        pumps.correct_device(
            s, team.admin, "synchromed2_8637_20", "max_steps_per_day", "²", confirmed=False
        )
    with pytest.raises(ValidationFailed, match="shortest-longest"):
        pumps.parse_catalog_value("battery_life_typical_months", "6²-84")


def test_meetings_in_year_9999_and_deferrals_to_9999_are_refused(db, team, pumped):
    with db.session() as s, pytest.raises(ValidationFailed, match="too far ahead"):
        meetings.schedule_meeting(s, team.physiatrist, held_on=dt.date(9999, 1, 1))
    with db.session() as s, pytest.raises(ValidationFailed, match="control characters"):
        meetings.schedule_meeting(s, team.physiatrist, held_on=TODAY, notes="a\x00")
    with db.session() as s:
        meeting = meetings.schedule_meeting(s, team.physiatrist, held_on=TODAY)
        with pytest.raises(ValidationFailed, match="too far ahead"):
            meetings.record_decision(
                s,
                team.physiatrist,
                meeting.id,
                meeting.version,
                pumped.id,
                "defer",
                reason="later",
                defer_until=dt.date(9999, 1, 1),
            )


def test_a_contraindication_screen_dated_year_1_is_refused(db, team, pumped):
    with db.session() as s, pytest.raises(ValidationFailed, match="before 1 Jan 1980"):
        candidacy.save_screen(
            s, team.physiatrist, pumped.id, answers={}, assessed_on=dt.date(1, 1, 1)
        )


def test_the_store_guard_refuses_what_a_careless_writer_would_store(db, team):
    """Writing the ORM directly, past every service check: NUL, a surrogate, a megabyte, an
    unstorable number and year 9999 are refused before any SQL is sent."""
    with db.session() as s:
        patient = patients.create_patient(
            s,
            team.nurse,
            PatientInput(
                mrn="G-1", family_name="Guard", given_names="Gus", date_of_birth=dt.date(1970, 1, 1)
            ),
        )
    cases = [
        ("notes", "a\x00b"),
        ("notes", "a\ud800b"),
        ("notes", "x" * 1_000_001),
        ("family_name", "x" * 121),
        ("weight_kg", D(10) ** 50),
        ("weight_kg", D("NaN")),
        ("injury_date", dt.date(9999, 1, 1)),
    ]
    for name, value in cases:
        with db.session() as s:
            row = s.get(Patient, patient.id)
            setattr(row, name, value)
            with pytest.raises(ValidationFailed) as exc:
                s.commit()
            assert [p.field for p in exc.value.problems] == [name]
            s.rollback()
    with db.session() as s:
        row = s.get(Patient, patient.id)
        assert row.notes == "" and row.weight_kg is None and row.injury_date is None
        row.notes = "line one\n\tline two"
        s.commit()
