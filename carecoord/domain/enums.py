"""Vocabulary shared by every layer: disciplines, origins, patient statuses."""

from __future__ import annotations

from enum import StrEnum


class Discipline(StrEnum):
    """A team member's discipline; each signs only its own evaluation."""

    PHYSIATRIST = "physiatrist"
    PHYSICAL_THERAPIST = "physical_therapist"
    OCCUPATIONAL_THERAPIST = "occupational_therapist"
    NURSE = "nurse"
    SOCIAL_WORKER = "social_worker"

    @property
    def label(self) -> str:
        return _DISCIPLINE_LABELS[self]

    @property
    def short(self) -> str:
        return _DISCIPLINE_SHORT[self]


_DISCIPLINE_LABELS = {
    Discipline.PHYSIATRIST: "Physiatrist",
    Discipline.PHYSICAL_THERAPIST: "Physical therapist",
    Discipline.OCCUPATIONAL_THERAPIST: "Occupational therapist",
    Discipline.NURSE: "Nurse",
    Discipline.SOCIAL_WORKER: "Social worker",
}
_DISCIPLINE_SHORT = {
    Discipline.PHYSIATRIST: "MD",
    Discipline.PHYSICAL_THERAPIST: "PT",
    Discipline.OCCUPATIONAL_THERAPIST: "OT",
    Discipline.NURSE: "RN",
    Discipline.SOCIAL_WORKER: "SW",
}


class Origin(StrEnum):
    """Origin of the spasticity: drives titration limits and usual dose ranges."""

    SPINAL = "spinal"
    CEREBRAL = "cerebral"

    @property
    def label(self) -> str:
        return "Spinal origin" if self is Origin.SPINAL else "Cerebral origin"


class PatientStatus(StrEnum):
    """Where the patient is on the path from referral to long-term therapy."""

    REFERRED = "referred"
    EVALUATING = "evaluating"
    CANDIDATE = "candidate"
    IMPLANTED = "implanted"
    DECLINED = "declined"
    RETIRED = "retired"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return self.value.capitalize()
