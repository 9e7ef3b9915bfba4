"""Screenshots of the refill screens on the demo clinic, for a person to look at (not a test).

    QT_QPA_PLATFORM=offscreen python tests/benchmarks/refill_screenshots.py [/tmp/shots]

Saves the Dashboard (refill sections), a patient's Refills tab with a refill being typed (a
discrepancy showing) and the Recall page.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/shots")
    out.mkdir(parents=True, exist_ok=True)
    from PySide6.QtWidgets import QApplication

    from carecoord.gui.context import AppContext
    from carecoord.gui.main_window import MainWindow
    from carecoord.gui.resources import apply_look
    from carecoord.services import demo, refills
    from carecoord.services.context import SYSTEM
    from carecoord.store.database import Database

    app = QApplication(sys.argv)
    apply_look(app)
    db = Database(f"sqlite:///{Path(tempfile.mkdtemp()) / 'demo.db'}")
    db.ensure_ready()
    with db.session() as s:
        clinic = demo.build_demo(s, patient_count=40)
    nurse = clinic.nurse
    window = MainWindow(AppContext(db, nurse), poll=False, idle_timeout_ms=3_600_000)
    window.resize(1500, 950)
    window.show()
    app.processEvents()
    window.grab().save(str(out / "refills-dashboard.png"))
    with db.session() as s:
        data = refills.dashboard_data(s, SYSTEM)
    patient_id = data.overdue[0].patient_id
    workspace = window.open_patient(patient_id)
    tab = workspace.show_tab("refills")
    tab.fields["measured_residual_ml"].setText("0.4")
    tab.fields["volume_discarded_ml"].setText("0.4")
    tab.lot.setText("B2201")
    tab.fields["volume_added_ml"].setText("22")
    app.processEvents()
    window.grab().save(str(out / "refills-form.png"))
    window.show_page("recall")
    app.processEvents()
    window.grab().save(str(out / "refills-recall.png"))
    window._force_close = True
    window.close()
    print(f"saved to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
