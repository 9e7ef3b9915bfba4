"""The care-plan handout: what a patient, a nurse and an emergency doctor read in the PDF."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from decimal import Decimal

import pytest

from carecoord.domain.enums import Discipline
from carecoord.domain.program import Program, PumpMode, Step, continuous_program
from carecoord.domain.settings import PageSize
from carecoord.reports import translations
from carecoord.reports.care_plan import (
    CarePlanInput,
    ClinicInfo,
    PatientInfo,
    ProgramInfo,
    TeamContact,
    render_care_plan,
)
from carecoord.reports.fonts import visual
from carecoord.reports.style import make_styles
from tests.reports.helpers import (
    GENERATED_AT,
    example2_plan,
    font_names,
    page_sizes,
    page_texts,
    text_of,
)

FORBIDDEN_UNITS = re.compile(r"\b(ug|µg|mcg)\b")


def test_worked_example_2_shows_dose_in_micrograms_and_the_refill_dates():
    """CLINICAL.md example 2: 360 mcg/day; filled 24 Nov 2026 to 20 mL with a 2 mL alarm:
    alarm on day 25 (19 Dec), refill due on day 20 (14 Dec) with the 5-day margin."""
    report = render_care_plan(example2_plan())
    text = text_of(report.pdf)
    assert "360 micrograms a day" in text
    assert "From 10 pm to 7 am: 20 micrograms an hour" in text
    assert "From 7 am to 10 pm: 12 micrograms an hour" in text
    assert "Baclofen, 500 micrograms per millilitre" in text
    assert "Come for your refill by Monday 14 December 2026" in text
    assert "Saturday 19 December 2026" in text
    assert "Monday 14 December 2026 at 09:30, Room 4" in text
    assert "SynchroMed II, 20 mL reservoir" in text
    assert not FORBIDDEN_UNITS.search(text), FORBIDDEN_UNITS.search(text)
    assert "None" not in text
    assert report.gaps == []


def test_every_page_has_clinic_patient_page_numbers_and_provenance():
    report = render_care_plan(example2_plan())
    pages = page_texts(report.pdf)
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert page.startswith("Riverside Spasticity Clinic")
        assert f"Page {number} of {len(pages)}" in page
        assert "ROSSI, Ana María · Record number MRN-0042" in page
        assert "Generated 24 Nov 2026" in page
        assert "by Nia King (Nurse) from program version 3" in page
        assert "DRAFT" not in page


def test_safety_content_for_the_emergency_doctor_and_the_family():
    text = text_of(render_care_plan(example2_plan()).pdf)
    assert "+1 555 0199" in text  # the 24-hour number
    for words in (
        "For any doctor or nurse treating this person",
        "withdrawal can become life-threatening within 1 to 3 days",
        "Itching without a rash",
        "Your stiffness and spasms coming back",
        "Slow or shallow breathing",
        "Call an ambulance",
        "Two tones that alternate: urgent",
        "A single tone, about once an hour",
        "An MRI scan stops the pump's motor",
        "checked by the clinic the same day",
        "102 °F (39 °C)",
        "10 metres",
        "2 atmospheres",
        "dentist",
        "Sit in the wheelchair all day without pain",
        "DO NOT STOP SUDDENLY",
        "Dr Maria Doe",
        "+1 555 0101",
    ):
        assert words in text, words


def test_wallet_card_is_on_the_last_page():
    pages = page_texts(render_care_plan(example2_plan()).pdf)
    last = pages[-1]
    assert "Wallet card" in last
    assert "I have a baclofen pump" in last
    assert "DO NOT STOP SUDDENLY" in last
    assert "Dose: 360 micrograms a day" in last
    assert "24-hour number: +1 555 0199" in last


def test_spanish_handout_is_complete_and_in_spanish():
    plan = example2_plan(
        patient=PatientInfo("Rossi", "Ana María", "MRN-0042", dt.date(1980, 5, 17), "es")
    )
    report = render_care_plan(plan)
    assert report.language == "es"
    text = text_of(report.pdf)
    assert "360 microgramos al día" in text
    assert "De 22:00 a 7:00: 20 microgramos por hora" in text
    assert "lunes 14 de diciembre de 2026" in text
    assert "sábado 19 de diciembre de 2026" in text
    assert "Página 1 de" in text
    assert "Señales de falta de baclofeno" in text
    assert "text missing" not in text
    assert report.gaps == []


def test_unknown_language_falls_back_to_english():
    plan = example2_plan(language="xx")
    report = render_care_plan(plan)
    assert report.language == "en"
    assert "360 micrograms a day" in text_of(report.pdf)
    assert report.language_note == (
        "There is no “xx” translation of the care plan yet: it is printed in English."
    )
    assert render_care_plan(example2_plan()).language_note == ""


def test_draft_watermark_on_every_page_when_not_programmed_on_the_device():
    plan = example2_plan()
    plan = dataclasses.replace(
        plan, program=dataclasses.replace(plan.program, programmed_on_device=False)
    )
    pages = page_texts(render_care_plan(plan).pdf)
    for page in pages:
        assert "DRAFT" in page
    assert "has not yet been programmed on your pump" in pages[0]


def test_no_active_program_shows_gaps_never_none():
    report = render_care_plan(example2_plan(program=None, refill=None, next_appointment=None))
    text = text_of(report.pdf)
    assert "None" not in text
    assert "No pump program is recorded for you yet" in text
    assert "Ask your clinic: not yet recorded" in text
    assert "no active pump program" in text
    assert "DRAFT" not in text
    assert {"dose per day", "refill-by date", "alarm date", "next appointment"} <= set(report.gaps)


def test_invalid_stored_program_is_not_printed_as_instructions():
    broken = Program(Decimal(500), PumpMode.FLEX, (Step(60, Decimal(20)),))  # no 00:00 step
    report = render_care_plan(example2_plan(program=ProgramInfo(broken, 4, True)))
    text = text_of(report.pdf)
    assert "could not be checked" in text
    assert "20 micrograms an hour" not in text
    assert "the pump program on record is not valid" in report.gaps


def test_missing_phone_numbers_are_marked_to_be_filled_in():
    plan = example2_plan(
        clinic=ClinicInfo("Riverside Spasticity Clinic"),
        team=(TeamContact(Discipline.NURSE, "Nia King", ""),),
    )
    report = render_care_plan(plan)
    text = text_of(report.pdf)
    assert "None" not in text
    assert "To be filled in by your clinic" in text
    assert "No 24-hour number recorded yet" in text
    assert "24-hour emergency number" in report.gaps
    assert "phone of the nurse" in report.gaps


def test_no_team_no_goals_no_pump():
    report = render_care_plan(example2_plan(team=(), goals=(), pump=None))
    text = text_of(report.pdf)
    assert "No team members are recorded yet" in text
    assert "Your goals will be written here with your team" in text
    assert "ask your clinic what they sound like" in text
    assert "None" not in text


def test_a_300_character_name_wraps_and_is_printed_whole():
    family = "Bartholomew-" * 25  # 300 characters
    plan = example2_plan(patient=PatientInfo(family[:300], "Ana", "MRN-9", None, "en"))
    report = render_care_plan(plan)
    text = text_of(report.pdf).replace(" ", "")
    assert family[:300].upper() in text.upper()
    for page in page_texts(report.pdf):
        # The footer shortens the name, never the record number.
        assert "… · Record number MRN-9" in page


def test_accented_and_right_to_left_names_use_a_font_that_has_their_letters():
    accented = PatientInfo("Dvořák-Łukasiewicz", "Zoë Ørsted", "MRN-7", None, "en")
    report = render_care_plan(example2_plan(patient=accented))
    text = text_of(report.pdf)
    assert "DVOŘÁK-ŁUKASIEWICZ, Zoë Ørsted" in text
    assert any("DejaVuSans" in name for name in font_names(report.pdf))

    hebrew = PatientInfo("כהן", "שרה", "MRN-8", None, "en")
    text = text_of(render_care_plan(example2_plan(patient=hebrew)).pdf)
    shown = visual("כהן, שרה")
    assert shown != "כהן, שרה"  # reordered for display
    assert "כהן" in text or "ןהכ" in text

    arabic = PatientInfo("عبد الله", "محمد", "MRN-9", None, "en")
    report = render_care_plan(example2_plan(patient=arabic))
    assert "MRN-9" in text_of(report.pdf)


def test_page_size_follows_the_clinic_setting():
    a4 = page_sizes(render_care_plan(example2_plan()).pdf)
    letter = page_sizes(render_care_plan(example2_plan(page_size=PageSize.LETTER)).pdf)
    assert {tuple(round(v) for v in size) for size in a4} == {(595, 842)}
    assert {tuple(round(v) for v in size) for size in letter} == {(612, 792)}


def test_handout_text_is_at_least_12_point():
    styles = make_styles(12)
    for name in ("body", "body_bold", "h2", "h3", "big", "big_label", "alert", "gap", "bullet"):
        assert getattr(styles, name).fontSize >= 12, name


def test_a_missing_translation_key_shows_a_marker_and_does_not_crash(monkeypatch):
    original = translations._load

    def without_mri(language: str) -> dict[str, str]:
        data = dict(original(language))
        data.pop("care.mri.heading", None)
        return data

    monkeypatch.setattr(translations, "_load", without_mri)
    report = render_care_plan(example2_plan())
    text = text_of(report.pdf)
    assert "[text missing: care.mri.heading]" in text
    assert "translation: care.mri.heading" in report.gaps


def test_a_key_missing_in_spanish_falls_back_to_english(monkeypatch):
    original = translations._load

    def spanish_without_mri(language: str) -> dict[str, str]:
        data = dict(original(language))
        if language == "es":
            data.pop("care.mri.heading", None)
        return data

    monkeypatch.setattr(translations, "_load", spanish_without_mri)
    plan = example2_plan(language="es")
    report = render_care_plan(plan)
    assert "MRI scans" in text_of(report.pdf)
    assert "translation: care.mri.heading (es)" in report.gaps


def test_weekday_schedules_get_one_chart_each_and_a_range_of_doses():
    from carecoord.domain.program import WeekdaySchedule

    program = Program(
        Decimal(500),
        PumpMode.FLEX,
        (Step(0, Decimal(10)),),
        weekday_schedules=(
            WeekdaySchedule(5, (Step(0, Decimal(12)),)),
            WeekdaySchedule(6, (Step(0, Decimal(12)),)),
        ),
    )
    report = render_care_plan(example2_plan(program=ProgramInfo(program, 1, True)))
    text = text_of(report.pdf)
    assert "Chart for: Monday to Friday" in text
    assert "Chart for: Saturday and Sunday" in text
    assert "240 micrograms a day – 288 micrograms a day" in text


def test_stopped_pump_says_so():
    program = Program(Decimal(500), PumpMode.STOPPED)
    text = text_of(render_care_plan(example2_plan(program=ProgramInfo(program, 2, True))).pdf)
    assert "The pump is stopped: it delivers no baclofen." in text


def test_minimal_input_renders():
    """Only what the database always has: a patient, a clinic, who and when."""
    plan = CarePlanInput(
        patient=PatientInfo("Lee", "Kim", "MRN-1"),
        clinic=ClinicInfo(""),
        generated_at=GENERATED_AT,
        generated_by="",
    )
    text = text_of(render_care_plan(plan).pdf)
    assert "LEE, Kim" in text
    assert "None" not in text


@pytest.mark.parametrize("rate", ["0.5", "7.25", "100"])
def test_continuous_program_words(rate):
    program = continuous_program(Decimal(2000), Decimal(rate))
    text = text_of(render_care_plan(example2_plan(program=ProgramInfo(program, 1, True))).pdf)
    assert f"All day: {rate} micrograms an hour" in text
    assert dt.date  # keep the import used for readers of the example


def test_care_plan_for_a_refill_day_says_due_today_not_passed():
    """A batch printed for the refill day: the refill is due today, nothing has passed; on the
    alarm date it says the alarm is today; only after a date is it said to have passed."""
    plan = example2_plan()
    refill = plan.refill
    assert refill is not None and refill.alarm_date is not None
    on_due = text_of(render_care_plan(dataclasses.replace(plan, for_day=refill.refill_by)).pdf)
    assert "Your refill is due today." in on_due
    assert "has passed" not in on_due
    on_alarm = text_of(render_care_plan(dataclasses.replace(plan, for_day=refill.alarm_date)).pdf)
    assert "reaches its low-reservoir alarm today" in on_alarm and "has passed" not in on_alarm
    after = refill.alarm_date + dt.timedelta(days=1)
    assert "The alarm date has passed" in text_of(
        render_care_plan(dataclasses.replace(plan, for_day=after)).pdf
    )
    spanish = text_of(
        render_care_plan(dataclasses.replace(plan, for_day=refill.refill_by, language="es")).pdf
    )
    assert "Su recarga es hoy." in spanish
