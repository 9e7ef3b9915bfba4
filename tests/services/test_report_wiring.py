"""Reports read the records the feature services store (on SQLite and PostgreSQL): the PDF text
holds the dose, dates, names, versions and warnings that the database holds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from carecoord.domain.program import Program, PumpMode, Step
from carecoord.reports.care_plan import render_care_plan
from carecoord.reports.evaluation_summary import render_evaluation_summary
from carecoord.reports.minutes import render_meeting_minutes
from carecoord.reports.translations import Translator
from carecoord.services import meetings, programs, pumps, recalls, refills, report_data, settings
from tests.reports.helpers import page_texts, text_of
from tests.services.pathway_builders import add_patient, screening, sign_all, work_up
from tests.services.pump_helpers import continuous, example2, implant_input, implanted_patient
from tests.services.refill_helpers import local, programmed, refill

D = Decimal
TODAY = dt.date.today()
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
EN = Translator("en")


@pytest.fixture(autouse=True)
def utc_clinic(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")


def _clinic(s, team):
    settings.update_settings(
        s,
        team.admin,
        clinic_name="Riverside Spasticity Clinic",
        clinic_phone="+1 555 0100",
        emergency_phone="+1 555 0199",
    )


def test_worked_example_2_care_plan_from_stored_records(db, team):
    """Implant (20 mL SynchroMed II), example 2 programmed, refilled to 20 mL on day 21 and a
    visit booked: 360 micrograms a day, alarm 25 days and refill-by 20 days after the refill."""
    day0 = TODAY - dt.timedelta(days=30)
    refill_day = day0 + dt.timedelta(days=21)
    visit_at = local(TODAY + dt.timedelta(days=7), hour=9)
    with db.session() as s:
        _clinic(s, team)
        patient, _ = implanted_patient(s, team.nurse, implant_date=day0 - dt.timedelta(days=5))
        programmed(s, team, patient.id, example2(), at=local(day0))
        refills.record_refill(
            s,
            team.nurse,
            patient.id,
            refill(
                local(refill_day),
                measured_residual_ml=D("4.88"),
                volume_discarded_ml=D("4.88"),
            ),
            based_on_visit_id=None,
        )
        recalls.book_appointment(s, team.nurse, patient.id, visit_at)
        data = report_data.gather_care_plan(s, team.nurse, patient.id, language="en")
    assert data.program is not None and data.program.programmed_on_device
    assert data.refill is not None
    assert data.refill.filled_on == refill_day
    assert data.refill.alarm_date == refill_day + dt.timedelta(days=25)
    assert data.refill.refill_by == refill_day + dt.timedelta(days=20)
    text = text_of(render_care_plan(data).pdf)
    assert "360 micrograms a day" in text
    assert "Baclofen, 500 micrograms per millilitre" in text
    assert EN.date(refill_day + dt.timedelta(days=20)) in text
    assert EN.date(refill_day + dt.timedelta(days=25)) in text
    assert EN.date(visit_at.date()) in text and "9:00" in text
    assert "LOPEZ, Ana" in text and "MRN-100" in text
    assert "Medtronic SynchroMed II (model 8637-20), 20 mL reservoir" in text
    assert "from program version 1" in text and "by Nia King (Nurse)" in text
    assert "DRAFT" not in text
    assert "Withdrawal" in text or "withdrawal" in text
    assert "None" not in text


def test_draft_watermark_only_for_a_program_not_on_the_device(db, team):
    """An approved program never programmed prints as DRAFT; once programmed it does not;
    a newer version waiting leaves the plan on the one in force and says so."""
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse, implant_date=TODAY - dt.timedelta(days=3))
        draft = programs.save_draft(s, team.nurse, patient.id, continuous("15"))
        approved = programs.approve(s, team.physiatrist, draft.id, draft.version)
        data = report_data.gather_care_plan(s, team.nurse, patient.id, language="en")
        assert data.is_draft
        text = text_of(render_care_plan(data).pdf)
        assert "DRAFT" in text and "not yet been programmed on your pump" in text
        assert "360 micrograms a day" in text and "from program version 1" in text

        programs.mark_programmed(
            s,
            team.nurse,
            approved.id,
            approved.version,
            programmed_at=dt.datetime.now(dt.UTC),
            reservoir_ml=D(20),
            vendor_alarm_date=None,
        )
        data = report_data.gather_care_plan(s, team.nurse, patient.id, language="en")
        text = text_of(render_care_plan(data).pdf)
        assert not data.is_draft and "DRAFT" not in text

        newer = programs.save_draft(s, team.nurse, patient.id, continuous("17"))
        programs.approve(s, team.physiatrist, newer.id, newer.version, reason="Spasms at night")
        data = report_data.gather_care_plan(s, team.nurse, patient.id, language="en")
    text = text_of(render_care_plan(data).pdf)
    assert not data.is_draft and "DRAFT" not in text
    assert data.program is not None and data.program.version == 1
    assert "360 micrograms a day" in text  # the one in the pump, not the waiting 408
    assert "A newer version (2) is being prepared" in text


def test_unapproved_draft_is_not_printed_as_instructions(db, team):
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse)
        programs.save_draft(s, team.nurse, patient.id, continuous("15"))
        data = report_data.gather_care_plan(s, team.nurse, patient.id, language="en")
    assert data.program is None
    text = text_of(render_care_plan(data).pdf)
    assert "360 micrograms" not in text and "DRAFT" not in text


def test_flex_program_in_words_and_a_weekday_program(db, team):
    """The schedule in words matches the stored steps."""
    program = Program(
        D(1000), PumpMode.FLEX, (Step(0, D(30)), Step(7 * 60, D(20)), Step(22 * 60, D(30)))
    )
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse, implant_date=TODAY - dt.timedelta(days=9))
        programmed(s, team, patient.id, program, at=local(TODAY - dt.timedelta(days=2)))
        data = report_data.gather_care_plan(s, team.nurse, patient.id, language="en")
    text = text_of(render_care_plan(data).pdf)
    assert "570 micrograms a day" in text  # 7 x 30 + 15 x 20 + 2 x 30
    assert "1000 micrograms per millilitre" in text or "1,000 micrograms per millilitre" in text


def test_evaluation_summary_from_five_signed_evaluations_and_screening(db, team):
    with db.session() as s:
        p = add_patient(s, team.nurse, mrn="EV-1", family_name="Okafor")
        sign_all(s, team, p.id)
        work_up(s, team, p.id)
        screening(s, team.nurse, p.id, 50, NOW - dt.timedelta(hours=5), "2 2 1", "1 1 1", "1 1 1")
        data = report_data.gather_evaluation_summary(s, team.physiatrist, p.id)
    assert len(data.findings) == 5 and all(f.signed_on for f in data.findings)
    text = text_of(render_evaluation_summary(data).pdf)
    assert "OKAFOR, Ana" in text and "EV-1" in text
    assert "Severe lower-limb spasticity of spinal origin." in text
    assert "Tone limits transfers and seating." in text
    assert "Dr Maria Doe" in text and "Nia King" in text
    assert "No evaluation recorded" not in text
    assert "50 mcg bolus" in text
    assert "Positive response" in text
    assert "Ashworth mean" in text and "2.67" in text and "1" in text
    assert [sc.before_label for sc in data.scales[1:]] == ["3", "3", "2"]
    assert "Ready for team review" in text
    assert "by Dr Maria Doe (Physiatrist)" in text
    assert "None" not in text
    assert data.scales[0].before == D(8) / D(3) and data.scales[0].after == D(1)
    assert data.screening is not None and data.screening.earlier_trials == ()


def test_goals_on_the_care_plan_come_from_the_candidacy_record(db, team):
    with db.session() as s:
        p = add_patient(s, team.nurse, mrn="GO-1")
        sign_all(s, team, p.id)
        work_up(s, team, p.id)
        pumps.record_implant(s, team.nurse, p.id, implant_input())
        data = report_data.gather_care_plan(s, team.nurse, p.id, language="en")
    assert data.goals == ("Transfers with one helper",)
    assert "Transfers with one helper" in text_of(render_care_plan(data).pdf)


def test_minutes_of_a_finished_meeting_with_decisions(db, team):
    with db.session() as s:
        first = add_patient(s, team.nurse, mrn="MT-1", family_name="Rivera")
        second = add_patient(s, team.nurse, mrn="MT-2", family_name="Lindqvist")
        for p in (first, second):
            sign_all(s, team, p.id)
            work_up(s, team, p.id)
            screening(
                s, team.nurse, p.id, 50, NOW - dt.timedelta(hours=5), "2 2 1", "1 1 1", "1 1 1"
            )
        m = meetings.schedule_meeting(s, team.nurse, held_on=TODAY, starts_at="14:00")
        everyone = [
            a.user_id for a in (team.physiatrist, team.pt, team.ot, team.nurse, team.social_worker)
        ]
        m = meetings.set_attendance(s, team.nurse, m.id, m.version, everyone)
        m = meetings.record_decision(
            s, team.physiatrist, m.id, m.version, first.id, "approve_implant"
        )
        m = meetings.record_decision(
            s,
            team.physiatrist,
            m.id,
            m.version,
            second.id,
            "defer",
            reason="Pressure sore to heal first",
            defer_until=TODAY + dt.timedelta(days=60),
        )
        meetings.finish_meeting(s, team.nurse, m.id, m.version)
        data = report_data.gather_meeting_minutes(s, team.nurse, TODAY)
    pdf = render_meeting_minutes(data).pdf
    text = text_of(pdf)
    assert "Patients discussed" in page_texts(pdf)[0]  # the table starts on page 1
    for words in (
        "RIVERA, Ana",
        "MT-1",
        "LINDQVIST, Ana",
        "Approve implant",
        "Defer",
        "Pressure sore to heal first",
        "Dr Maria Doe",
        "Sam Wu",
        "Approved for implant",
        "Deferred",
        "by Nia King (Nurse)",
    ):
        assert words in text, words
    assert "No quorum" not in text


def test_refill_list_has_booked_and_due_patients_of_the_day(db, team):
    """Example 2 programmed 10 days ago is due on day 20; another patient is booked that day;
    a third is due on another day."""
    day0 = TODAY - dt.timedelta(days=10)
    due_day = day0 + dt.timedelta(days=20)
    with db.session() as s:
        due, _ = implanted_patient(s, team.nurse, mrn="RL-1", implant_date=day0)
        programmed(s, team, due.id, example2(), at=local(day0))
        booked, _ = implanted_patient(s, team.nurse, mrn="RL-2", implant_date=day0)
        programmed(s, team, booked.id, continuous("5"), at=local(day0))
        recalls.book_appointment(s, team.nurse, booked.id, local(due_day, hour=15))
        other, _ = implanted_patient(s, team.nurse, mrn="RL-3", implant_date=day0)
        programmed(s, team, other.id, continuous("5"), at=local(day0 + dt.timedelta(days=1)))
        assert report_data.refill_list(s, team.nurse, due_day) == sorted([due.id, booked.id])
        assert report_data.refill_list(s, team.nurse, due_day + dt.timedelta(days=1)) == []


def test_current_forecast_reads_the_stored_row_and_computes_a_stale_one(db, team):
    day0 = TODAY - dt.timedelta(days=10)
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse, implant_date=day0)
        programmed(s, team, patient.id, example2(), at=local(day0))
        fresh = refills.current_forecast(s, patient.id)
        refills.patient_forecast(s, team.nurse, patient.id)  # stores the row
        stored = refills.current_forecast(s, patient.id)
    assert fresh is not None and stored is not None
    assert fresh.due_date == stored.due_date == day0 + dt.timedelta(days=20)
    assert fresh.alarm_date == stored.alarm_date == day0 + dt.timedelta(days=25)
    with db.session() as s:
        assert refills.current_forecast(s, 424242) is None


def test_stored_meeting_on_a_day_without_one(db, team):
    with db.session() as s:
        assert meetings.stored_meeting_on(s, team.nurse, TODAY) is None


def test_negative_then_positive_trial_lists_the_earlier_one_and_grades_as_written(db, team):
    """The team reads the trial it judges by, the earlier ones in a line each, and Ashworth
    grades as the scale writes them ("1+"), not as the number used for averages."""
    with db.session() as s:
        p = add_patient(s, team.nurse, mrn="EV-2")
        sign_all(s, team, p.id)
        work_up(s, team, p.id)
        start = NOW - dt.timedelta(days=2)
        screening(s, team.nurse, p.id, 50, start, "3 3 2", "3 2 2", "3 3 2")
        screening(s, team.nurse, p.id, 75, start + dt.timedelta(days=1), "2 2 1", "1+ 1 1")
        data = report_data.gather_evaluation_summary(s, team.physiatrist, p.id)
    assert data.screening is not None
    assert data.screening.dose_words == "75 mcg bolus"
    assert len(data.screening.earlier_trials) == 1
    assert data.screening.earlier_trials[0].startswith("50 mcg bolus on ")
    text = text_of(render_evaluation_summary(data).pdf)
    assert "Earlier trials" in text and "no response" in text
    assert "1+" in text


def test_care_plan_past_the_refill_date_says_so(db, team):
    """Programmed 22 days ago (example 2): due day 20 has passed, alarm day 25 not yet; with a
    visit booked the plan points to it."""
    day0 = TODAY - dt.timedelta(days=22)
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse, implant_date=day0)
        programmed(s, team, patient.id, example2(), at=local(day0))
        data = report_data.gather_care_plan(s, team.nurse, patient.id, language="en")
        text = text_of(render_care_plan(data).pdf)
        assert "Your refill date has passed. Call the clinic today" in text
        recalls.book_appointment(
            s, team.nurse, patient.id, local(TODAY + dt.timedelta(days=1), hour=10)
        )
        data = report_data.gather_care_plan(s, team.nurse, patient.id, language="en")
    text = text_of(render_care_plan(data).pdf)
    assert "Keep the appointment below" in text


def test_care_plan_past_the_alarm_date_sends_to_the_24_hour_number(db, team):
    day0 = TODAY - dt.timedelta(days=26)
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse, implant_date=day0)
        programmed(s, team, patient.id, example2(), at=local(day0))
        data = report_data.gather_care_plan(s, team.nurse, patient.id, language="es")
    text = text_of(render_care_plan(data).pdf)
    assert "La fecha de la alarma ya pasó" in text
