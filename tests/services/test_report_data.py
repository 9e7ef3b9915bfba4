"""Gathering report inputs from the store, on SQLite and PostgreSQL, and printing them."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from carecoord.domain.candidacy import CandidacyStatus
from carecoord.domain.decisions import DecisionKind, TeamDecision
from carecoord.domain.enums import Discipline
from carecoord.domain.meetings import AgendaItem, Attendee, ItemOutcome, Meeting, MeetingStatus
from carecoord.domain.refills import forecast_refill
from carecoord.domain.settings import PageSize
from carecoord.reports.batch import write_care_plans
from carecoord.reports.care_plan import ProgramInfo, PumpInfo, RefillInfo, render_care_plan
from carecoord.reports.evaluation_summary import render_evaluation_summary
from carecoord.reports.minutes import render_meeting_minutes
from carecoord.services import patients, pumps, report_data, settings
from carecoord.services.context import Actor
from carecoord.services.errors import NotFound, PermissionDenied
from tests.domain.pump_examples import example2
from tests.gui.helpers import add_patient
from tests.reports.helpers import FILL_DATE, page_sizes, text_of
from tests.services.pump_helpers import implant_input

NOW = dt.datetime(2026, 11, 24, 14, 5, tzinfo=dt.UTC)


@pytest.fixture
def clinic_patient(db, team):
    with db.session() as s:
        settings.update_settings(
            s,
            team.admin,
            clinic_name="Riverside Spasticity Clinic",
            clinic_phone="+1 555 0100",
            emergency_phone="+1 555 0199",
        )
    view = add_patient(db, team.nurse, "MRN-0042", "Rossi", "Ana María", preferred_language="es")
    with db.session() as s:
        patients.assign_team_member(
            s, team.nurse, view.id, Discipline.PHYSIATRIST, team.physiatrist.user_id
        )
        patients.assign_team_member(s, team.nurse, view.id, Discipline.NURSE, team.nurse.user_id)
        pumps.record_implant(s, team.nurse, view.id, implant_input())  # a pump handout needs one
    return view


def example2_sources() -> report_data.Sources:
    """What the pump and refill features will store for worked example 2."""

    def program(_s, _actor, _pid):
        return ProgramInfo(example2(), 3, True)

    def refill(_s, _actor, _pid, info, clinic_settings):
        forecast = forecast_refill(FILL_DATE, Decimal(20), info.program, "UTC", clinic_settings)
        return RefillInfo.from_forecast(forecast)

    return dataclasses.replace(
        report_data.DEFAULT_SOURCES,
        active_program=program,
        implanted_pump=lambda _s, _actor, _pid: PumpInfo("SynchroMed II", Decimal(20)),
        refill_dates=refill,
    )


def test_care_plan_from_the_store_has_the_team_phones_and_clinic(db, team, clinic_patient):
    with db.session() as s:
        data = report_data.gather_care_plan(s, team.nurse, clinic_patient.id, now=NOW)
    assert data.patient.preferred_language == "es"
    assert data.generated_by == "Nia King (Nurse)"
    report = render_care_plan(data)
    text = text_of(report.pdf)
    assert "ROSSI, Ana María" in text
    assert "Dr Maria Doe" in text and "Nia King" in text
    assert "+1 555 0100" in text and "+1 555 0199" in text
    assert "Riverside Spasticity Clinic" in text
    assert "Todavía no hay un programa de bomba registrado" in text  # Spanish, gaps marked
    assert "None" not in text
    assert "dose per day" in report.gaps


def test_worked_example_2_through_the_gathering_functions(db, team, clinic_patient):
    with db.session() as s:
        data = report_data.gather_care_plan(
            s, team.nurse, clinic_patient.id, now=NOW, language="en", sources=example2_sources()
        )
    text = text_of(render_care_plan(data).pdf)
    assert "360 micrograms a day" in text
    assert "Monday 14 December 2026" in text
    assert "Saturday 19 December 2026" in text
    assert "from program version 3" in text


def test_paper_size_setting_is_followed(db, team, clinic_patient):
    with db.session() as s:
        settings.update_settings(s, team.admin, page_size=PageSize.LETTER)
    with db.session() as s:
        data = report_data.gather_care_plan(s, team.nurse, clinic_patient.id, now=NOW)
    assert {tuple(round(v) for v in size) for size in page_sizes(render_care_plan(data).pdf)} == {
        (612, 792)
    }


def test_a_user_without_the_permission_is_refused(db, team, clinic_patient):
    nobody = Actor(99, "guest", "Guest", None, False)
    with db.session() as s, pytest.raises(PermissionDenied):
        report_data.gather_care_plan(s, nobody, clinic_patient.id)


def test_unknown_patient_is_not_found(db, team):
    with db.session() as s, pytest.raises(NotFound):
        report_data.gather_care_plan(s, team.nurse, 424242)


def test_evaluation_summary_from_the_store_marks_what_is_not_recorded(db, team, clinic_patient):
    with db.session() as s:
        data = report_data.gather_evaluation_summary(
            s, team.physiatrist, clinic_patient.id, now=NOW
        )
    text = text_of(render_evaluation_summary(data).pdf)
    assert "ROSSI, Ana María" in text
    assert "Spinal cord injury" in text
    assert text.count("No evaluation recorded") == 5
    assert "Evaluations missing" in text  # the candidacy rule on what is stored


def test_meeting_minutes_need_a_stored_meeting(db, team):
    with db.session() as s, pytest.raises(NotFound, match="No team meeting is recorded on 20 Nov"):
        report_data.gather_meeting_minutes(s, team.nurse, dt.date(2026, 11, 20))


def test_meeting_minutes_read_names_of_people_and_patients(db, team, clinic_patient):
    held = dt.date(2026, 11, 20)
    decision = TeamDecision(
        7, clinic_patient.id, DecisionKind.APPROVE_SCREENING, held, "Goals set."
    )
    meeting = Meeting(
        1,
        held,
        MeetingStatus.FINISHED,
        agenda=(AgendaItem(clinic_patient.id, outcome=ItemOutcome.DISCUSSED, decision_id=7),),
        attendees=(
            Attendee(team.physiatrist.user_id, Discipline.PHYSIATRIST),
            Attendee(team.nurse.user_id, Discipline.NURSE),
        ),
    )
    stored = report_data.StoredMeeting(
        meeting, {7: decision}, {clinic_patient.id: CandidacyStatus.SCREENING_NEEDED}
    )
    sources = dataclasses.replace(
        report_data.DEFAULT_SOURCES, load_meeting=lambda _s, _a, _d: stored
    )
    with db.session() as s:
        data = report_data.gather_meeting_minutes(s, team.nurse, held, now=NOW, sources=sources)
    text = text_of(render_meeting_minutes(data).pdf)
    assert "Dr Maria Doe" in text and "Nia King" in text
    assert "ROSSI, Ana María" in text and "MRN-0042" in text
    assert "Approve screening" in text and "Goals set." in text
    assert "No quorum" in text  # three disciplines absent


def test_batch_writes_one_file_per_patient_and_lists_failures(db, team, clinic_patient, tmp_path):
    other = add_patient(db, team.nurse, "MRN-0043", "Lee", "Kim")

    def gather(patient_id):
        with db.session() as s:
            return report_data.gather_care_plan(s, team.nurse, patient_id, now=NOW)

    with db.session() as s:
        pumps.record_implant(s, team.nurse, other.id, implant_input())
    no_pump = add_patient(db, team.nurse, "MRN-0044", "Ito", "Ren")
    ids = [clinic_patient.id, 999999, other.id, no_pump.id]
    result = write_care_plans(ids, gather, tmp_path / "out")
    names = sorted(p.name for p in result.written)
    assert names == ["care-plan_MRN-0042_2026-11-24.pdf", "care-plan_MRN-0043_2026-11-24.pdf"]
    assert result.failed[0] == (999999, "This patient no longer exists.")
    assert result.failed[1][0] == no_pump.id
    assert "has no pump recorded as implanted" in result.failed[1][1]
    assert "2 care plans saved" in result.words and "2 could not be made" in result.words
    assert all(Path(p).stat().st_size > 1000 for p in result.written)


def test_batch_stops_when_cancelled(db, team, clinic_patient, tmp_path):
    class Token:
        def __init__(self):
            self.reports = []

        @property
        def cancelled(self):
            return len(self.reports) >= 2

        def report(self, done, total):
            self.reports.append((done, total))

    def gather(patient_id):
        with db.session() as s:
            return report_data.gather_care_plan(s, team.nurse, patient_id, now=NOW)

    token = Token()
    result = write_care_plans([clinic_patient.id] * 5, gather, tmp_path, task=token)
    assert result.cancelled
    assert len(result.written) == 2
    assert "cancelled" in result.words


def test_refill_list_is_empty_until_refills_are_recorded(db, team):
    with db.session() as s:
        assert report_data.refill_list(s, team.nurse, dt.date(2026, 11, 25)) == []
