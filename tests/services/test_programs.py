"""Pump program lifecycle services: draft, approve, programmed, withdraw, queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from carecoord.domain.enums import Origin
from carecoord.domain.errors import ValidationFailed
from carecoord.domain.program import Program, PumpMode, Step
from carecoord.domain.program_safety import Phase
from carecoord.domain.program_status import ProgramStatus
from carecoord.services import audit, programs
from carecoord.services.errors import ConflictError, PermissionDenied
from tests.services.pump_helpers import continuous, example2, implanted_patient

D = Decimal
NOW = dt.datetime.now(dt.UTC)


def messages(exc: pytest.ExceptionInfo[ValidationFailed]) -> str:
    return " | ".join(p.message for p in exc.value.problems)


def in_force(s, team, patient_id, program, *, at, reason="", reservoir="20", vendor=None):
    """Draft, approve and mark programmed; returns the programmed view."""
    draft = programs.save_draft(s, team.nurse, patient_id, program, reason=reason)
    approved = programs.approve(
        s, team.physiatrist, draft.id, draft.version, now=at - dt.timedelta(minutes=30)
    )
    return programs.mark_programmed(
        s,
        team.nurse,
        approved.id,
        approved.version,
        programmed_at=at,
        reservoir_ml=D(reservoir),
        vendor_alarm_date=vendor,
    )


def test_full_lifecycle_keeps_every_version_and_audits_each_step(db, team):
    """Draft -> approved -> programmed; a second program supersedes the first, both kept."""
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse)
        first = in_force(s, team, patient.id, continuous("15"), at=NOW - dt.timedelta(days=3))
        assert first.status is ProgramStatus.PROGRAMMED and first.number == 1
        assert programs.active_program(s, patient.id).id == first.id
        second = in_force(s, team, patient.id, continuous("18"), at=NOW - dt.timedelta(hours=1))
    with db.session() as s:
        history = programs.programs_of(s, team.pt, patient.id)
        assert [(p.number, p.status) for p in history] == [
            (2, ProgramStatus.PROGRAMMED),
            (1, ProgramStatus.SUPERSEDED),
        ]
        assert history[1].superseded_at == second.programmed_at
        assert history[0].created_by == "Nia King" and history[0].approved_by == "Dr Maria Doe"
        actions = [e.action for e in audit.patient_history(s, team.nurse, patient.id)]
        assert actions[:3] == ["programmed", "approve", "draft"]
        assert audit.verify(s).ok


def test_only_a_physiatrist_approves(db, team):
    """A nurse (even the one who drafted it) cannot approve; the refusal names who can."""
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse)
        draft = programs.save_draft(s, team.nurse, patient.id, continuous("15"))
        with pytest.raises(PermissionDenied, match="Only a physiatrist"):
            programs.approve(s, team.nurse, draft.id, draft.version)
        with pytest.raises(PermissionDenied):
            programs.save_draft(s, team.pt, patient.id, continuous("15"))
        with pytest.raises(PermissionDenied):
            programs.approve(s, team.admin, draft.id, draft.version)
    with db.session() as s:
        assert programs.get_program(s, team.pt, draft.id).status is ProgramStatus.DRAFT


def test_titration_beyond_limit_needs_reason_and_keeps_it(db, team):
    """+33 % after implant for spinal origin (limit 30 %) is approved only with a reason."""
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse)
        in_force(s, team, patient.id, continuous("15"), at=NOW - dt.timedelta(days=3))
        draft = programs.save_draft(s, team.physiatrist, patient.id, continuous("20"))
        assert draft.phase is Phase.AFTER_IMPLANT
        with pytest.raises(ValidationFailed) as exc:
            programs.approve(s, team.physiatrist, draft.id, draft.version)
        assert "30 % limit" in messages(exc)
        approved = programs.approve(
            s, team.physiatrist, draft.id, draft.version, reason="Spasms at night, tolerated"
        )
    assert approved.reason == "Spasms at night, tolerated"
    assert any("limit" in text for text in approved.acknowledged)


def test_second_increase_within_24_hours_needs_reason(db, team):
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse)
        in_force(s, team, patient.id, continuous("15"), at=NOW - dt.timedelta(days=3))
        in_force(s, team, patient.id, continuous("16"), at=NOW - dt.timedelta(hours=2))
        draft = programs.save_draft(s, team.physiatrist, patient.id, continuous("17"))
        with pytest.raises(ValidationFailed) as exc:
            programs.approve(s, team.physiatrist, draft.id, draft.version)
        assert "last 24 hours" in messages(exc)


def test_concentration_change_without_bridge_note_is_refused(db, team):
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse)
        in_force(s, team, patient.id, continuous("15"), at=NOW - dt.timedelta(days=3))
        with pytest.raises(ValidationFailed) as exc:
            programs.save_draft(s, team.physiatrist, patient.id, continuous("15", "1000"))
        assert "bridge" in messages(exc)
        bridged = Program(
            D(1000),
            PumpMode.CONTINUOUS,
            (Step(0, D(15)),),
            bridge_bolus_note="Bridge bolus of the old drug volume programmed on the device",
        )
        assert programs.save_draft(s, team.physiatrist, patient.id, bridged).number == 2


def test_stopping_needs_reason(db, team):
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse)
        in_force(s, team, patient.id, continuous("15"), at=NOW - dt.timedelta(days=3))
        stopped = Program(D(500), PumpMode.STOPPED)
        draft = programs.save_draft(s, team.physiatrist, patient.id, stopped)
        with pytest.raises(ValidationFailed, match="Stopping the pump needs a reason"):
            programs.approve(s, team.physiatrist, draft.id, draft.version)
        approved = programs.approve(
            s, team.physiatrist, draft.id, draft.version, reason="MRI; oral baclofen covers"
        )
        assert any("withdrawal" in text for text in approved.acknowledged)


@pytest.mark.parametrize(
    ("program", "words"),
    [
        (Program(D(0), PumpMode.CONTINUOUS, (Step(0, D(10)),)), "concentration"),
        (Program(D(20000), PumpMode.CONTINUOUS, (Step(0, D(10)),)), "2000"),
        (Program(D(500), PumpMode.CONTINUOUS, (Step(0, D(0)),)), "above zero"),
        (
            Program(D(500), PumpMode.FLEX, (Step(0, D(10)), Step(600, D(5)), Step(300, D(5)))),
            "order",
        ),
        (
            Program(D(500), PumpMode.FLEX, tuple(Step(i * 60, D(10)) for i in range(14))),
            "13",
        ),
    ],
)
def test_bad_programs_refused_and_nothing_saved(db, team, program, words):
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse)
        before = audit.change_counter(s)
        with pytest.raises(ValidationFailed) as exc:
            programs.save_draft(s, team.physiatrist, patient.id, program)
        assert words in messages(exc)
    with db.session() as s:
        assert programs.programs_of(s, team.nurse, patient.id) == []
        assert audit.change_counter(s) == before


def test_one_unfinished_program_at_a_time_and_withdraw(db, team):
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse)
        draft = programs.save_draft(s, team.nurse, patient.id, continuous("15"))
        with pytest.raises(ValidationFailed, match="not finished"):
            programs.save_draft(s, team.nurse, patient.id, continuous("16"))
        with pytest.raises(ValidationFailed, match="reason"):
            programs.withdraw(s, team.nurse, draft.id, draft.version, "  ")
        withdrawn = programs.withdraw(s, team.nurse, draft.id, draft.version, "Entered twice")
        assert withdrawn.status is ProgramStatus.WITHDRAWN
        assert programs.save_draft(s, team.nurse, patient.id, continuous("16")).number == 2


def test_stale_draft_edit_is_a_conflict(db, team):
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse)
        draft = programs.save_draft(s, team.nurse, patient.id, continuous("15"))
        programs.save_draft(
            s,
            team.physiatrist,
            patient.id,
            continuous("14"),
            program_id=draft.id,
            expected_version=draft.version,
        )
    with db.session() as s:
        with pytest.raises(ConflictError) as exc:
            programs.save_draft(
                s,
                team.nurse,
                patient.id,
                continuous("16"),
                program_id=draft.id,
                expected_version=draft.version,
            )
        assert "Dr Maria Doe" in exc.value.message
        with pytest.raises(ConflictError):
            programs.approve(s, team.physiatrist, draft.id, draft.version)


def test_mark_programmed_flags_alarm_mismatch(db, team):
    """Example 2 from 20 mL: (20 - 2) / 0.72 = 25 days; the programmer said 27."""
    programmed_at = NOW - dt.timedelta(minutes=10)
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse)
        day = programmed_at.astimezone(programs.clinic_zone()).date()
        view = in_force(
            s,
            team,
            patient.id,
            example2(),
            at=programmed_at,
            vendor=day + dt.timedelta(days=27),
        )
    assert view.our_alarm_date == day + dt.timedelta(days=25)
    assert view.alarm_mismatch_days == 2
    assert "2 days later" in view.alarm_mismatch_text
    with db.session() as s:
        last = audit.patient_history(s, team.nurse, patient.id)[0]
        assert "MISMATCH" in last.summary


def test_mark_programmed_refuses_bad_values(db, team):
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse)
        draft = programs.save_draft(s, team.nurse, patient.id, continuous("15"))
        approved = programs.approve(s, team.physiatrist, draft.id, draft.version)
        with pytest.raises(ValidationFailed) as exc:
            programs.mark_programmed(
                s,
                team.nurse,
                approved.id,
                approved.version,
                programmed_at=NOW + dt.timedelta(hours=2),
                reservoir_ml=D(25),
                vendor_alarm_date=None,
            )
        text = messages(exc)
        assert "future" in text and "more than this pump holds" in text
        with pytest.raises(PermissionDenied):
            programs.mark_programmed(
                s,
                team.pt,
                approved.id,
                approved.version,
                programmed_at=NOW,
                reservoir_ml=D(20),
                vendor_alarm_date=None,
            )
    with db.session() as s:
        assert programs.active_program(s, patient.id) is None


def test_programs_in_force_gives_periods_over_a_range(db, team):
    t1, t2 = NOW - dt.timedelta(days=40), NOW - dt.timedelta(days=10)
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse)
        in_force(s, team, patient.id, continuous("15"), at=t1)
        in_force(s, team, patient.id, continuous("16"), at=t2, reason="slow titration")
        everything = programs.programs_in_force(s, patient.id, t1 - dt.timedelta(days=1), NOW)
        recent = programs.programs_in_force(s, patient.id, t2 + dt.timedelta(days=1), NOW)
        old = programs.programs_in_force(s, patient.id, t1, t1 + dt.timedelta(days=1))
        by_date = programs.programs_in_force(
            s, patient.id, dt.date.today() - dt.timedelta(days=20), dt.date.today()
        )
    assert [p.effective_from for p in everything] == [t1, t2]
    assert [p.program.steps[0].rate for p in recent] == [D(16)]
    assert [p.program.steps[0].rate for p in old] == [D(15)]
    assert len(by_date) == 2


def test_unfinished_programs_across_patients(db, team):
    with db.session() as s:
        a, _ = implanted_patient(s, team.nurse, mrn="MRN-A")
        b, _ = implanted_patient(s, team.nurse, mrn="MRN-B")
        c, _ = implanted_patient(s, team.nurse, mrn="MRN-C")
        programs.save_draft(s, team.nurse, a.id, continuous("15"))
        d = programs.save_draft(s, team.nurse, b.id, continuous("15"))
        programs.approve(s, team.physiatrist, d.id, d.version)
        in_force(s, team, c.id, continuous("15"), at=NOW - dt.timedelta(days=1))
        rows = programs.unfinished_programs(s)
    assert [(r.mrn, r.status) for r in rows] == [
        ("MRN-A", ProgramStatus.DRAFT),
        ("MRN-B", ProgramStatus.APPROVED),
    ]
    assert rows[1].approved_by == "Dr Maria Doe" and rows[0].patient_name == "LOPEZ, Ana"


def test_no_pump_no_program_and_missing_origin_warns(db, team):
    with db.session() as s:
        patient, implant = implanted_patient(s, team.nurse, origin=None)
        problems = programs.check_against_active(s, patient.id, continuous("15"), Phase.MAINTENANCE)
        assert any("origin" in p.message for p in problems)
    from carecoord.services import pumps

    with db.session() as s:
        pumps.update_implant(
            s,
            team.nurse,
            implant.id,
            implant.version,
            implant.as_input().__class__(
                **{
                    **implant.as_input().__dict__,
                    "explant_date": dt.date.today(),
                    "explant_reason": "Infection",
                }
            ),
        )
        with pytest.raises(ValidationFailed, match="implanted pump first"):
            programs.save_draft(s, team.nurse, patient.id, continuous("15"))


def test_decimal_values_round_trip_exactly(db, team):
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse, origin=Origin.CEREBRAL)
        program = Program(D(500), PumpMode.CONTINUOUS, (Step(0, D("12.345")),))
        draft = programs.save_draft(s, team.nurse, patient.id, program)
    with db.session() as s:
        assert programs.get_program(s, team.nurse, draft.id).program == program


def test_approval_refused_when_the_active_program_changed_since_drafting(db, team):
    """A draft compared with an old program is not approved: its review would be wrong."""
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse)
        draft = programs.save_draft(s, team.nurse, patient.id, continuous("15"))
        programs.withdraw(s, team.nurse, draft.id, draft.version, "Redo")
        in_force(s, team, patient.id, continuous("15"), at=NOW - dt.timedelta(days=2))
        stale = programs.save_draft(s, team.nurse, patient.id, continuous("16"))
    with db.session() as s:  # simulate a program slipped in after drafting
        from carecoord.store.models_pump import PumpProgram

        row = s.get(PumpProgram, stale.id)
        row.based_on_id = None
        s.commit()
    with db.session() as s, pytest.raises(ValidationFailed, match="active program changed"):
        programs.approve(s, team.physiatrist, stale.id, stale.version + 1)


def test_two_workstations_confirm_the_same_program_once(db, team):
    """Both nurses saw version N; the second confirmation is a conflict, not a second row."""
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse)
        draft = programs.save_draft(s, team.nurse, patient.id, continuous("15"))
        approved = programs.approve(
            s, team.physiatrist, draft.id, draft.version, now=NOW - dt.timedelta(minutes=30)
        )
    first, second = db.session(), db.session()
    try:
        programs.mark_programmed(
            first,
            team.nurse,
            approved.id,
            approved.version,
            programmed_at=NOW,
            reservoir_ml=D(20),
            vendor_alarm_date=None,
        )
        with pytest.raises((ConflictError, ValidationFailed)):
            programs.mark_programmed(
                second,
                team.physiatrist,
                approved.id,
                approved.version,
                programmed_at=NOW,
                reservoir_ml=D(20),
                vendor_alarm_date=None,
            )
    finally:
        first.close()
        second.close()
    with db.session() as s:
        history = programs.programs_of(s, team.nurse, patient.id)
        assert [p.status for p in history] == [ProgramStatus.PROGRAMMED]
        assert history[0].programmed_by == "Nia King"


@pytest.mark.parametrize(
    "changes",
    [{"note": "Check the pocket site at the next visit"}, {"reason": "Spasms at night"}],
    ids=["note", "reason"],
)
def test_a_draft_edit_of_only_its_words_is_saved(db, team, changes):
    """Editing only the note (or only the reason) of a draft stores it, with an audit event:
    a save never says saved and keeps the old text."""
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse)
        draft = programs.save_draft(s, team.nurse, patient.id, continuous("15"), note="First")
    with db.session() as s:
        kept = {"note": draft.note, "reason": draft.reason, **changes}
        saved = programs.save_draft(
            s,
            team.nurse,
            patient.id,
            continuous("15"),
            program_id=draft.id,
            expected_version=draft.version,
            **kept,
        )
    assert saved.version == draft.version + 1
    with db.session() as s:
        stored = programs.get_program(s, team.nurse, draft.id)
        edits = [
            e for e in audit.patient_history(s, team.nurse, patient.id) if e.action == "update"
        ]
    assert (stored.note, stored.reason) == (kept["note"], kept["reason"])
    assert len(edits) == 1
