"""Where a pump program is in its life: drafted, approved, programmed on the device, replaced.

draft -> approved (physiatrist) -> programmed (confirmed on the device: the program in force)
-> superseded (a later program was programmed). A draft or an approved program can be
withdrawn. Unfinished programs (draft, approved) stay visible until finished or withdrawn:
unfinished programming sessions have left pumps stopped (CLINICAL.md section 4).
"""

from __future__ import annotations

from enum import StrEnum


class ProgramStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    PROGRAMMED = "programmed"  # active: the program the pump runs now
    SUPERSEDED = "superseded"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def unfinished(self) -> bool:
        return self in (ProgramStatus.DRAFT, ProgramStatus.APPROVED)


_LABELS = {
    ProgramStatus.DRAFT: "Draft, not approved",
    ProgramStatus.APPROVED: "Approved, not programmed",
    ProgramStatus.PROGRAMMED: "Active (programmed)",
    ProgramStatus.SUPERSEDED: "Superseded",
    ProgramStatus.WITHDRAWN: "Withdrawn",
}


class PocketSide(StrEnum):
    LEFT = "left"
    RIGHT = "right"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {"left": "Left abdomen", "right": "Right abdomen", "other": "Other"}[self.value]
