"""Complete, valid content for each discipline's evaluation and the steps of the pathway, used by
the service, GUI and demo-like tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from carecoord.domain.contraindications import Contraindication
from carecoord.domain.enums import Discipline, Origin, PatientStatus, Sex
from carecoord.domain.patients import PatientInput
from carecoord.services import candidacy, evaluations, patients

MAS_BASELINE = {
    "scale": "mas",
    "ratings": [
        {"muscle_group": "Hip adductors", "side": "left", "grade": "3"},
        {"muscle_group": "Hip adductors", "side": "right", "grade": "3"},
        {"muscle_group": "Knee flexors (hamstrings)", "side": "left", "grade": "2"},
    ],
}


def mas(*grades: str) -> dict[str, Any]:
    groups = [(r["muscle_group"], r["side"]) for r in MAS_BASELINE["ratings"]]
    return {
        "scale": "mas",
        "ratings": [
            {"muscle_group": g, "side": s, "grade": grade}
            for (g, s), grade in zip(groups, grades, strict=True)
        ],
    }


COMPLETE: dict[Discipline, dict[str, Any]] = {
    Discipline.PHYSIATRIST: {
        "diagnosis": "spinal_cord_injury",
        "origin": "spinal",
        "oral_therapy": "Baclofen 80 mg a day for 6 months without effect.",
        "contraindications": "None found.",
        "goals": "Easier transfers and sleep through the night.",
        "mas": MAS_BASELINE,
        "screening_route": "bolus_lumbar_puncture",
        "screening_dose_mcg": "50",
        "findings": "Severe lower-limb spasticity of spinal origin.",
        "recommendation": "proceed_to_screening",
    },
    Discipline.PHYSICAL_THERAPIST: {
        "tone": "Marked extensor tone both legs.",
        "mas": MAS_BASELINE,
        "range_of_motion": "Hip abduction limited to 15 degrees.",
        "strength": "Upper limbs 5/5.",
        "transfers": "Sliding board with one helper.",
        "gait": "Non-ambulatory.",
        "positioning": "Scissoring in the wheelchair.",
        "findings": "Tone limits transfers and seating.",
        "recommendation": "proceed_to_screening",
    },
    Discipline.OCCUPATIONAL_THERAPIST: {
        "upper_limb": "Functional.",
        "daily_activities": "Needs help with lower-body dressing.",
        "seating": "Slides forward in the chair with spasms.",
        "barthel": {"scale": "barthel", "total": 45},
        "findings": "Spasms interrupt dressing and seating.",
        "recommendation": "proceed_to_screening",
    },
    Discipline.NURSE: {
        "systolic_mmhg": "124",
        "diastolic_mmhg": "78",
        "heart_rate_per_min": "72",
        "weight_kg": "64.5",
        "skin_and_infection": "Skin intact, no infection.",
        "bladder_and_bowel": "Intermittent catheterisation.",
        "medicines": "Baclofen 20 mg four times a day.",
        "allergies": "None known",
        "teaching": "Pump refills explained to patient and partner.",
        "findings": "Fit for screening.",
        "recommendation": "proceed_to_screening",
    },
    Discipline.SOCIAL_WORKER: {
        "caregiver": "Partner at home.",
        "transport": "Adapted van; 40 minutes to the clinic.",
        "adherence": "good",
        "coverage": "Insurance confirmed.",
        "findings": "Can attend refill visits.",
        "recommendation": "proceed_to_screening",
    },
}


def add_patient(session, actor, mrn: str = "P-1", **kw: Any) -> patients.PatientView:
    values: dict[str, Any] = dict(
        mrn=mrn,
        family_name="Rivera",
        given_names="Ana",
        date_of_birth=dt.date(1980, 5, 17),
        sex=Sex.FEMALE,
        weight_kg=Decimal("64.5"),
        diagnosis="Spinal cord injury, complete",
        origin=Origin.SPINAL,
        injury_level="T4",
        injury_date=dt.date(2018, 3, 1),
        status=PatientStatus.REFERRED,
    )
    values.update(kw)
    return patients.create_patient(session, actor, PatientInput(**values))


def sign_all(session, team, patient_id: int, skip: tuple[Discipline, ...] = ()) -> None:
    for d in Discipline:
        if d in skip:
            continue
        actor = team.of(d)
        ev = evaluations.start_evaluation(session, actor, patient_id, d, COMPLETE[d])
        evaluations.sign_evaluation(session, actor, ev.id, ev.version)


def work_up(session, team, patient_id: int) -> None:
    """Oral therapy exhausted, no contraindication, goals documented."""
    candidacy.record_oral_trial(
        session,
        team.physiatrist,
        patient_id,
        agent="baclofen",
        highest_daily_dose_mg="80",
        duration_days=180,
        outcome="ineffective",
    )
    candidacy.save_screen(
        session,
        team.physiatrist,
        patient_id,
        answers={c.value: False for c in Contraindication},
        assessed_on=dt.date.today(),
    )
    candidacy.add_goal(
        session, team.nurse, patient_id, area="mobility", description="Transfers with one helper"
    )


def screening(session, actor, patient_id: int, dose: int, given_at: dt.datetime, *after: str):
    """A bolus with the baseline and post-dose Ashworth grades at 1 h, 2 h and 4 h."""
    trial = candidacy.record_screening_trial(
        session,
        actor,
        patient_id,
        route="bolus_lumbar_puncture",
        given_at=given_at,
        dose_mcg=str(dose),
        baseline={"taken_at": given_at - dt.timedelta(minutes=30), "mas": MAS_BASELINE},
    )
    for hours, grades in zip((1, 2, 4), after, strict=False):
        vitals = {"systolic_mmhg": "120", "diastolic_mmhg": "75", "heart_rate_per_min": "70"}
        trial = candidacy.add_assessment(
            session,
            actor,
            trial.id,
            trial.version,
            {
                "taken_at": given_at + dt.timedelta(hours=hours),
                "mas": mas(*grades.split()),
                "vitals": vitals,
            },
        )
    return trial
