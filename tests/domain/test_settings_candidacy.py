"""Candidacy and meeting settings appended to ClinicSettings."""

from decimal import Decimal

from carecoord.domain.settings import ClinicSettings, ScreeningResponseRule


def test_candidacy_defaults_come_from_clinical_reference():
    """TBI wait 1 year [1][3], minimum age 4 [2], one oral agent [8], response rule [41]."""
    s = ClinicSettings()
    assert s.tbi_wait_years == 1 and s.min_age_years == 4
    assert s.min_oral_agents_tried == 1
    assert s.screening_response_rule is ScreeningResponseRule.MAS_MEAN_1
    assert s.oral_near_max_fraction == Decimal("0.75")


def test_new_settings_round_trip_as_text():
    """The appended settings survive the store's text form."""
    s = ClinicSettings().with_changes(
        oral_near_max_fraction=Decimal("0.9"),
        tbi_wait_years=2,
        required_evaluation_disciplines="physiatrist,nurse",
        screening_response_rule=ScreeningResponseRule.MAS_BY_ORIGIN,
    )
    assert ClinicSettings.from_dict(s.to_dict()) == s
