"""Who may do what: the permission matrix, enforced by services and mirrored by the GUI.

One table, read by services (which refuse) and by the GUI (which disables the action and says
in its tooltip who may do it). A rule written here is never repeated elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from carecoord.domain.enums import Discipline

ALL_DISCIPLINES = frozenset(Discipline)
CLINICAL = ALL_DISCIPLINES


class Permission(StrEnum):
    VIEW_PATIENTS = "view_patients"
    EDIT_PATIENT = "edit_patient"
    RETIRE_PATIENT = "retire_patient"
    ASSIGN_TEAM = "assign_team"
    MANAGE_USERS = "manage_users"
    EDIT_SETTINGS = "edit_settings"
    VIEW_AUDIT = "view_audit"
    # Evaluations and candidacy.
    EDIT_EVALUATION = "edit_evaluation"  # own discipline only: checked with the form's discipline
    SIGN_EVALUATION = "sign_evaluation"  # own discipline only
    EDIT_CANDIDACY = "edit_candidacy"  # oral trials, contraindications, goals
    RECORD_SCREENING = "record_screening"
    MANAGE_MEETINGS = "manage_meetings"
    RECORD_DECISION = "record_decision"
    # Pump programs and devices.
    EDIT_DEVICE = "edit_device"  # implant record
    EDIT_CATALOG = "edit_catalog"
    DRAFT_PROGRAM = "draft_program"
    APPROVE_PROGRAM = "approve_program"
    MARK_PROGRAMMED = "mark_programmed"
    # Refills.
    RECORD_REFILL = "record_refill"
    REVIEW_DISCREPANCY = "review_discrepancy"
    LOG_RECALL = "log_recall"
    # Reports.
    PRINT_REPORTS = "print_reports"


@dataclass(frozen=True)
class Rule:
    """Disciplines allowed, and whether an administrator is allowed whatever the discipline."""

    disciplines: frozenset[Discipline]
    admin: bool = False
    who: str = ""  # words for the tooltip: "Only a physiatrist can approve a program."


MD = frozenset({Discipline.PHYSIATRIST})
MD_RN = frozenset({Discipline.PHYSIATRIST, Discipline.NURSE})

MATRIX: dict[Permission, Rule] = {
    Permission.VIEW_PATIENTS: Rule(CLINICAL, admin=True, who="Any team member can view patients."),
    Permission.EDIT_PATIENT: Rule(
        CLINICAL, admin=True, who="Any team member can edit patient details."
    ),
    Permission.RETIRE_PATIENT: Rule(
        MD_RN, admin=True, who="A physiatrist, a nurse or an administrator can retire a patient."
    ),
    Permission.ASSIGN_TEAM: Rule(CLINICAL, admin=True, who="Any team member can assign the team."),
    Permission.MANAGE_USERS: Rule(
        frozenset(), admin=True, who="Only an administrator can manage users."
    ),
    Permission.EDIT_SETTINGS: Rule(
        frozenset(), admin=True, who="Only an administrator can change clinic settings."
    ),
    Permission.VIEW_AUDIT: Rule(
        CLINICAL, admin=True, who="Any team member can read the audit trail."
    ),
    Permission.EDIT_EVALUATION: Rule(CLINICAL, who="Each discipline edits its own evaluation."),
    Permission.SIGN_EVALUATION: Rule(CLINICAL, who="Each discipline signs its own evaluation."),
    Permission.EDIT_CANDIDACY: Rule(
        MD_RN, who="A physiatrist or a nurse records oral trials, contraindications and goals."
    ),
    Permission.RECORD_SCREENING: Rule(
        MD_RN, who="A physiatrist or a nurse records a screening trial."
    ),
    Permission.MANAGE_MEETINGS: Rule(
        CLINICAL, admin=True, who="Any team member can schedule and run a meeting."
    ),
    Permission.RECORD_DECISION: Rule(MD, who="Only a physiatrist records the team's decision."),
    Permission.EDIT_DEVICE: Rule(MD_RN, who="A physiatrist or a nurse edits the implant record."),
    Permission.EDIT_CATALOG: Rule(
        frozenset(), admin=True, who="Only an administrator can correct the device catalog."
    ),
    Permission.DRAFT_PROGRAM: Rule(MD_RN, who="A physiatrist or a nurse drafts a pump program."),
    Permission.APPROVE_PROGRAM: Rule(MD, who="Only a physiatrist can approve a pump program."),
    Permission.MARK_PROGRAMMED: Rule(
        MD_RN, who="A physiatrist or a nurse confirms a program on the device."
    ),
    Permission.RECORD_REFILL: Rule(MD_RN, who="A physiatrist or a nurse records a refill."),
    Permission.REVIEW_DISCREPANCY: Rule(
        MD, who="Only a physiatrist closes a refill discrepancy review."
    ),
    Permission.LOG_RECALL: Rule(CLINICAL, admin=True, who="Any team member can log a recall call."),
    Permission.PRINT_REPORTS: Rule(CLINICAL, admin=True, who="Any team member can print reports."),
}


def is_allowed(permission: Permission, discipline: Discipline | None, is_admin: bool) -> bool:
    """The single answer to "may this user do this?"."""
    rule = MATRIX[permission]
    if is_admin and rule.admin:
        return True
    return discipline is not None and discipline in rule.disciplines


def who_may(permission: Permission) -> str:
    """Words for a refusal or a disabled button's tooltip."""
    return MATRIX[permission].who


def may_act_for_discipline(
    actor_discipline: Discipline | None, form_discipline: Discipline
) -> tuple[bool, str]:
    """Each discipline signs and edits only its own evaluation."""
    if actor_discipline is form_discipline:
        return True, ""
    return False, f"Only a {form_discipline.label.lower()} can sign or edit this evaluation."
