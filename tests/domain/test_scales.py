"""Clinical scales: labels, ranges, scoring and the dict round trip (CLINICAL.md section 7)."""

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecoord.domain.errors import ValidationFailed
from carecoord.domain.scales import (
    FIM_ITEMS,
    MAS_LABELS,
    BarthelScore,
    FimAssessment,
    GasAssessment,
    GasGoal,
    GmfcsLevel,
    MasAssessment,
    MasRating,
    PainScore,
    PennScore,
    ScaleKind,
    Side,
    TardieuAssessment,
    TardieuMeasurement,
    gas_t_score,
    mas_value,
    pain_change,
    parse_mas_grade,
    scale_from_dict,
)

# --- Modified Ashworth ---------------------------------------------------------------------


def test_mas_has_exactly_six_labels():
    """The six MAS labels are 0, 1, 1+, 2, 3, 4 in that order [44]."""
    assert MAS_LABELS == ("0", "1", "1+", "2", "3", "4")


@given(st.text(max_size=4))
def test_mas_parsing_accepts_exactly_the_six_labels(text):
    """Any text other than the six labels (after trimming spaces) is refused."""
    if text.strip() in MAS_LABELS:
        assert parse_mas_grade(text) == text.strip()
    else:
        with pytest.raises(ValidationFailed):
            parse_mas_grade(text)


@pytest.mark.parametrize("bad", ["5", "1-", "-1", "1.5", "2+", "", "one", 1, None, 1.5])
def test_mas_refuses_wrong_grades(bad):
    """Grades outside the scale, such as 5 or 1-, and non-text values are refused."""
    with pytest.raises(ValidationFailed, match="Modified Ashworth"):
        parse_mas_grade(bad)


def test_mas_one_plus_counts_one_and_a_half():
    """For averages 1+ counts as 1.5; other labels count as their number [44]."""
    assert mas_value("1+") == Decimal("1.5")
    assert [mas_value(x) for x in ("0", "1", "2", "3", "4")] == [0, 1, 2, 3, 4]


def test_mas_mean_over_groups_and_sides():
    """The mean is over every rated group and side, exactly in Decimal."""
    a = MasAssessment(
        (
            MasRating("Hip adductors", Side.LEFT, "1+"),
            MasRating("Hip adductors", Side.RIGHT, "3"),
            MasRating("Ankle plantar flexors", Side.LEFT, "2"),
        )
    )
    assert a.mean() == Decimal("6.5") / 3
    assert "MAS mean 2.17" in a.summary()


def test_mas_refuses_the_same_group_and_side_twice():
    """A group and side is graded once per assessment (case and spaces ignored)."""
    with pytest.raises(ValidationFailed, match="graded twice"):
        MasAssessment(
            (MasRating("Hip adductors", Side.LEFT, "1"), MasRating(" hip  ADDUCTORS", "left", "2"))
        )


def test_mas_same_group_both_sides_is_allowed():
    """Left and right of one group are two ratings."""
    a = MasAssessment(
        (MasRating("Elbow flexors", "left", "1"), MasRating("Elbow flexors", "right", "1"))
    )
    assert len(a.ratings) == 2


def test_mas_empty_and_bad_side_are_refused_with_fields():
    """An empty assessment, a missing group and an unknown side each name their field."""
    with pytest.raises(ValidationFailed, match="at least one"):
        MasAssessment(())
    with pytest.raises(ValidationFailed) as info:
        MasAssessment(({"muscle_group": "", "side": "up", "grade": "5"},))
    fields = {p.field for p in info.value.problems}
    assert fields == {"ratings[0].muscle_group", "ratings[0].side", "ratings[0].grade"}


def test_mas_round_trips_through_json():
    """to_dict gives JSON text that scale_from_dict turns back into the same assessment."""
    a = MasAssessment((MasRating("Knee extensors", Side.RIGHT, "1+"),))
    text = json.dumps(a.to_dict())
    assert scale_from_dict(json.loads(text)) == a


# --- Penn --------------------------------------------------------------------------------


@pytest.mark.parametrize("frequency", [1, 2, 3, 4])
@pytest.mark.parametrize("severity", [1, 2, 3])
def test_penn_accepts_frequency_1_to_4_with_severity_1_to_3(frequency, severity):
    """Every frequency 1-4 pairs with a severity 1-3 [45]."""
    assert PennScore(frequency, severity).severity == severity


def test_penn_no_spasms_has_no_severity():
    """Frequency 0 takes no severity, and giving one is refused [45]."""
    assert PennScore(0).severity is None
    with pytest.raises(ValidationFailed, match="no spasms"):
        PennScore(0, 1)


@pytest.mark.parametrize(
    ("frequency", "severity"), [(5, 1), (-1, None), (2, None), (2, 0), (2, 4), (True, 1)]
)
def test_penn_refuses_out_of_range(frequency, severity):
    """Frequency beyond 0-4, a missing or out-of-range severity and booleans are refused."""
    with pytest.raises(ValidationFailed):
        PennScore(frequency, severity)


def test_penn_round_trip_and_words():
    """A Penn score survives the dict round trip and says what it means."""
    score = PennScore(4, 3)
    assert scale_from_dict(score.to_dict()) == score
    assert "more than 10 times an hour" in score.summary()


# --- Tardieu -----------------------------------------------------------------------------


def test_tardieu_dynamic_component_is_r2_minus_r1():
    """The angle lost to a fast stretch is R2 - R1."""
    m = TardieuMeasurement("Ankle plantar flexors", Side.LEFT, Decimal(-5), Decimal(15), 2)
    assert m.dynamic_component_deg == 20
    assert m.speed.value == "V3"


def test_tardieu_refuses_r1_beyond_r2():
    """The catch cannot come after the end of the passive range [46]."""
    with pytest.raises(ValidationFailed, match="R1"):
        TardieuMeasurement("Hamstrings", Side.RIGHT, Decimal(100), Decimal(90), 2)


def test_tardieu_r1_equal_to_r2_is_allowed():
    """R1 equal to R2 (no dynamic component) is valid."""
    assert TardieuMeasurement("Hamstrings", "right", "90", "90", 0).dynamic_component_deg == 0


@pytest.mark.parametrize("quality", [-1, 6, "x"])
def test_tardieu_quality_is_0_to_5(quality):
    """Quality of muscle reaction is 0-5 [46]."""
    with pytest.raises(ValidationFailed, match="Quality"):
        TardieuMeasurement("Hamstrings", "right", "10", "90", quality)


def test_tardieu_speed_is_v1_or_v3_and_round_trips():
    """Only V1 and V3 are accepted; an assessment round-trips through a dict."""
    with pytest.raises(ValidationFailed, match="Speed"):
        TardieuMeasurement("Hamstrings", "right", "10", "90", 1, "V2")
    a = TardieuAssessment((TardieuMeasurement("Hamstrings", "right", "10.5", "90", 1, "V1"),))
    assert scale_from_dict(json.loads(json.dumps(a.to_dict()))) == a


# --- GAS ---------------------------------------------------------------------------------

scores_st = st.lists(st.integers(-2, 2), min_size=1, max_size=8)


@given(st.integers(1, 10))
def test_gas_t_score_is_50_when_all_goals_are_met_as_expected(n):
    """All goals at 0 (expected level) give T = 50 exactly [47]."""
    assert gas_t_score([0] * n) == 50


@given(scores_st)
def test_gas_t_score_is_symmetric(scores):
    """Negating every score mirrors T around 50."""
    assert gas_t_score(scores) + gas_t_score([-s for s in scores]) == 100


@given(scores_st, st.data())
def test_gas_weights_scale_invariant(scores, data):
    """Multiplying every weight by the same factor leaves T unchanged (to 20 digits)."""
    weights = [Decimal(data.draw(st.integers(1, 9))) for _ in scores]
    factor = Decimal(data.draw(st.integers(2, 5)))
    a = gas_t_score(scores, weights)
    b = gas_t_score(scores, [w * factor for w in weights])
    assert abs(a - b) < Decimal("1e-20")


def test_gas_known_values():
    """Worked values of the formula with rho = 0.3 [47]."""
    assert gas_t_score([1]) == 60
    assert gas_t_score([2]) == 70
    # Two equal goals at +1: 50 + 10*2/sqrt(0.7*2 + 0.3*4) = 50 + 20/sqrt(2.6)
    assert gas_t_score([1, 1]) == Decimal(50) + Decimal(20) / Decimal("2.6").sqrt()
    # Weighted: w = (1, 2), x = (2, -1): sum wx = 0 -> 50
    assert gas_t_score([2, -1], [Decimal(1), Decimal(2)]) == 50


def test_gas_goal_validation():
    """Scores beyond -2..+2, empty descriptions and non-positive weights are refused."""
    with pytest.raises(ValidationFailed, match="-2 to 2"):
        GasGoal("Sit for 2 hours", 3)
    with pytest.raises(ValidationFailed, match="goal"):
        GasGoal("  ", 0)
    with pytest.raises(ValidationFailed, match="more than 0"):
        GasGoal("Sleep", 0, Decimal(0))
    assert GasGoal("Sleep", 0, None).weight == 1  # type: ignore[arg-type]


def test_gas_assessment_round_trip_and_summary():
    """A GAS assessment keeps weights as exact text and reports its T-score."""
    a = GasAssessment((GasGoal("Transfers", 1, Decimal("1.5")), GasGoal("Sleep", -1)))
    back = scale_from_dict(json.loads(json.dumps(a.to_dict())))
    assert back == a
    assert a.summary().startswith("GAS T-score")


# --- GMFCS, pain, FIM, Barthel -----------------------------------------------------------


@pytest.mark.parametrize(("given_", "level"), [(1, 1), ("III", 3), ("v", 5), ("2", 2)])
def test_gmfcs_accepts_numbers_and_roman(given_, level):
    """GMFCS is I-V, given as a number or a roman numeral [48]."""
    assert GmfcsLevel(given_).level == level


@pytest.mark.parametrize("bad", [0, 6, "VI", "", None])
def test_gmfcs_refuses_other_levels(bad):
    """Levels outside I-V are refused."""
    with pytest.raises(ValidationFailed):
        GmfcsLevel(bad)


@given(st.integers(-5, 15))
def test_pain_nrs_is_0_to_10(score):
    """Pain NRS accepts exactly 0-10 [49]."""
    if 0 <= score <= 10:
        assert PainScore(score).score == score
    else:
        with pytest.raises(ValidationFailed):
            PainScore(score)


@given(st.integers(0, 10), st.integers(0, 10))
def test_pain_change_of_two_or_more_is_meaningful(before, after):
    """A change of at least 2 points either way is meaningful [49]."""
    change = pain_change(before, after)
    assert change.meaningful == (abs(after - before) >= 2)


def test_pain_change_words():
    """The words say better, worse or no meaningful change."""
    assert pain_change(7, 4).words.startswith("Pain better by 3")
    assert pain_change(3, 5).words.startswith("Pain worse by 2")
    assert pain_change(5, 4).words.startswith("No meaningful change")


def _fim(value):
    return {key: value for key, _ in FIM_ITEMS}


def test_fim_has_18_items_and_totals_18_to_126():
    """FIM is 18 items scored 1-7: totals from 18 to 126 [50]."""
    assert len(FIM_ITEMS) == 18
    assert FimAssessment(_fim(1)).total == 18
    full = FimAssessment(_fim(7))
    assert full.total == 126 and full.motor + full.cognitive == 126


def test_fim_refuses_missing_unknown_and_out_of_range_items():
    """Every item is required, each 1-7; unknown items are refused."""
    items = _fim(4)
    del items["memory"]
    items["eating"] = 8
    items["juggling"] = 3
    with pytest.raises(ValidationFailed) as info:
        FimAssessment(items)
    fields = {p.field for p in info.value.problems}
    assert fields == {"items.memory", "items.eating", "items.juggling"}


@given(st.lists(st.integers(1, 7), min_size=18, max_size=18))
def test_fim_total_is_sum_and_round_trips(values):
    """The total is the sum of the items and survives the dict round trip."""
    a = FimAssessment({key: v for (key, _), v in zip(FIM_ITEMS, values, strict=True)})
    assert a.total == sum(values)
    assert scale_from_dict(a.to_dict()) == a


@pytest.mark.parametrize(
    ("total", "ok"), [(0, True), (100, True), (55, True), (-1, False), (101, False)]
)
def test_barthel_is_0_to_100(total, ok):
    """Barthel Index accepts 0-100 (CLINICAL.md section 7)."""
    if ok:
        assert BarthelScore(total).total == total
    else:
        with pytest.raises(ValidationFailed):
            BarthelScore(total)


def test_scale_from_dict_refuses_unknown_and_mismatched_scales():
    """An unknown scale name or a scale of the wrong kind is refused."""
    with pytest.raises(ValidationFailed, match="Unknown scale"):
        scale_from_dict({"scale": "glasgow"})
    with pytest.raises(ValidationFailed, match="Expected"):
        scale_from_dict(PainScore(3).to_dict(), expected=ScaleKind.BARTHEL)


@pytest.mark.parametrize(
    "result",
    [
        MasAssessment((MasRating("Wrist flexors", "left", "0"),)),
        PennScore(2, 1),
        GmfcsLevel(4),
        PainScore(0),
        BarthelScore(35),
        GasAssessment((GasGoal("Dressing", -2),)),
    ],
)
def test_every_scale_round_trips_through_json(result):
    """Each scale's to_dict is JSON text that rebuilds an equal result."""
    assert scale_from_dict(json.loads(json.dumps(result.to_dict()))) == result


@pytest.mark.parametrize("text", ["+-3", "３", "²", "3.0", " ", "0x3"])
def test_whole_numbers_typed_oddly_are_refused_not_crashing(text):
    """Odd text (double signs, non-ASCII digits, decimals) is a clear refusal, never a crash."""
    with pytest.raises(ValidationFailed):
        PainScore(text)


def test_whole_numbers_as_text_are_read():
    """Text from a form field such as " 7 " or "+2" is read as a whole number."""
    assert PainScore(" 7 ").score == 7
    assert GmfcsLevel("+2").level == 2
