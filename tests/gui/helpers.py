"""Small helpers shared by GUI tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget

from carecoord.domain.enums import Origin, PatientStatus, Sex
from carecoord.domain.patients import PatientInput
from carecoord.services import patients
from carecoord.services.context import Actor
from carecoord.services.patients import PatientView
from carecoord.store.database import Database


def add_patient(
    db: Database, actor: Actor, mrn: str, family: str, given: str, **kw: Any
) -> PatientView:
    values: dict[str, Any] = dict(
        mrn=mrn,
        family_name=family,
        given_names=given,
        date_of_birth=dt.date(1980, 5, 17),
        sex=Sex.FEMALE,
        weight_kg=Decimal("64.5"),
        diagnosis="Spinal cord injury",
        origin=Origin.SPINAL,
        injury_level="T4",
        status=PatientStatus.EVALUATING,
    )
    values.update(kw)
    with db.session() as s:
        return patients.create_patient(s, actor, PatientInput(**values))


def when_modal(action: Callable[[QWidget], None], *, tries: int = 50) -> None:
    """Run ``action(dialog)`` on the next modal dialog, once it is shown (drives exec())."""

    def attempt(left: int) -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is not None and dialog.isVisible():
            action(dialog)
        elif left:
            QTimer.singleShot(20, lambda: attempt(left - 1))

    QTimer.singleShot(0, lambda: attempt(tries))
