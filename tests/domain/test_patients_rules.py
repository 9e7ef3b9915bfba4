"""Patient record rules: search tokens and field validation."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecoord.domain.enums import Origin, PatientStatus
from carecoord.domain.patients import (
    PatientInput,
    prefix_upper_bound,
    query_terms,
    search_tokens,
    validate_patient,
)

TODAY = dt.date(2026, 11, 24)


def test_tokens_cover_name_words_punctuation_variants_and_record_number_parts():
    tokens = search_tokens("O'Brien-Smith", "Zoë", "CC-10002")
    assert {
        "o'brien-smith",
        "obriensmith",
        "o",
        "brien",
        "smith",
        "zoe",
        "cc-10002",
        "cc",
        "10002",
    } <= tokens


@given(st.text(max_size=200), st.text(max_size=200), st.text(max_size=40))
def test_every_typed_word_of_a_name_finds_it(family, given_names, mrn):
    """Typing any word of the stored name (or its beginning) matches one of its tokens."""
    tokens = search_tokens(family, given_names, mrn)
    for term in query_terms(f"{family} {given_names}"):
        assert any(t.startswith(term[:10]) for t in tokens)


def test_valid_record_has_no_errors_and_weight_bounds_are_clear():
    data = PatientInput(
        mrn="A-1",
        family_name="Lopez",
        given_names="Ana",
        date_of_birth=dt.date(1980, 1, 1),
        weight_kg=Decimal("64"),
        origin=Origin.CEREBRAL,
        status=PatientStatus.EVALUATING,
    )
    assert validate_patient(data, TODAY) == []
    data.weight_kg = Decimal("0.4")
    assert [p.field for p in validate_patient(data, TODAY)] == ["weight_kg"]
    data.weight_kg = Decimal("651")
    assert "kilograms" in validate_patient(data, TODAY)[0].message


@pytest.mark.parametrize(
    ("term", "bound"),
    [
        ("gar", "gas"),
        ("cc-1", "cc-2"),
        ("a\U0010ffff", "b"),  # the last code point carries over
        ("\U0010ffff\U0010ffff", None),  # nothing comes after: no upper bound
        ("x\ud7ff", "x\ue000"),  # never a surrogate, which cannot be stored
    ],
)
def test_prefix_upper_bound(term: str, bound: str | None):
    assert prefix_upper_bound(term) == bound


@given(st.text(min_size=1, max_size=8))  # hypothesis text holds no surrogates
def test_every_text_with_the_prefix_lies_below_the_bound(term: str):
    bound = prefix_upper_bound(term)
    if bound is not None:
        bound.encode("utf-8")  # storable
        for tail in ("", "a", "\U0010ffff", "zzz"):
            assert term <= term + tail < bound
