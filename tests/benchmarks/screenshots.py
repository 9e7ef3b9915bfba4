"""Screenshots of the main window for a person to look at (not a test).

    QT_QPA_PLATFORM=offscreen python tests/benchmarks/screenshots.py [/tmp/shots] [--scale 1.5]

Builds a small clinic in a temporary SQLite file, signs in as a nurse and saves the Dashboard,
Patients list, patient editor (with a validation message), Audit tab, Team page and lock screen.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

FAMILY = [
    "Lopez",
    "Nguyen",
    "Okafor",
    "Schmidt",
    "Haddad",
    "Kowalski",
    "Rossi",
    "Dubois",
    "Tanaka",
    "Müller",
    "Øberg",
    "Zoë",
]
GIVEN = [
    "Ana",
    "Ben",
    "Chloé",
    "Dmitri",
    "Eun-ji",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Kofi",
    "Lena",
]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", nargs="?", default="/tmp/shots")
    parser.add_argument("--scale", default="1")
    args = parser.parse_args()
    os.environ["QT_SCALE_FACTOR"] = args.scale
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from argon2 import PasswordHasher
    from PySide6.QtWidgets import QApplication

    from carecoord.domain.enums import Discipline, Origin, PatientStatus, Sex
    from carecoord.domain.patients import PatientInput
    from carecoord.gui.app import _application
    from carecoord.gui.context import AppContext
    from carecoord.gui.main_window import MainWindow
    from carecoord.services import patients
    from carecoord.store.database import Database
    from tests.conftest import make_team

    app = _application([])
    folder = Path(tempfile.mkdtemp())
    db = Database(f"sqlite:///{folder / 'clinic.db'}")
    db.upgrade()
    team = make_team(db, PasswordHasher().hash("correct-horse-1"))
    rng = random.Random(4)
    with db.session() as s:
        for i in range(240):
            status = rng.choice(list(PatientStatus)[:5])
            view = patients.create_patient(
                s,
                team.nurse,
                PatientInput(
                    mrn=f"MRN-{1000 + i}",
                    family_name=rng.choice(FAMILY),
                    given_names=rng.choice(GIVEN),
                    date_of_birth=dt.date(1940 + rng.randrange(70), rng.randrange(1, 13), 5),
                    sex=rng.choice(list(Sex)),
                    weight_kg=Decimal(rng.randrange(400, 1100)) / 10,
                    diagnosis=rng.choice(
                        ["Spinal cord injury", "Multiple sclerosis", "Cerebral palsy", "Stroke"]
                    ),
                    origin=rng.choice(list(Origin)),
                    injury_level="T4",
                    status=status,
                ),
            )
            if i % 9 == 0:
                patients.assign_team_member(
                    s, team.nurse, view.id, Discipline.NURSE, team.nurse.user_id
                )
        first = view.id
        patients.update_patient(
            s,
            team.physiatrist,
            first,
            view.version,
            patients.get_patient(s, team.nurse, first)
            .as_input()
            .__class__(
                **{
                    **patients.get_patient(s, team.nurse, first).as_input().__dict__,
                    "weight_kg": Decimal("71.5"),
                }
            ),
        )

    window = MainWindow(AppContext(db, team.nurse), idle_timeout_ms=10**8, poll=False)
    window.resize(1600, 1000)
    window.show()

    def shot(name: str) -> None:
        for _ in range(5):
            app.processEvents()
        window.grab().save(str(out / f"{name}.png"))
        print("saved", out / f"{name}.png")

    shot("dashboard")
    window.show_page("patients")
    shot("patients")
    ws = window.open_patient(first)
    editor = ws.tab("overview")
    editor.widget("weight_kg").setText("900")
    shot("editor")
    ws.show_tab("audit")
    shot("audit")
    ws.show_tab("overview")
    window.show_page("team")
    shot("team")
    window.idle.lock()
    shot("lock")
    window.idle.unlock()
    editor.widget("weight_kg").setText("71.5")
    window.close()
    db.dispose()
    QApplication.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
