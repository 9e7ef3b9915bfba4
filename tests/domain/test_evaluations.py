"""Discipline evaluation forms, content validation and the sign / amend lifecycle."""

import datetime as dt
from dataclasses import replace

import pytest

from carecoord.domain.enums import Discipline
from carecoord.domain.errors import ValidationFailed
from carecoord.domain.evaluations import (
    FORMS,
    Evaluation,
    EvaluationStatus,
    FieldKind,
    current_signed,
    form_for,
    may_amend,
    may_edit,
    may_sign,
    new_draft,
    required_disciplines,
    sign,
    start_amendment,
    update_draft,
    validate_values,
)
from carecoord.domain.scales import ScaleKind
from carecoord.domain.settings import ClinicSettings
from tests.domain.builders import complete_values

NOW = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
PT = Discipline.PHYSICAL_THERAPIST


def signed(discipline=PT, id=1, when=NOW, **kw) -> Evaluation:
    draft = new_draft(discipline, "u1", complete_values(discipline, **kw), id=id)
    return sign(draft, user_id="u1", user_discipline=discipline, when=when)


def test_every_discipline_has_a_form_with_its_clinical_focus():
    """CLINICAL.md section 7: each discipline's form holds its focus fields."""
    assert set(FORMS) == set(Discipline)
    keys = {d: {f.key for f in FORMS[d].fields} for d in Discipline}
    assert {
        "diagnosis",
        "origin",
        "oral_therapy",
        "contraindications",
        "screening_route",
        "screening_dose_mcg",
        "goals",
    } <= keys[Discipline.PHYSIATRIST]
    assert {
        "tone",
        "mas",
        "tardieu",
        "range_of_motion",
        "strength",
        "transfers",
        "gait",
        "positioning",
    } <= keys[PT]
    assert {"upper_limb", "daily_activities", "seating"} <= keys[Discipline.OCCUPATIONAL_THERAPIST]
    assert {
        "systolic_mmhg",
        "weight_kg",
        "skin_and_infection",
        "bladder_and_bowel",
        "medicines",
        "allergies",
        "teaching",
    } <= keys[Discipline.NURSE]
    assert {"caregiver", "transport", "distance_km", "adherence", "coverage"} <= keys[
        Discipline.SOCIAL_WORKER
    ]
    for form in FORMS.values():
        assert {"findings", "recommendation"} <= set(form.required_keys)


def test_forms_declare_scales_and_serialise_fields():
    """Scale fields name their scale; every field spec is a plain dict for the GUI."""
    assert ScaleKind.TARDIEU in form_for(PT).scales
    assert ScaleKind.FIM in form_for(Discipline.OCCUPATIONAL_THERAPIST).scales
    spec = form_for(Discipline.NURSE).field("weight_kg").to_dict()
    assert spec["kind"] == "number" and spec["unit"] == "kg" and spec["minimum"] == "0"
    for form in FORMS.values():
        for f in form.fields:
            assert (f.kind is FieldKind.SCALE) == (f.scale is not None)
            assert (f.kind is FieldKind.CHOICE) == bool(f.choices)


def test_required_disciplines_default_to_the_whole_team():
    """By default all five disciplines must sign; a clinic can narrow the list."""
    assert required_disciplines(ClinicSettings()) == tuple(Discipline)
    narrow = ClinicSettings().with_changes(required_evaluation_disciplines="physiatrist, nurse")
    assert required_disciplines(narrow) == (Discipline.PHYSIATRIST, Discipline.NURSE)


def test_draft_accepts_partial_content_but_signing_needs_required_fields():
    """An empty draft is valid; signing lists every missing required field."""
    form = form_for(PT)
    assert validate_values(form, {}, for_signing=False) == []
    problems = validate_values(form, {"tone": "High"}, for_signing=True)
    fields = {p.field for p in problems}
    assert "tone" not in fields and {"mas", "findings", "recommendation", "gait"} <= fields


def test_content_types_are_checked_even_in_a_draft():
    """Bad scales, unknown choices, non-numbers and unknown keys are refused in a draft."""
    form = form_for(Discipline.NURSE)
    problems = validate_values(
        form,
        {
            "weight_kg": "heavy",
            "recommendation": "maybe",
            "pain": {"scale": "pain_nrs", "score": 11},
            "shoe_size": "9",
        },
        for_signing=False,
    )
    assert {p.field for p in problems} == {"weight_kg", "recommendation", "pain.score", "shoe_size"}
    negative = validate_values(form, {"weight_kg": "-3"}, for_signing=False)
    assert "from 0.5 to 650 kg" in negative[0].message


def test_reason_required_for_not_recommended_and_needs_more_information():
    """'Not recommended' and 'needs more information' need a reason to sign."""
    values = complete_values(PT, "not_recommended")
    del values["recommendation_reason"]
    problems = validate_values(form_for(PT), values, for_signing=True)
    assert [p.field for p in problems] == ["recommendation_reason"]


def test_physiatrist_screening_order_dose_rules():
    """The ordered bolus dose is 25, 50, 75 or 100 mcg and only with a bolus order."""
    form = form_for(Discipline.PHYSIATRIST)
    v = complete_values(Discipline.PHYSIATRIST)
    ok = {**v, "screening_route": "bolus_lumbar_puncture", "screening_dose_mcg": "50"}
    assert validate_values(form, ok, for_signing=True) == []
    bad = {**ok, "screening_dose_mcg": "60"}
    assert any(
        "25, 50, 75 or 100" in p.message for p in validate_values(form, bad, for_signing=False)
    )
    no_dose = {**v, "screening_route": "bolus_lumbar_puncture"}
    assert validate_values(form, no_dose, for_signing=True)[0].field == "screening_dose_mcg"
    wrong_route = {**v, "screening_route": "continuous_catheter", "screening_dose_mcg": "50"}
    assert validate_values(form, wrong_route, for_signing=False)


def test_nurse_diastolic_below_systolic():
    """Blood pressure values must be consistent."""
    values = {**complete_values(Discipline.NURSE), "systolic_mmhg": "80", "diastolic_mmhg": "90"}
    assert validate_values(form_for(Discipline.NURSE), values, for_signing=True)


def test_only_the_forms_discipline_may_sign():
    """A nurse cannot sign the PT evaluation; a PT can, and the reason says why not."""
    draft = new_draft(PT, "u1", complete_values(PT))
    nurse = may_sign(draft, Discipline.NURSE)
    assert not nurse and "Only a physical therapist signs" in nurse.reason
    assert may_sign(draft, PT)
    with pytest.raises(ValidationFailed, match="Only a physical therapist"):
        sign(draft, user_id="n1", user_discipline=Discipline.NURSE, when=NOW)


def test_incomplete_draft_cannot_be_signed_and_says_what_is_missing():
    """may_sign names the first missing field; sign raises with every problem."""
    draft = new_draft(PT, "u1", {"tone": "High"})
    permission = may_sign(draft, PT)
    assert (
        not permission and "required to sign" in permission.reason and "more" in permission.reason
    )
    with pytest.raises(ValidationFailed) as info:
        sign(draft, user_id="u1", user_discipline=PT, when=NOW)
    assert len(info.value.problems) > 1


def test_signed_evaluation_is_frozen():
    """A signed evaluation is neither edited nor signed again."""
    done = signed()
    assert done.status is EvaluationStatus.SIGNED and done.signed_at == NOW
    assert not may_edit(done, PT) and "amendment" in may_edit(done, PT).reason
    with pytest.raises(ValidationFailed):
        update_draft(done, {"tone": "Low"}, PT)
    assert may_sign(done, PT).reason == "Already signed."


def test_draft_edit_by_own_discipline_only():
    """Only the form's discipline edits its draft."""
    draft = new_draft(PT, "u1", {"tone": "High"})
    assert update_draft(draft, {"tone": "Low"}, PT).values["tone"] == "Low"
    with pytest.raises(ValidationFailed, match="Only a physical therapist edits"):
        update_draft(draft, {"tone": "Low"}, Discipline.NURSE)


def test_signing_time_must_be_aware():
    """Signing times carry a time zone."""
    draft = new_draft(PT, "u1", complete_values(PT))
    with pytest.raises(ValidationFailed, match="time zone"):
        sign(draft, user_id="u1", user_discipline=PT, when=dt.datetime(2026, 3, 10, 12))


def test_amendment_is_a_new_version_and_the_original_stays():
    """Amending gives a draft v2 pointing at v1; v1 stays in force until v2 is signed."""
    v1 = signed(id=1)
    v2 = start_amendment(v1, user_id="u2", user_discipline=PT, reason="Wrong side", id=2)
    assert v2.status is EvaluationStatus.DRAFT and v2.amends_id == 1 and v2.version == 2
    assert v2.values == v1.values and v1.status is EvaluationStatus.SIGNED
    assert current_signed([v1, v2])[PT] is v1
    v2 = update_draft(v2, {**v2.values, "tone": "Moderate"}, PT)
    v2s = sign(v2, user_id="u2", user_discipline=PT, when=NOW + dt.timedelta(hours=1))
    assert current_signed([v1, v2s])[PT] is v2s


def test_amendment_rules():
    """Amend only signed, latest versions, by the own discipline, with a reason."""
    v1 = signed(id=1)
    with pytest.raises(ValidationFailed, match="Say why"):
        start_amendment(v1, user_id="u", user_discipline=PT, reason=" ")
    assert not may_amend(v1, Discipline.NURSE)
    assert not may_amend(new_draft(PT, "u"), PT)
    v2 = start_amendment(v1, user_id="u", user_discipline=PT, reason="typo", id=2)
    blocked = may_amend(v1, PT, [v1, v2])
    assert not blocked and "amendment in draft" in blocked.reason


def test_amendment_without_reason_cannot_be_signed():
    """An amendment record that lost its reason is not signable."""
    v1 = signed(id=1)
    v2 = start_amendment(v1, user_id="u", user_discipline=PT, reason="typo", id=2)
    assert "needs a reason" in may_sign(replace(v2, amendment_reason=""), PT).reason


def test_current_signed_picks_the_latest_per_discipline():
    """Of two independent signed evaluations the later one is in force; drafts never are."""
    old = signed(id=1, when=NOW - dt.timedelta(days=400))
    new = signed(id=2, when=NOW)
    nurse_draft = new_draft(Discipline.NURSE, "u", {})
    current = current_signed([new, old, nurse_draft])
    assert current == {PT: new}


def test_evaluation_round_trips():
    """An evaluation survives the dict round trip."""
    e = signed(id=3)
    assert Evaluation.from_dict(e.to_dict()) == e
