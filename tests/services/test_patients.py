"""Patient registry services: validation, uniqueness, conflicts, search, team, retiring."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from carecoord.domain.enums import Discipline, Origin, PatientStatus, Sex
from carecoord.domain.errors import ValidationFailed
from carecoord.domain.patients import PatientInput
from carecoord.services import audit, patients
from carecoord.services.errors import ConflictError, PermissionDenied


def sample(mrn: str = "MRN-001", **overrides) -> PatientInput:
    values = dict(
        mrn=mrn,
        family_name="Lopez",
        given_names="Ana",
        date_of_birth=dt.date(1980, 5, 17),
        sex=Sex.FEMALE,
        weight_kg=Decimal("64.5"),
        diagnosis="Spinal cord injury",
        origin=Origin.SPINAL,
        injury_level="T4",
        status=PatientStatus.EVALUATING,
    )
    values.update(overrides)
    return PatientInput(**values)


def problems_of(exc: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return {p.field: p.message for p in exc.value.problems}


def test_create_and_read_back(db, team):
    with db.session() as s:
        created = patients.create_patient(s, team.nurse, sample())
    with db.session() as s:
        read = patients.get_patient(s, team.pt, created.id)
    assert read.mrn == "MRN-001" and read.weight_kg == Decimal("64.5") and read.version == 1
    assert read.display_name == "LOPEZ, Ana"


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"mrn": ""}, "mrn", "Enter the medical record number"),
        ({"mrn": "   "}, "mrn", "Enter the medical record number"),
        ({"date_of_birth": dt.date.today() + dt.timedelta(days=1)}, "date_of_birth", "future"),
        ({"weight_kg": Decimal("0")}, "weight_kg", "not possible"),
        ({"weight_kg": Decimal("900")}, "weight_kg", "not possible"),
        ({"family_name": "x" * 10_000}, "family_name", "too long"),
        ({"given_names": "Ana\x00\x07"}, "given_names", "control characters"),
        ({"mrn": "1'; DROP TABLE patients;--"}, "mrn", "only letters"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(db, team, overrides, field, words):
    """Each bad value is named on its field; the database is left unchanged."""
    with db.session() as s, pytest.raises(ValidationFailed) as exc:
        patients.create_patient(s, team.nurse, sample(**overrides))
    assert words in problems_of(exc)[field]
    with db.session() as s:
        assert patients.search_patients(s, team.nurse).total == 0
        assert audit.change_counter(s) == 0


def test_sql_in_free_text_is_stored_literally(db, team):
    """Text that looks like SQL is data, kept as typed and found by search."""
    nasty = "Robert'); DROP TABLE patients;--"
    with db.session() as s:
        p = patients.create_patient(s, team.nurse, sample(given_names=nasty, notes="% _ \\ '"))
    with db.session() as s:
        assert patients.get_patient(s, team.nurse, p.id).given_names == nasty
        assert patients.search_patients(s, team.nurse, "drop table").total == 1
        assert patients.search_patients(s, team.nurse, "%").total == 0


def test_duplicate_record_number_is_refused_with_the_owner(db, team):
    with db.session() as s:
        patients.create_patient(s, team.nurse, sample("A-1"))
    with db.session() as s, pytest.raises(ValidationFailed) as exc:
        patients.create_patient(s, team.nurse, sample("a-1", family_name="Other"))
    assert "already used by LOPEZ, Ana" in problems_of(exc)["mrn"]


def test_stale_save_is_a_conflict_naming_who_and_what(db, team):
    """Two users edit version 1; the second save is refused and says who changed what."""
    with db.session() as s:
        p = patients.create_patient(s, team.nurse, sample())
    mine = p.as_input()
    mine.weight_kg = Decimal("66")
    theirs = p.as_input()
    theirs.phone = "+1 555 0199"
    with db.session() as s:
        patients.update_patient(s, team.pt, p.id, 1, theirs)
    with db.session() as s, pytest.raises(ConflictError) as exc:
        patients.update_patient(s, team.nurse, p.id, 1, mine)
    conflict = exc.value
    assert conflict.changed_by.startswith("Priya Patel")
    labels = {f.label for f in conflict.fields}
    assert "Phone" in labels and "Weight" in labels
    assert "not saved" in conflict.message
    with db.session() as s:
        stored = patients.get_patient(s, team.nurse, p.id)
    assert (
        stored.phone == "+1 555 0199"
        and stored.weight_kg == Decimal("64.5")
        and stored.version == 2
    )


def test_update_records_only_changed_fields_in_audit(db, team):
    with db.session() as s:
        p = patients.create_patient(s, team.nurse, sample())
    edit = p.as_input()
    edit.allergies = "Penicillin"
    with db.session() as s:
        patients.update_patient(s, team.nurse, p.id, p.version, edit)
        history = audit.patient_history(s, team.nurse, p.id)
    assert history[0].summary == "Edited Allergies"
    assert history[0].changes == [("allergies", "—", "Penicillin")]


def test_search_matches_every_word_on_name_or_record_number_ignoring_accents(db, team):
    with db.session() as s:
        patients.create_patient(
            s, team.nurse, sample("Z-1", family_name="Zoë", given_names="Brontë")
        )
        patients.create_patient(
            s, team.nurse, sample("Z-2", family_name="Zola", given_names="Emil")
        )
        patients.create_patient(
            s, team.nurse, sample("Q-9", family_name="Quinn", given_names="Ann")
        )
    with db.session() as s:
        assert [r.mrn for r in patients.search_patients(s, team.nurse, "zoe bron").rows] == ["Z-1"]
        assert {r.mrn for r in patients.search_patients(s, team.nurse, "z-").rows} == {"Z-1", "Z-2"}
        page = patients.search_patients(s, team.nurse, "", sort="mrn", descending=True, limit=2)
        assert [r.mrn for r in page.rows] == ["Z-2", "Z-1"] and page.total == 3
        only = patients.search_patients(s, team.nurse, statuses={PatientStatus.EVALUATING})
        assert only.total == 3
        counts = patients.count_by_status(s, team.nurse)
        assert counts[PatientStatus.EVALUATING] == 3 and counts[PatientStatus.IMPLANTED] == 0


def test_team_assignment_and_my_patients(db, team):
    with db.session() as s:
        p = patients.create_patient(s, team.nurse, sample())
        patients.assign_team_member(
            s, team.nurse, p.id, Discipline.PHYSIATRIST, team.physiatrist.user_id
        )
        view = patients.assign_team_member(
            s, team.nurse, p.id, Discipline.NURSE, team.nurse.user_id
        )
    assert [m.full_name for m in view.team] == ["Dr Maria Doe", "Nia King"]
    with db.session() as s:
        assert [r.id for r in patients.my_patients(s, team.physiatrist)] == [p.id]
        assert patients.my_patients(s, team.ot) == []
        with pytest.raises(ValidationFailed, match="not a physical therapist"):
            patients.assign_team_member(
                s, team.nurse, p.id, Discipline.PHYSICAL_THERAPIST, team.ot.user_id
            )


def test_retire_needs_reason_and_permission(db, team):
    with db.session() as s:
        p = patients.create_patient(s, team.nurse, sample())
    with db.session() as s, pytest.raises(PermissionDenied, match="physiatrist, a nurse"):
        patients.retire_patient(s, team.social_worker, p.id, p.version, "moved away")
    with db.session() as s, pytest.raises(ValidationFailed, match="reason"):
        patients.retire_patient(s, team.nurse, p.id, p.version, "  ")
    with db.session() as s:
        retired = patients.retire_patient(s, team.nurse, p.id, p.version, "Moved to another clinic")
    assert (
        retired.status is PatientStatus.RETIRED
        and retired.retired_reason == "Moved to another clinic"
    )


def test_search_finds_word_beginnings_of_names_and_record_number_parts(db, team):
    """'brien' finds O'Brien, '10002' finds CC-10002, 'obr' finds O'Brien; mid-word text does not."""
    with db.session() as s:
        patients.create_patient(
            s, team.nurse, sample("CC-10002", family_name="O'Brien", given_names="Seán")
        )
        patients.create_patient(
            s, team.nurse, sample("CC-20003", family_name="García", given_names="Ana María")
        )
    with db.session() as s:

        def found(text: str) -> list[str]:
            return [r.mrn for r in patients.search_patients(s, team.nurse, text).rows]

        assert found("brien") == ["CC-10002"] and found("obr") == ["CC-10002"]
        assert found("10002") == ["CC-10002"] and found("cc-2") == ["CC-20003"]
        assert found("garcia maria") == ["CC-20003"] and found("sean o'b") == ["CC-10002"]
        assert found("arcia") == []


def test_renaming_a_patient_updates_search(db, team):
    with db.session() as s:
        p = patients.create_patient(s, team.nurse, sample("R-1", family_name="Smith"))
    edit = p.as_input()
    edit.family_name = "Jones"
    with db.session() as s:
        patients.update_patient(s, team.nurse, p.id, p.version, edit)
        assert patients.search_patients(s, team.nurse, "smith").total == 0
        assert patients.search_patients(s, team.nurse, "jones").total == 1
