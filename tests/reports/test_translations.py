"""Handout text as data: both languages complete, placeholders consistent, program words."""

from __future__ import annotations

import datetime as dt
import json
import string
from decimal import Decimal

import pytest

from carecoord.domain.program import (
    OneTimeBolus,
    PeriodicBolus,
    Program,
    PumpMode,
    RateUnit,
    Step,
    WeekdaySchedule,
    continuous_program,
    describe_program,
)
from carecoord.reports.program_words import localized_program_lines, program_lines
from carecoord.reports.translations import (
    GAP_MARKER,
    Translator,
    available_languages,
    translations_dir,
)
from tests.domain.pump_examples import example2

D = Decimal


def _load(language: str) -> dict[str, str]:
    return json.loads((translations_dir() / f"{language}.json").read_text(encoding="utf-8"))


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_language_has_every_english_key_with_the_same_placeholders():
    english = _load("en")
    languages = available_languages()
    assert {"en", "es"} <= set(languages)
    for language in languages:
        other = _load(language)
        assert set(other) == set(english), (language, set(english) ^ set(other))
        for key, template in english.items():
            assert _fields(other[key]) == _fields(template), (language, key)


def test_no_handout_text_writes_a_dose_unit_that_can_be_misread():
    for language in available_languages():
        for key, text in _load(language).items():
            for bad in ("µg", " ug", "mcg"):
                assert bad not in text, (language, key)


def test_missing_key_and_missing_value_give_markers_not_errors():
    tr = Translator("en")
    assert tr.text("no.such.key") == GAP_MARKER.format(key="no.such.key")
    assert tr.text("care.record") == "Record number: [mrn?]"
    assert "no.such.key" in tr.gaps


def test_numbers_and_dates_in_the_language_style():
    es, en = Translator("es"), Translator("en")
    assert es.number(D("0.5")) == "0,5"
    assert en.number(D("0.50")) == "0.5"
    assert es.number(D(2000)) == "2000"
    assert en.number(D(2000)) == "2000"
    day = dt.date(2026, 12, 14)
    assert en.date(day) == "Monday 14 December 2026"
    assert es.date(day) == "lunes 14 de diciembre de 2026"


PROGRAMS = [
    example2(),
    continuous_program(D(2000), D("0.2"), RateUnit.ML_PER_DAY),
    continuous_program(D(500), D("16.667")),
    Program(D(500), PumpMode.STOPPED),
    Program(
        D(1000),
        PumpMode.FLEX,
        (Step(0, D(10)), Step(450, D(15)), Step(1230, D(10))),
        weekday_schedules=(
            WeekdaySchedule(5, (Step(0, D(12)),)),
            WeekdaySchedule(6, (Step(0, D(12)),)),
        ),
    ),
    Program(
        D(500),
        PumpMode.PERIODIC_BOLUS,
        (Step(0, D(8)),),
        periodic_bolus=PeriodicBolus(D(25), 30, (480, 1200)),
    ),
    Program(
        D(500),
        PumpMode.ONE_TIME_BOLUS,
        (Step(0, D(10)),),
        one_time_bolus=OneTimeBolus(D(50), 60),
    ),
]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.mode.value)
def test_english_templates_say_exactly_what_describe_program_says(program):
    """The translated path cannot drift from the domain's wording."""
    assert localized_program_lines(program, Translator("en")) == describe_program(program)
    assert program_lines(program, Translator("en")) == describe_program(program)


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.mode.value)
def test_spanish_program_lines_have_no_gaps(program):
    tr = Translator("es")
    lines = program_lines(program, tr)
    assert lines[0].startswith("Baclofeno")
    assert tr.gaps == []
    assert not any("[" in line for line in lines)


def test_spanish_weekday_program():
    lines = program_lines(PROGRAMS[4], Translator("es"))
    assert "De lunes a viernes:" in lines
    assert "Sábado y domingo:" in lines
    assert "En total de lunes a viernes: 305 microgramos al día" in lines
