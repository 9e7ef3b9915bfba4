"""The demo clinic: a realistic team and patients at every status, for trying the app.

Features extend the demo through ``DEMO_STEP_MODULES``: each step receives the session and the
``DemoClinic`` built so far and adds its own records (evaluations, programs, refills...), so
every screen has realistic content.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from carecoord.domain.enums import Discipline, Origin, PatientStatus, Sex
from carecoord.domain.patients import PatientInput, search_tokens
from carecoord.domain.users import UserInput
from carecoord.services import audit, patients, users
from carecoord.services.context import SYSTEM, Actor
from carecoord.services.patients import PatientView
from carecoord.services.settings import update_settings
from carecoord.store.models import Patient, PatientSearchToken

DEMO_PASSWORD = "demo-password"
# Patients created one by one through the services (with audit); the rest are bulk rows.
DETAILED_LIMIT = 300

STAFF = [
    ("admin", "Alex Morgan", None, True, "+1 555 0100"),
    ("dr.rivera", "Dr Elena Rivera", Discipline.PHYSIATRIST, False, "+1 555 0101"),
    ("pt.okafor", "James Okafor", Discipline.PHYSICAL_THERAPIST, False, "+1 555 0102"),
    ("ot.lindqvist", "Sofia Lindqvist", Discipline.OCCUPATIONAL_THERAPIST, False, "+1 555 0103"),
    ("rn.chen", "Grace Chen", Discipline.NURSE, False, "+1 555 0104"),
    ("sw.haddad", "Omar Haddad", Discipline.SOCIAL_WORKER, False, "+1 555 0105"),
]

FAMILY = [
    "Abbott",
    "Bauer",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fischer",
    "García",
    "Huang",
    "Ibrahim",
    "Jensen",
    "Kowalski",
    "Lambert",
    "Müller",
    "Nakamura",
    "O'Brien",
    "Patel",
    "Quintero",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Usman",
    "Virtanen",
    "Walsh",
    "Xu",
    "Yilmaz",
    "Zielinski",
    "Moreau",
    "Novak",
    "Haddad",
    "Silva",
    "Kim",
    "Larsen",
    "Bianchi",
    "Costa",
    "Dahl",
]
GIVEN = [
    "Amelia",
    "Ben",
    "Chloé",
    "Daniel",
    "Elif",
    "Felix",
    "Grace",
    "Hugo",
    "Isabel",
    "Jonas",
    "Kiran",
    "Léa",
    "Mateo",
    "Nora",
    "Oscar",
    "Priya",
    "Rafael",
    "Sara",
    "Tomás",
    "Una",
    "Victor",
    "Wen",
    "Yusuf",
    "Zoë",
    "Aisha",
    "Marta",
    "Noah",
    "Ingrid",
    "Luca",
    "Maya",
]
DIAGNOSES = [
    ("Spinal cord injury, complete", Origin.SPINAL, ["C6", "T4", "T6", "T10"]),
    ("Spinal cord injury, incomplete", Origin.SPINAL, ["C5", "T2", "T8", "L1"]),
    ("Multiple sclerosis, secondary progressive", Origin.SPINAL, [""]),
    ("Hereditary spastic paraplegia", Origin.SPINAL, [""]),
    ("Cerebral palsy, spastic diplegia", Origin.CEREBRAL, [""]),
    ("Cerebral palsy, spastic quadriplegia", Origin.CEREBRAL, [""]),
    ("Traumatic brain injury", Origin.CEREBRAL, [""]),
    ("Stroke, left hemiplegia", Origin.CEREBRAL, [""]),
    ("Hypoxic brain injury", Origin.CEREBRAL, [""]),
]
LANGUAGES = ["en"] * 6 + ["fr", "es"]
ALLERGIES = ["", "", "", "Penicillin", "Latex", "Sulfonamides", "Iodinated contrast"]
STATUS_MIX = [
    PatientStatus.IMPLANTED,
    PatientStatus.IMPLANTED,
    PatientStatus.IMPLANTED,
    PatientStatus.IMPLANTED,
    PatientStatus.EVALUATING,
    PatientStatus.CANDIDATE,
    PatientStatus.REFERRED,
    PatientStatus.DECLINED,
    PatientStatus.RETIRED,
]


@dataclass
class DemoClinic:
    today: dt.date
    rng: random.Random
    staff: dict[str, Actor] = field(default_factory=dict)
    patients: list[PatientView] = field(default_factory=list)
    bulk_patients: int = 0
    notes: list[str] = field(default_factory=list)

    def by_discipline(self, discipline: Discipline) -> Actor:
        return next(a for a in self.staff.values() if a.discipline is discipline)

    @property
    def physiatrist(self) -> Actor:
        return self.by_discipline(Discipline.PHYSIATRIST)

    @property
    def nurse(self) -> Actor:
        return self.by_discipline(Discipline.NURSE)

    def with_status(self, status: PatientStatus) -> list[PatientView]:
        return [p for p in self.patients if p.status is status]


DemoStep = Callable[[Session, DemoClinic], None]
# One line per feature: a module with ``demo_step(session, clinic)``, run in this order.
DEMO_STEP_MODULES: tuple[str, ...] = (
    "carecoord.services.demo_pump",
    "carecoord.services.demo_refills",
)


def demo_steps() -> list[DemoStep]:
    import importlib

    return [importlib.import_module(name).demo_step for name in DEMO_STEP_MODULES]


def _person(rng: random.Random, index: int, today: dt.date, status: PatientStatus) -> PatientInput:
    diagnosis, origin, levels = DIAGNOSES[index % len(DIAGNOSES)]
    paediatric = origin is Origin.CEREBRAL and "palsy" in diagnosis and rng.random() < 0.6
    age = rng.randint(5, 17) if paediatric else rng.randint(19, 78)
    dob = today - dt.timedelta(days=age * 365 + rng.randint(0, 364))
    family = rng.choice(FAMILY)
    given = rng.choice(GIVEN)
    weight = Decimal(rng.randint(180, 450) if paediatric else rng.randint(480, 1050)) / 10
    injury_date = None
    if (origin is Origin.SPINAL and "injury" in diagnosis) or "brain" in diagnosis:
        injury_date = today - dt.timedelta(days=rng.randint(400, 6000))
    caregiver = f"{rng.choice(GIVEN)} {family} ({rng.choice(['mother', 'father', 'spouse', 'son', 'daughter', 'partner'])})"
    return PatientInput(
        mrn=f"CC-{10000 + index:05d}",
        family_name=family,
        given_names=given,
        date_of_birth=dob,
        sex=rng.choice([Sex.FEMALE, Sex.MALE]),
        weight_kg=weight,
        diagnosis=diagnosis,
        origin=origin,
        injury_level=rng.choice(levels),
        injury_date=injury_date,
        phone=f"+1 555 {rng.randint(2000, 9999)}",
        email=f"{given.lower()}.{family.lower()}@example.org".replace("'", ""),
        address=f"{rng.randint(1, 250)} {rng.choice(['Elm', 'Harbour', 'Maple', 'Station', 'Mill'])} Street, Springfield",
        caregiver_name=caregiver if (paediatric or rng.random() < 0.6) else "",
        caregiver_phone=f"+1 555 {rng.randint(2000, 9999)}",
        preferred_language=rng.choice(LANGUAGES),
        allergies=rng.choice(ALLERGIES),
        status=status,
        notes="",
    )


def build_demo(
    session: Session, *, patient_count: int = 40, seed: int = 2026, today: dt.date | None = None
) -> DemoClinic:
    """Fill an empty database with the demo clinic. Returns what was made."""
    if not users.needs_first_admin(session):
        raise ValueError("The database already has users; the demo goes only into an empty one.")
    clinic = DemoClinic(today=today or dt.date.today(), rng=random.Random(seed))
    update_settings(
        session,
        SYSTEM,
        clinic_name="Springfield Spasticity Clinic",
        clinic_phone="+1 555 0100",
        emergency_phone="+1 555 0199 (24 hours)",
        clinic_address="Rehabilitation Centre, 12 Hospital Road, Springfield",
    )
    admin_data = STAFF[0]
    admin = users.create_first_admin(
        session, UserInput(admin_data[0], admin_data[1], None, True, admin_data[4], DEMO_PASSWORD)
    )
    admin_actor = users.actor_for(admin)
    clinic.staff[admin.username] = admin_actor
    for username, name, discipline, is_admin, phone in STAFF[1:]:
        view = users.add_user(
            session,
            admin_actor,
            UserInput(username, name, discipline, is_admin, phone, DEMO_PASSWORD),
        )
        clinic.staff[username] = users.actor_for(view)
    nurse = clinic.nurse
    detailed = min(patient_count, DETAILED_LIMIT)
    for index in range(detailed):
        status = STATUS_MIX[index % len(STATUS_MIX)]
        data = _person(
            clinic.rng,
            index,
            clinic.today,
            PatientStatus.REFERRED if status is PatientStatus.RETIRED else status,
        )
        view = patients.create_patient(session, nurse, data)
        for discipline in Discipline:
            view = patients.assign_team_member(
                session, nurse, view.id, discipline, clinic.by_discipline(discipline).user_id
            )
        if status is PatientStatus.RETIRED:
            view = patients.retire_patient(
                session, nurse, view.id, view.version, "Moved to another region; care transferred"
            )
        clinic.patients.append(view)
    if patient_count > detailed:
        _bulk_patients(session, clinic, detailed, patient_count)
    for step in demo_steps():
        step(session, clinic)
    return clinic


def _insert_bulk(session: Session, rows: list[dict[str, object]]) -> None:
    session.execute(insert(Patient), rows)
    mrns = [r["mrn"] for r in rows]
    found = session.execute(
        select(Patient.id, Patient.family_name, Patient.given_names, Patient.mrn).where(
            Patient.mrn.in_(mrns)
        )
    ).all()
    tokens = [
        {"patient_id": pid, "token": token}
        for pid, family, given, mrn in found
        for token in sorted(search_tokens(family, given, mrn))
    ]
    session.execute(insert(PatientSearchToken), tokens)


def _bulk_patients(session: Session, clinic: DemoClinic, start: int, stop: int) -> None:
    """Large demo clinics: plain rows in batches, one audit event for the import."""
    batch: list[dict[str, object]] = []
    for index in range(start, stop):
        status = STATUS_MIX[index % len(STATUS_MIX)]
        data = _person(clinic.rng, index, clinic.today, status)
        batch.append(
            {
                "mrn": data.mrn,
                "family_name": data.family_name,
                "given_names": data.given_names,
                "date_of_birth": data.date_of_birth,
                "sex": data.sex.value,
                "weight_kg": data.weight_kg,
                "diagnosis": data.diagnosis,
                "origin": data.origin.value if data.origin else None,
                "injury_level": data.injury_level,
                "injury_date": data.injury_date,
                "phone": data.phone,
                "email": data.email,
                "address": data.address,
                "caregiver_name": data.caregiver_name,
                "caregiver_phone": data.caregiver_phone,
                "preferred_language": data.preferred_language,
                "allergies": data.allergies,
                "status": status.value,
                "notes": "",
                "retired_reason": "Transferred" if status is PatientStatus.RETIRED else "",
                "version": 1,
            }
        )
        if len(batch) >= 5000:
            _insert_bulk(session, batch)
            batch.clear()
    if batch:
        _insert_bulk(session, batch)
    clinic.bulk_patients = stop - start
    audit.record(
        session,
        SYSTEM,
        action="import",
        entity="patient",
        entity_id="bulk",
        summary=f"Demo data: {stop - start} more patients imported in bulk",
    )
    session.commit()
