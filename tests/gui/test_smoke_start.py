"""The start-up self-check: a real first start in a separate process, driven without a person."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def start(data_home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_DATA_HOME=str(data_home))
    env["CARECOORD_SMOKE_TEST"] = "1"
    env.pop("CARECOORD_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "carecoord", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )


def test_first_start_creates_the_store_asks_for_an_administrator_and_shows_the_window(
    tmp_path: Path,
):
    """A new data directory: database created, first administrator asked, main window up."""
    result = start(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "smoke: first administrator requested" in lines
    assert "smoke: sign-in requested" in lines
    assert any(line.startswith("smoke: main window shown") for line in lines)
    assert "Dashboard" in result.stdout and "Patients" in result.stdout
    # every page of the navigation was built (pages load on first visit)
    assert "smoke: pages opened: dashboard, patients, meetings, team, recall" in lines
    assert (tmp_path / "CareCoord" / "carecoord.db").exists()
    assert "Traceback" not in result.stderr


def test_self_check_never_touches_a_store_that_has_users(tmp_path: Path):
    """A second run finds the administrator of the first and refuses, adding nobody."""
    assert start(tmp_path).returncode == 0
    again = start(tmp_path)
    assert again.returncode == 2
    assert "only runs on a new, empty data store" in again.stderr


def test_self_check_honours_database_url(tmp_path: Path):
    """--database-url is used as from source: the file named there is the one created."""
    target = tmp_path / "elsewhere" / "clinic.db"
    target.parent.mkdir()
    result = start(tmp_path / "data", "--database-url", f"sqlite:///{target}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert target.exists()
    assert not (tmp_path / "data" / "CareCoord" / "carecoord.db").exists()


def test_the_report_layer_loads_only_when_a_report_is_built(tmp_path: Path):
    """Start-up stays light: building the main window does not import reportlab, pdfium or
    icalendar (they cost about 400 ms); the Reports tab and the batch load them on first use."""
    code = """
import sys
from PySide6.QtWidgets import QApplication
app = QApplication([])
from carecoord.gui import registry
registry.load_views()
from carecoord.gui.main_window import MainWindow
heavy = sorted(m for m in ("reportlab", "pypdfium2", "icalendar") if m in sys.modules)
print("HEAVY", ",".join(heavy))
"""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_DATA_HOME=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stderr
    assert "HEAVY \n" in result.stdout or result.stdout.strip() == "HEAVY"


def test_the_patients_list_is_usable_before_the_orm_and_the_other_pages_load(tmp_path: Path):
    """Start-up's promise (see tests/benchmarks/bench_patient_search.py): the window painted on
    the Patients page, with its first rows, has imported neither SQLAlchemy nor the other
    pages; they load once the dashboard is shown."""
    url = f"sqlite:///{tmp_path / 'clinic.db'}"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_DATA_HOME=str(tmp_path))
    root = Path(__file__).resolve().parents[2]
    demo = subprocess.run(
        [sys.executable, "-m", "carecoord", "demo", "--patients", "12", "--database-url", url],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=root,
    )
    assert demo.returncode == 0, demo.stderr
    code = f"""
import sys
from PySide6.QtWidgets import QApplication
app = QApplication([])
from carecoord.domain.enums import Discipline
from carecoord.gui.context import AppContext
from carecoord.gui.main_window import MainWindow
from carecoord.services.context import Actor
from carecoord.store.database import Database
db = Database({url!r}); db.ensure_ready()
with db.reading() as reader:
    uid, username, name = reader.rows(
        "SELECT id, username, full_name FROM users WHERE discipline = 'nurse'")[0]
w = MainWindow(AppContext(db, Actor(uid, username, name, Discipline.NURSE, False)), poll=False)
w.show()
page = w.show_page("patients")
app.processEvents()
loaded = [m for m in ("sqlalchemy", "carecoord.gui.pages.team", "carecoord.gui.refills.recall")
          if m in sys.modules]
print("LIST", page.model.total, ",".join(loaded))
dash = w.show_page("dashboard")
while dash._sections is None:
    app.processEvents()
print("DASHBOARD", len(dash.sections), "sqlalchemy" in sys.modules)
"""
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300, cwd=root
    )
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.strip().splitlines()[-2:])
    total, loaded = lines["LIST"].split(" ", 1) if " " in lines["LIST"] else (lines["LIST"], "")
    assert int(total) > 0 and loaded == ""
    sections, orm = lines["DASHBOARD"].split()
    assert int(sections) >= 5 and orm == "True"
