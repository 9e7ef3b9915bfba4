"""Benchmark (not a test): search-as-you-type and start-up with a large clinic.

    python tests/benchmarks/bench_patient_search.py [--patients 50000] [--database-url URL]

Builds (or reuses) a clinic of N patients, then measures:
  1. each search keystroke: the service query for the first page plus the total count, and the
     same through the patients list model as the GUI runs it (model reset included);
  2. start-up to a usable patient list (open and check the store, build the main window, first
     page of the list shown and painted), against an empty PySide6 main window started the
     same way, each in a fresh process, median of several runs;
  3. the real start until its sign-in dialog is shown; then the home screen: until the window
     is painted on the dashboard's frame, and until every dashboard section is filled (the
     rest of the app and SQLAlchemy load then).
Prints numbers and ratios; never fails on timing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

EMPTY_WINDOW = """
import time, sys
t0 = time.perf_counter()
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv)
w = QMainWindow(); w.resize(1600, 1000); w.show(); app.processEvents()
print("READY", time.perf_counter() - t0)
"""

# What the app does once a user has signed in (the sign-in dialog's password check is left
# out: it is deliberately slow, and a person's typing is not start-up). The actor is read the
# way the window reads the patients list: plain SQL, no ORM.
APP_PREFIX = """
import time, sys
t0 = time.perf_counter()
from PySide6.QtWidgets import QApplication
from carecoord.domain.enums import Discipline
from carecoord.gui.context import AppContext
from carecoord.gui.main_window import MainWindow
from carecoord.services.context import Actor
from carecoord.store.database import Database
app = QApplication(sys.argv)
db = Database(sys.argv[1]); db.ensure_ready()
with db.reading() as reader:
    uid, username, name, admin = reader.rows(
        "SELECT id, username, full_name, is_admin FROM users"
        " WHERE discipline = 'nurse' AND active ORDER BY id LIMIT 1")[0]
nurse = Actor(uid, username, name, Discipline.NURSE, bool(admin))
w = MainWindow(AppContext(db, nurse), poll=False)
w.resize(1600, 1000); w.show()
"""

APP_WINDOW = (
    APP_PREFIX
    + """
page = w.show_page("patients")
app.processEvents()  # painted
assert page.model.rowCount() > 0
print("READY", time.perf_counter() - t0, page.model.total, "sqlalchemy" in sys.modules)
"""
)

# The home screen as the app opens it: the window paints with the dashboard's frame, then the
# dashboard builds its sections (loading the rest of the app and the ORM).
APP_DASHBOARD = (
    APP_PREFIX
    + """
app.processEvents()  # painted, sections scheduled
painted = time.perf_counter() - t0
dashboard = w.pages["dashboard"]
while dashboard._sections is None:
    app.processEvents()
print("READY", time.perf_counter() - t0)
print("PAINTED", painted)
"""
)


# The real start (``carecoord``): store opened and checked, then the sign-in dialog, shown and
# painted while SQLAlchemy loads on a thread. The dialog is closed at once, so the run ends.
APP_SIGN_IN = """
import time, sys
t0 = time.perf_counter()
from PySide6.QtWidgets import QApplication
import carecoord.gui.signin as signin
def shown(dialog):
    dialog.show(); QApplication.processEvents()
    print("READY", time.perf_counter() - t0)
    return 0
signin.SignInDialog.exec = shown
from carecoord.gui import app
sys.exit(app.run(sys.argv[1]))
"""


def build_clinic(url: str, count: int) -> None:
    from carecoord.services import demo
    from carecoord.store.database import Database

    db = Database(url)
    db.ensure_ready()
    with db.session() as session:
        from carecoord.services.users import needs_first_admin

        if not needs_first_admin(session):
            return
        started = time.perf_counter()
        demo.build_demo(session, patient_count=count)
        print(f"built a clinic of {count} patients in {time.perf_counter() - started:.1f} s")


def time_process(
    code: str, *args: str, runs: int, extra: dict[str, list[str]] | None = None
) -> list[float]:
    """Wall time from launching a fresh interpreter until it prints READY (usable), not until
    it exits: tearing down afterwards is not something a user waits for. Other lines the child
    prints ("NAME value ...") are collected into ``extra``.

    Byte code is allowed and one unmeasured run goes first, as an installed app (and PySide6
    itself) starts from compiled modules, not by compiling its sources every time."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    times = []
    for run in range(runs + 1):
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", code, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=ROOT,
            env=env,
        )
        assert proc.stdout is not None
        ready = None
        for line in proc.stdout:
            if line.startswith("READY") and ready is None:
                ready = time.perf_counter() - started
            if run and extra is not None:
                name, _, rest = line.strip().partition(" ")
                extra.setdefault(name, []).append(rest)
        if proc.wait() != 0 or ready is None:
            raise SystemExit("a start-up run failed")
        if run:
            times.append(ready)
    return times


def ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:.1f} ms, max {max(values) * 1000:.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=50_000)
    parser.add_argument("--database-url")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    url = (
        args.database_url
        or f"sqlite:///{Path(tempfile.gettempdir()) / f'carecoord-bench-{args.patients}.db'}"
    )
    build_clinic(url, args.patients)

    from PySide6.QtWidgets import QApplication

    from carecoord.gui.context import AppContext
    from carecoord.gui.pages.patients import PatientsPage
    from carecoord.services import patients
    from carecoord.services.users import actor_for, list_users
    from carecoord.store.database import Database

    db = Database(url)
    with db.session() as s:
        nurse = actor_for(
            next(u for u in list_users(s) if u.discipline and u.discipline.value == "nurse")
        )
    typed = [
        "g",
        "ga",
        "gar",
        "garc",
        "garci",
        "garcia",
        "garcia m",
        "cc-1",
        "cc-12",
        "cc-123",
        "zo",
        "zoe",
    ]
    service_times = []
    for _round in range(3):
        for text in typed:
            with db.session() as s:
                started = time.perf_counter()
                page = patients.search_patients(s, nurse, text)
                service_times.append(time.perf_counter() - started)
    print(
        f"search keystroke, service (first page of 200 + total; {len(service_times)} keystrokes): {ms(service_times)}"
    )

    app = QApplication.instance() or QApplication(sys.argv)
    page_widget = PatientsPage(AppContext(db, nurse), search_delay_ms=0)
    gui_times = []
    for _round in range(3):
        for text in typed:
            started = time.perf_counter()
            page_widget.search.setText(text)  # the debounce timer fires in processEvents
            app.processEvents()
            gui_times.append(time.perf_counter() - started)
    print(f"search keystroke, list model as shown ({len(gui_times)} keystrokes): {ms(gui_times)}")
    print(f"  last query '{typed[-1]}' matched {page.total} patients")

    empty = time_process(EMPTY_WINDOW, runs=args.runs)
    seen: dict[str, list[str]] = {}
    full = time_process(APP_WINDOW, url, runs=args.runs, extra=seen)
    ratio = statistics.median(full) / statistics.median(empty)
    print(f"start-up, empty PySide6 main window: {ms(empty)}")
    print(f"start-up, CareCoord to a usable patient list ({args.patients} patients): {ms(full)}")
    orm = {line.split()[-1] for line in seen.get("READY", [])}
    print(f"  SQLAlchemy imported before the list was usable: {', '.join(sorted(orm))}")
    print(f"start-up ratio (target < 2): {ratio:.2f}")
    signing_in = time_process(APP_SIGN_IN, url, runs=args.runs)
    print(f"start-up, the app's sign-in dialog shown (real start): {ms(signing_in)}")
    home: dict[str, list[str]] = {}
    dashboard = time_process(APP_DASHBOARD, url, runs=args.runs, extra=home)
    painted = [float(v) for v in home.get("PAINTED", [])]
    print(f"start-up, window painted on the dashboard's frame: {ms(painted)}")
    print(f"start-up, dashboard with every section filled: {ms(dashboard)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
