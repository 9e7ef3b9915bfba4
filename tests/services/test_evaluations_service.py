"""Evaluations: drafts, signing by the own discipline only, frozen signed forms, amendments that
keep the original, conflicts on stale versions, audit on every change (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from carecoord.domain.enums import Discipline, PatientStatus
from carecoord.domain.evaluations import EvaluationStatus
from carecoord.services import evaluations, patients
from carecoord.services.errors import ConflictError, PermissionDenied, ValidationFailed
from carecoord.store.models import AuditEvent
from carecoord.store.models_candidacy import EvaluationRow
from tests.services.pathway_builders import COMPLETE, MAS_BASELINE, add_patient


def _counts(s):
    return (
        s.scalar(select(func.count(EvaluationRow.id))),
        s.scalar(select(func.count(AuditEvent.id))),
    )


def test_draft_then_sign_by_own_discipline(db, team):
    """A nurse starts and signs the nursing evaluation; the patient moves to evaluating."""
    with db.session() as s:
        p = add_patient(s, team.nurse)
        ev = evaluations.start_evaluation(s, team.nurse, p.id, Discipline.NURSE, {})
        assert ev.status is EvaluationStatus.DRAFT
        assert patients.get_patient(s, team.nurse, p.id).status is PatientStatus.EVALUATING
        ev = evaluations.save_draft(s, team.nurse, ev.id, ev.version, COMPLETE[Discipline.NURSE])
        signed = evaluations.sign_evaluation(s, team.nurse, ev.id, ev.version)
        assert signed.status is EvaluationStatus.SIGNED and signed.in_force
        assert signed.signed_by_name == "Nia King"
        actions = [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
        assert actions[-4:] == ["create", "status", "update", "sign"]


def test_signing_another_disciplines_evaluation_is_refused(db, team):
    """A physical therapist cannot sign (or edit) the nursing evaluation; nothing changes."""
    with db.session() as s:
        p = add_patient(s, team.nurse)
        ev = evaluations.start_evaluation(
            s, team.nurse, p.id, Discipline.NURSE, COMPLETE[Discipline.NURSE]
        )
        before = _counts(s)
        with pytest.raises(PermissionDenied, match="Only a nurse signs"):
            evaluations.sign_evaluation(s, team.pt, ev.id, ev.version)
        with pytest.raises(PermissionDenied, match="Only a nurse"):
            evaluations.save_draft(s, team.pt, ev.id, ev.version, {"findings": "x"})
        with pytest.raises(PermissionDenied):
            evaluations.start_evaluation(s, team.pt, p.id, Discipline.OCCUPATIONAL_THERAPIST)
        with pytest.raises(PermissionDenied):
            evaluations.sign_evaluation(s, team.admin, ev.id, ev.version)
        assert _counts(s) == before
        assert evaluations.get_evaluation(s, team.nurse, ev.id).status is EvaluationStatus.DRAFT


def test_editing_a_signed_form_is_refused_and_amendment_keeps_the_original(db, team):
    with db.session() as s:
        p = add_patient(s, team.nurse)
        ev = evaluations.start_evaluation(
            s, team.nurse, p.id, Discipline.NURSE, COMPLETE[Discipline.NURSE]
        )
        signed = evaluations.sign_evaluation(s, team.nurse, ev.id, ev.version)
        changed = {**COMPLETE[Discipline.NURSE], "weight_kg": "66"}
        with pytest.raises(ValidationFailed, match="frozen"):
            evaluations.save_draft(s, team.nurse, signed.id, signed.version, changed)
        with pytest.raises(ValidationFailed, match="why"):
            evaluations.start_amendment(s, team.nurse, signed.id, "  ")
        amendment = evaluations.start_amendment(s, team.nurse, signed.id, "Weighed again")
        amendment = evaluations.save_draft(s, team.nurse, amendment.id, amendment.version, changed)
        versions = evaluations.list_evaluations(s, team.nurse, p.id)
        original = next(v for v in versions if v.id == signed.id)
        assert original.values["weight_kg"] == "64.5" and original.in_force
        assert original.amended_by_id == amendment.id
        evaluations.sign_evaluation(s, team.nurse, amendment.id, amendment.version)
        versions = evaluations.list_evaluations(s, team.nurse, p.id)
        assert [v.in_force for v in versions] == [False, True]
        assert "replaced by an amendment" in versions[0].state_words
        assert versions[1].title == "Nursing evaluation, amendment 1"


@pytest.mark.parametrize("grade", ["5", "1-"])
def test_bad_mas_grade_is_refused_with_nothing_saved(db, team, grade):
    """A MAS of “5” or “1-” is refused naming the grade; the draft keeps its old content."""
    with db.session() as s:
        p = add_patient(s, team.pt)
        ev = evaluations.start_evaluation(s, team.pt, p.id, Discipline.PHYSICAL_THERAPIST)
        before = _counts(s)
        bad = {
            "mas": {
                "scale": "mas",
                "ratings": [{"muscle_group": "Hip adductors", "side": "left", "grade": grade}],
            },
            "tone": "Marked",
        }
        with pytest.raises(ValidationFailed) as info:
            evaluations.save_draft(s, team.pt, ev.id, ev.version, bad)
        assert f"“{grade}” is not one of 0, 1, 1+, 2, 3, 4" in str(info.value)
        assert _counts(s) == before
        assert evaluations.get_evaluation(s, team.pt, ev.id).values == {}


def test_tardieu_r1_beyond_r2_is_refused(db, team):
    with db.session() as s:
        p = add_patient(s, team.pt)
        tardieu = {
            "scale": "tardieu",
            "measurements": [
                {
                    "muscle_group": "Ankle plantar flexors",
                    "side": "left",
                    "r1_deg": "40",
                    "r2_deg": "20",
                    "quality": 2,
                }
            ],
        }
        with pytest.raises(ValidationFailed, match="cannot be beyond R2"):
            evaluations.start_evaluation(
                s, team.pt, p.id, Discipline.PHYSICAL_THERAPIST, {"tardieu": tardieu}
            )
        assert evaluations.list_evaluations(s, team.pt, p.id) == []


def test_signing_needs_every_required_field(db, team):
    with db.session() as s:
        p = add_patient(s, team.pt)
        ev = evaluations.start_evaluation(
            s, team.pt, p.id, Discipline.PHYSICAL_THERAPIST, {"mas": MAS_BASELINE}
        )
        with pytest.raises(ValidationFailed, match="required to sign"):
            evaluations.sign_evaluation(s, team.pt, ev.id, ev.version)
        assert evaluations.get_evaluation(s, team.pt, ev.id).status is EvaluationStatus.DRAFT


def test_stale_draft_save_is_a_conflict_with_yours_and_theirs(db, team, password_hash):
    """Two workstations edit the same draft: the second save is refused, naming the field."""
    with db.session() as s:
        p = add_patient(s, team.nurse)
        ev = evaluations.start_evaluation(s, team.nurse, p.id, Discipline.NURSE)
        evaluations.save_draft(s, team.nurse, ev.id, ev.version, {"weight_kg": "70"})
        with pytest.raises(ConflictError) as info:
            evaluations.save_draft(s, team.nurse, ev.id, ev.version, {"weight_kg": "71"})
        field = info.value.fields[0]
        assert (field.label, field.yours, field.theirs) == ("Weight", "71", "70")
        assert "Nia King" in info.value.message


def test_one_evaluation_per_discipline_and_awaiting_signature(db, team):
    with db.session() as s:
        p = add_patient(s, team.nurse)
        patients.assign_team_member(s, team.nurse, p.id, Discipline.NURSE, team.nurse.user_id)
        evaluations.start_evaluation(s, team.nurse, p.id, Discipline.NURSE, {"weight_kg": "60"})
        with pytest.raises(ValidationFailed, match="already has a nursing evaluation"):
            evaluations.start_evaluation(s, team.nurse, p.id, Discipline.NURSE)
        waiting = evaluations.awaiting_signature(s, team.nurse)
        assert [(w.patient, w.discipline) for w in waiting] == [("RIVERA, Ana", Discipline.NURSE)]
        assert waiting[0].missing > 0
        assert evaluations.awaiting_signature(s, team.pt) == []
