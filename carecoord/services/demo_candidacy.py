"""Demo content of the way to an implant, made through the services (with audit):

- patients under evaluation at every step: evaluations in draft and signed, oral trials,
  contraindication screens, goals, screening trials (negative 50 then positive 75 mcg, a
  negative ladder up to 100 mcg), some ready for team review;
- candidates, declined and implanted patients with the decisions of a past meeting (one patient
  not discussed there and carried over);
- a planned meeting with its agenda and the team marked present.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy.orm import Session

from carecoord.domain.contraindications import Contraindication
from carecoord.domain.diagnoses import Diagnosis, diagnosis_from_text
from carecoord.domain.enums import Discipline, Origin, PatientStatus
from carecoord.domain.units import format_date
from carecoord.services import candidacy, evaluations, meetings
from carecoord.services.demo import DemoClinic
from carecoord.services.patients import PatientView

# Enough patients per group for realistic screens without slowing a large demo down.
PER_GROUP = 6
GROUPS = ("Hip adductors", "Knee flexors (hamstrings)", "Ankle plantar flexors")


def _mas(grades: list[str]) -> dict[str, Any]:
    ratings = []
    for (group, side), grade in zip(
        [(g, s) for g in GROUPS for s in ("left", "right")], grades, strict=False
    ):
        ratings.append({"muscle_group": group, "side": side, "grade": grade})
    return {"scale": "mas", "ratings": ratings}


def _values(discipline: Discipline, p: PatientView, rng: random.Random) -> dict[str, Any]:
    baseline = _mas(["3", "3", "2", "2", "3", "1+"])
    recommendation = "proceed_to_screening"
    if discipline is Discipline.PHYSIATRIST:
        diagnosis = diagnosis_from_text(p.diagnosis) or Diagnosis.OTHER
        origin = p.origin or diagnosis.usual_origin or Origin.CEREBRAL
        return {
            "diagnosis": diagnosis.value,
            "diagnosis_details": p.diagnosis,
            "origin": origin.value,
            "oral_therapy": "Oral baclofen at the usual maximum without enough effect; "
            "drowsy on tizanidine.",
            "contraindications": "None found on the screen.",
            "goals": rng.choice(
                [
                    "Easier transfers and perineal care; sleep without spasms.",
                    "Sit in the wheelchair all day; less pain at night.",
                    "Walk short distances with a frame; less scissoring.",
                ]
            ),
            "mas": baseline,
            "penn": {"scale": "penn", "frequency": rng.choice([3, 4]), "severity": 2},
            "pain": {"scale": "pain_nrs", "score": rng.randint(4, 8)},
            "screening_route": "bolus_lumbar_puncture",
            "screening_dose_mcg": "50",
            "findings": "Severe spasticity despite oral therapy; a good candidate for screening.",
            "recommendation": recommendation,
        }
    if discipline is Discipline.PHYSICAL_THERAPIST:
        return {
            "tone": "Marked extensor tone in both legs, clonus at the ankles.",
            "mas": baseline,
            "tardieu": {
                "scale": "tardieu",
                "measurements": [
                    {
                        "muscle_group": "Ankle plantar flexors",
                        "side": "left",
                        "r1_deg": "-10",
                        "r2_deg": "5",
                        "quality": 3,
                    }
                ],
            },
            "range_of_motion": "Hip abduction limited to 15 degrees each side.",
            "strength": "Upper limbs 4/5; lower limbs hard to test through tone.",
            "transfers": "Sliding board with one helper.",
            "gait": rng.choice(["Non-ambulatory.", "Ten metres with a frame and one helper."]),
            "positioning": "Scissoring in the wheelchair; slides forward.",
            "findings": "Tone limits transfers, seating and hygiene.",
            "recommendation": recommendation,
        }
    if discipline is Discipline.OCCUPATIONAL_THERAPIST:
        return {
            "upper_limb": "Functional reach; fine motor intact.",
            "daily_activities": "Needs help with lower-body dressing and bathing.",
            "seating": "Spasms push the patient out of the seat several times a day.",
            "barthel": {"scale": "barthel", "total": rng.choice([35, 45, 55])},
            "findings": "Spasms interrupt dressing and seating.",
            "recommendation": recommendation,
        }
    if discipline is Discipline.NURSE:
        return {
            "systolic_mmhg": str(rng.randint(112, 138)),
            "diastolic_mmhg": str(rng.randint(68, 86)),
            "heart_rate_per_min": str(rng.randint(60, 88)),
            "weight_kg": str(p.weight_kg or 60),
            "skin_and_infection": "Skin intact; no infection.",
            "bladder_and_bowel": "Intermittent catheterisation; bowel programme daily.",
            "medicines": "Oral baclofen, bowel care, vitamin D.",
            "allergies": p.allergies or "None known",
            "teaching": "Screening and pump refills explained to the patient and family.",
            "pain": {"scale": "pain_nrs", "score": rng.randint(3, 7)},
            "findings": "Fit for screening.",
            "recommendation": recommendation,
        }
    return {
        "caregiver": p.caregiver_name or "Lives with family who help daily.",
        "transport": "Adapted transport; about an hour to the clinic.",
        "distance_km": str(rng.randint(5, 90)),
        "adherence": "good",
        "coverage": "Insurance approval for screening confirmed.",
        "findings": "Can attend refill visits every one to three months.",
        "recommendation": recommendation,
    }


def _signed_evaluations(
    session: Session,
    clinic: DemoClinic,
    p: PatientView,
    when: dt.datetime,
    disciplines: tuple[Discipline, ...] = tuple(Discipline),
    drafts: tuple[Discipline, ...] = (),
) -> None:
    for d in Discipline:
        if d not in disciplines and d not in drafts:
            continue
        actor = clinic.by_discipline(d)
        ev = evaluations.start_evaluation(session, actor, p.id, d, _values(d, p, clinic.rng))
        if d in disciplines:
            evaluations.sign_evaluation(
                session,
                actor,
                ev.id,
                ev.version,
                when=when + dt.timedelta(hours=list(Discipline).index(d)),
            )


def _work_up(session: Session, clinic: DemoClinic, p: PatientView, on: dt.date) -> None:
    md, rn = clinic.physiatrist, clinic.nurse
    candidacy.record_oral_trial(
        session,
        md,
        p.id,
        agent="baclofen",
        highest_daily_dose_mg=clinic.rng.choice(["80", "90", "100"]),
        duration_days=clinic.rng.choice([90, 120, 180]),
        outcome="ineffective",
    )
    candidacy.record_oral_trial(
        session,
        md,
        p.id,
        agent="tizanidine",
        highest_daily_dose_mg="12",
        duration_days=30,
        outcome="not_tolerated",
        side_effects="Drowsiness and low blood pressure",
    )
    candidacy.save_screen(
        session,
        md,
        p.id,
        answers={c.value: False for c in Contraindication},
        assessed_on=on,
        notes="Urine culture negative; skin over the abdomen and spine intact.",
    )
    for area, text in clinic.rng.sample(
        [
            ("mobility", "Transfers bed to chair with one helper instead of two"),
            ("sleep", "Sleeps through the night without spasms waking them"),
            ("caregiver_time", "Morning care done in 30 minutes instead of an hour"),
            ("wheelchair_tolerance", "Sits in the wheelchair for 6 hours"),
            ("pain", "Night pain below 4 out of 10"),
        ],
        3,
    ):
        candidacy.add_goal(session, rn, p.id, area=area, description=text)


def _trial(
    session: Session,
    clinic: DemoClinic,
    p: PatientView,
    dose: int,
    given_at: dt.datetime,
    after: list[list[str]],
    event: str | None = None,
) -> None:
    rn = clinic.nurse
    baseline = _mas(["3", "3", "2", "2", "3", "1+"])
    trial = candidacy.record_screening_trial(
        session,
        rn,
        p.id,
        route="bolus_lumbar_puncture",
        given_at=given_at,
        dose_mcg=str(dose),
        baseline={"taken_at": given_at - dt.timedelta(minutes=30), "mas": baseline},
        notes="L3-L4 puncture, clear fluid.",
    )
    for hours, grades in zip((1, 2, 4, 6), after, strict=False):
        trial = candidacy.add_assessment(
            session,
            rn,
            trial.id,
            trial.version,
            {
                "taken_at": given_at + dt.timedelta(hours=hours),
                "mas": _mas(grades),
                "vitals": {
                    "systolic_mmhg": str(clinic.rng.randint(108, 132)),
                    "diastolic_mmhg": str(clinic.rng.randint(64, 82)),
                    "heart_rate_per_min": str(clinic.rng.randint(62, 84)),
                    "oxygen_saturation_percent": "97",
                },
            },
        )
    if event:
        candidacy.add_adverse_event(
            session,
            rn,
            trial.id,
            trial.version,
            event=event,
            at=given_at + dt.timedelta(hours=3),
            details="Mild, settled with rest and fluids",
        )


NO_RESPONSE = [
    ["3", "3", "2", "2", "3", "1+"],
    ["3", "2", "2", "2", "3", "1+"],
    ["3", "3", "2", "2", "3", "1"],
]
RESPONSE = [
    ["2", "2", "1+", "1", "2", "1"],
    ["1", "1", "1", "1", "1+", "0"],
    ["1", "1+", "1", "1", "1", "1"],
]


def _positive_ladder(
    session: Session, clinic: DemoClinic, p: PatientView, start: dt.datetime
) -> None:
    """No response to 50 mcg, a response to 75 mcg the next day [9][10]."""
    _trial(session, clinic, p, 50, start, NO_RESPONSE)
    _trial(session, clinic, p, 75, start + dt.timedelta(days=1), RESPONSE, event="headache")


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 0)).astimezone(dt.UTC)


def demo_step(session: Session, clinic: DemoClinic) -> None:
    today = clinic.today
    md, rn = clinic.physiatrist, clinic.nurse
    team_ids = [clinic.by_discipline(d).user_id for d in Discipline]
    past = today - dt.timedelta(days=14)

    decided = clinic.with_status(PatientStatus.CANDIDATE)[:PER_GROUP]
    declined = clinic.with_status(PatientStatus.DECLINED)[:PER_GROUP]
    # Implanted demo patients got their pumps months or years ago (pump demo step): their work-up
    # predates this record, so no recent meeting approves them.
    implanted: list[PatientView] = []
    evaluating = clinic.with_status(PatientStatus.EVALUATING)[: PER_GROUP * 2]
    referred = clinic.with_status(PatientStatus.REFERRED)[:PER_GROUP]

    # Patients decided at the meeting two weeks ago: worked up and screened before it.
    for p in [*decided, *declined, *implanted]:
        work_up_day = past - dt.timedelta(days=40 if p in implanted else 21)
        _signed_evaluations(session, clinic, p, _at(work_up_day, 9))
        _work_up(session, clinic, p, work_up_day)
        _positive_ladder(session, clinic, p, _at(work_up_day + dt.timedelta(days=7), 9))
    carried = evaluating[:1]
    for p in carried:  # ready then, not reached at the meeting: carried over
        _signed_evaluations(session, clinic, p, _at(past - dt.timedelta(days=20), 9))
        _work_up(session, clinic, p, past - dt.timedelta(days=20))
        _positive_ladder(session, clinic, p, _at(past - dt.timedelta(days=10), 9))

    if decided or declined or implanted or carried:
        m = meetings.schedule_meeting(
            session,
            rn,
            held_on=past,
            starts_at="14:00",
            location="Rehabilitation centre, room 2",
            today=past,
        )
        on_agenda = {a.patient_id for a in m.agenda}
        for p in [*implanted, *decided, *declined]:
            if p.id not in on_agenda:  # their status today is past the review: add them
                m = meetings.add_to_agenda(session, rn, m.id, m.version, p.id)
        m = meetings.set_attendance(session, rn, m.id, m.version, team_ids)
        for p in [*implanted, *decided]:
            m = meetings.record_decision(
                session, md, m.id, m.version, p.id, "approve_implant", today=past
            )
        reasons = [
            "Spasticity helps with standing transfers; the patient prefers to continue oral "
            "therapy.",
            "The family cannot attend refill visits every one to three months.",
            "Goals are met with botulinum toxin and physiotherapy.",
        ]
        for index, p in enumerate(declined):
            m = meetings.record_decision(
                session,
                md,
                m.id,
                m.version,
                p.id,
                "decline",
                reason=reasons[index % len(reasons)],
                today=past,
            )
        meetings.finish_meeting(session, rn, m.id, m.version)

    # Patients under evaluation now, each at a different step.
    # Referred patients beyond the first two join in, so a small demo shows every step.
    rest = [*evaluating[1:], *referred[2:]]
    recent = _at(today - dt.timedelta(days=12), 9)
    for index, p in enumerate(rest):
        step = index % 5
        if step == 0:  # ready for team review
            _signed_evaluations(session, clinic, p, recent)
            _work_up(session, clinic, p, recent.date())
            _positive_ladder(session, clinic, p, recent + dt.timedelta(days=5))
        elif step == 1:  # escalation pending: no response to 50 mcg yesterday
            _signed_evaluations(session, clinic, p, recent)
            _work_up(session, clinic, p, recent.date())
            _trial(session, clinic, p, 50, _at(today - dt.timedelta(days=1), 9), NO_RESPONSE)
        elif step == 2:  # evaluations still in progress
            _signed_evaluations(
                session,
                clinic,
                p,
                recent,
                disciplines=(Discipline.PHYSIATRIST, Discipline.NURSE, Discipline.SOCIAL_WORKER),
                drafts=(Discipline.PHYSICAL_THERAPIST,),
            )
        elif step == 3:  # no response up to 100 mcg: screening negative
            _signed_evaluations(session, clinic, p, recent)
            _work_up(session, clinic, p, recent.date())
            for day, dose in enumerate((50, 75, 100)):
                _trial(session, clinic, p, dose, recent + dt.timedelta(days=3 + day), NO_RESPONSE)
        else:  # oral therapy not yet at its maximum
            _signed_evaluations(session, clinic, p, recent)
            candidacy.record_oral_trial(
                session,
                md,
                p.id,
                agent="baclofen",
                highest_daily_dose_mg="30",
                duration_days=45,
                outcome="partial",
            )
    for p in referred[:2]:  # a first draft started
        evaluations.start_evaluation(
            session,
            rn,
            p.id,
            Discipline.NURSE,
            {"weight_kg": str(p.weight_kg or 60), "allergies": p.allergies or "None known"},
        )

    m = meetings.schedule_meeting(
        session,
        rn,
        held_on=today + dt.timedelta(days=7),
        starts_at="14:00",
        location="Rehabilitation centre, room 2",
    )
    meetings.set_attendance(
        session,
        rn,
        m.id,
        m.version,
        team_ids[:4],  # the social worker has not confirmed yet
    )
    clinic.notes.append(
        f"Team meeting on {format_date(m.held_on)} with {len(m.agenda)} patient(s) on the agenda."
    )
