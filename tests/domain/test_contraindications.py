"""Contraindication screen, minimum age and the wait after a brain injury (CLINICAL.md 1)."""

import datetime as dt

import pytest

from carecoord.domain.contraindications import (
    Contraindication,
    ContraindicationKind,
    ContraindicationScreen,
    FindingEffect,
    add_years,
    age_in_years,
    assess_contraindications,
)
from carecoord.domain.diagnoses import Diagnosis
from carecoord.domain.errors import ValidationFailed
from carecoord.domain.settings import ClinicSettings

TODAY = dt.date(2026, 3, 10)
SETTINGS = ClinicSettings()


def clear_screen(**present: bool) -> ContraindicationScreen:
    answers = {c: False for c in Contraindication}
    answers.update({Contraindication(k): v for k, v in present.items()})
    return ContraindicationScreen(1, TODAY, answers)


def codes(findings, effect=None):
    return {f.code for f in findings if effect is None or f.effect is effect}


def test_kinds_follow_clinical_reference():
    """Absolute, acute and relative items are the ones listed in CLINICAL.md section 1."""
    by_kind = {k: {c for c in Contraindication if c.kind is k} for k in ContraindicationKind}
    assert Contraindication.BACLOFEN_HYPERSENSITIVITY in by_kind[ContraindicationKind.ABSOLUTE]
    assert Contraindication.NON_HEALING_WOUND in by_kind[ContraindicationKind.ABSOLUTE]
    assert Contraindication.MS_RELAPSE in by_kind[ContraindicationKind.ACUTE]
    assert len(by_kind[ContraindicationKind.RELATIVE]) == 5


def test_clear_screen_has_no_findings():
    """A screen with every item absent, an adult and no brain injury give nothing."""
    findings = assess_contraindications(
        clear_screen(), today=TODAY, settings=SETTINGS, birth_date=dt.date(1980, 1, 1)
    )
    assert findings == []


@pytest.mark.parametrize(
    "item",
    [c for c in Contraindication if c.kind is not ContraindicationKind.RELATIVE],
)
def test_absolute_and_acute_items_block(item):
    """Every absolute item and acute event blocks."""
    findings = assess_contraindications(
        clear_screen(**{item.value: True}), today=TODAY, settings=SETTINGS
    )
    assert codes(findings, FindingEffect.BLOCKS) == {item.value}


def test_relative_items_warn_unless_the_setting_blocks():
    """Relative contraindications warn by default and block when the clinic says so [39]."""
    screen = clear_screen(poor_adherence=True)
    warn = assess_contraindications(screen, today=TODAY, settings=SETTINGS)
    assert codes(warn, FindingEffect.WARNS) == {"poor_adherence"}
    strict = SETTINGS.with_changes(relative_contraindications_block=True)
    block = assess_contraindications(screen, today=TODAY, settings=strict)
    assert codes(block, FindingEffect.BLOCKS) == {"poor_adherence"}


def test_unanswered_items_block_or_warn_by_kind():
    """An unanswered absolute item blocks; an unanswered relative item warns."""
    answers = {c: False for c in Contraindication}
    del answers[Contraindication.SPINAL_ANOMALY]
    del answers[Contraindication.PSYCHOTIC_DISORDER]
    findings = assess_contraindications(
        ContraindicationScreen(1, TODAY, answers), today=TODAY, settings=SETTINGS
    )
    assert codes(findings, FindingEffect.BLOCKS) == {"not_assessed:spinal_anomaly"}
    assert codes(findings, FindingEffect.WARNS) == {"not_assessed:psychotic_disorder"}


def test_screen_refuses_unknown_items_and_non_boolean_answers():
    """Only listed items, answered True or False."""
    with pytest.raises(ValidationFailed):
        ContraindicationScreen(1, TODAY, {"gout": True})
    with pytest.raises(ValidationFailed):
        ContraindicationScreen(1, TODAY, {"ms_relapse": "yes"})


def test_screen_round_trips():
    """A screen survives the dict round trip."""
    screen = clear_screen(athetosis=True)
    assert ContraindicationScreen.from_dict(screen.to_dict()) == screen


def test_under_four_blocks_without_a_reason_and_warns_with_one():
    """Under 4 years safety is not established [2]: blocks unless a reason is written."""
    birth = dt.date(2022, 3, 11)  # 3 years old on TODAY, 4 tomorrow
    blocked = assess_contraindications(
        clear_screen(), today=TODAY, settings=SETTINGS, birth_date=birth
    )
    assert codes(blocked, FindingEffect.BLOCKS) == {"young_age"}
    assert blocked[0].until == dt.date(2026, 3, 11)
    screen = ContraindicationScreen(
        1, TODAY, clear_screen().answers, young_age_reason="Severe dystonia"
    )
    allowed = assess_contraindications(screen, today=TODAY, settings=SETTINGS, birth_date=birth)
    assert codes(allowed, FindingEffect.WARNS) == {"young_age"}
    on_birthday = assess_contraindications(
        clear_screen(), today=dt.date(2026, 3, 11), settings=SETTINGS, birth_date=birth
    )
    assert on_birthday == []


def test_tbi_wait_one_year():
    """After a traumatic brain injury wait at least 1 year [1][3]; the anniversary is allowed."""
    injury = dt.date(2025, 3, 11)
    kwargs = {
        "settings": SETTINGS,
        "diagnosis": Diagnosis.TRAUMATIC_BRAIN_INJURY,
        "injury_date": injury,
    }
    before = assess_contraindications(clear_screen(), today=dt.date(2026, 3, 10), **kwargs)
    assert codes(before, FindingEffect.BLOCKS) == {"tbi_wait"}
    assert before[0].until == dt.date(2026, 3, 11)
    assert assess_contraindications(clear_screen(), today=dt.date(2026, 3, 11), **kwargs) == []


def test_tbi_without_injury_date_blocks_and_other_diagnoses_do_not_wait():
    """A brain injury needs its date; a stroke last month does not trigger the TBI wait."""
    findings = assess_contraindications(
        clear_screen(), today=TODAY, settings=SETTINGS, diagnosis=Diagnosis.TRAUMATIC_BRAIN_INJURY
    )
    assert codes(findings) == {"tbi_injury_date_missing"}
    stroke = assess_contraindications(
        clear_screen(),
        today=TODAY,
        settings=SETTINGS,
        diagnosis=Diagnosis.STROKE,
        injury_date=TODAY - dt.timedelta(days=30),
    )
    assert stroke == []


def test_date_helpers_handle_leap_days():
    """29 February plus a year is 1 March; age counts whole years."""
    assert add_years(dt.date(2024, 2, 29), 1) == dt.date(2025, 3, 1)
    assert age_in_years(dt.date(2020, 3, 10), dt.date(2026, 3, 9)) == 5
    assert age_in_years(dt.date(2020, 3, 10), dt.date(2026, 3, 10)) == 6
