"""Diagnoses that lead to ITB referral and the origin of spasticity each usually implies.

CLINICAL.md section 1 [2][8]: spinal origin (spinal cord injury, multiple sclerosis) or cerebral
origin (cerebral palsy, traumatic brain injury, stroke, hypoxic injury).
"""

from __future__ import annotations

from enum import StrEnum

from carecoord.domain.enums import Origin


class Diagnosis(StrEnum):
    SPINAL_CORD_INJURY = "spinal_cord_injury"
    MULTIPLE_SCLEROSIS = "multiple_sclerosis"
    CEREBRAL_PALSY = "cerebral_palsy"
    TRAUMATIC_BRAIN_INJURY = "traumatic_brain_injury"
    STROKE = "stroke"
    HYPOXIC_BRAIN_INJURY = "hypoxic_brain_injury"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def usual_origin(self) -> Origin | None:
        """The origin this diagnosis implies, or None when the physiatrist must say."""
        return _ORIGINS.get(self)


_LABELS = {
    Diagnosis.SPINAL_CORD_INJURY: "Spinal cord injury",
    Diagnosis.MULTIPLE_SCLEROSIS: "Multiple sclerosis",
    Diagnosis.CEREBRAL_PALSY: "Cerebral palsy",
    Diagnosis.TRAUMATIC_BRAIN_INJURY: "Traumatic brain injury",
    Diagnosis.STROKE: "Stroke",
    Diagnosis.HYPOXIC_BRAIN_INJURY: "Hypoxic brain injury",
    Diagnosis.OTHER: "Other",
}
_ORIGINS = {
    Diagnosis.SPINAL_CORD_INJURY: Origin.SPINAL,
    Diagnosis.MULTIPLE_SCLEROSIS: Origin.SPINAL,
    Diagnosis.CEREBRAL_PALSY: Origin.CEREBRAL,
    Diagnosis.TRAUMATIC_BRAIN_INJURY: Origin.CEREBRAL,
    Diagnosis.STROKE: Origin.CEREBRAL,
    Diagnosis.HYPOXIC_BRAIN_INJURY: Origin.CEREBRAL,
}


def diagnosis_from_text(text: str | None) -> Diagnosis | None:
    """The diagnosis named at the start of a free-text diagnosis ("Cerebral palsy, spastic
    diplegia" -> cerebral palsy); any other non-empty text is "Other", empty text is None."""
    words = " ".join((text or "").split()).casefold()
    if not words:
        return None
    for diagnosis in Diagnosis:
        if diagnosis is not Diagnosis.OTHER and words.startswith(diagnosis.label.casefold()):
            return diagnosis
    return Diagnosis.OTHER
