"""The desktop bundle: built from the spec, run with its own interpreter only (no Python on PATH)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.installer


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("PyInstaller", reason="install the [installer] or [test] extra")
    out = tmp_path_factory.mktemp("bundle")
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "installer" / "build.py"),
            "--dist",
            str(out / "dist"),
            "--work",
            str(out / "build"),
        ],
        check=True,
        cwd=ROOT,
        timeout=900,
    )
    exe = out / "dist" / "carecoord" / ("carecoord.exe" if os.name == "nt" else "carecoord")
    assert exe.exists()
    return exe


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """No Python anywhere: PATH has only system folders, no PYTHON* variables."""
    env = {
        "HOME": str(home),
        "PATH": "/usr/bin:/bin",
        "XDG_DATA_HOME": str(home / "data"),
        "QT_QPA_PLATFORM": "offscreen",
        "LANG": "C.UTF-8",
    }
    env.update(extra)
    return env


def run(
    exe: Path, env: dict[str, str], *args: str, timeout: int = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(exe), *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def test_bundle_carries_what_the_app_needs_and_no_tests(bundle: Path):
    internal = bundle.parent / "_internal"
    assert (internal / "carecoord" / "store" / "migrations" / "versions").is_dir()
    assert (internal / "resources").is_dir()
    assert not (internal / "tests").exists()
    assert not list(internal.rglob("conftest.py"))
    assert (bundle.parent / "carecoord.desktop").exists()


def test_bundle_upgrades_a_database_and_builds_the_demo(bundle: Path, tmp_path: Path):
    env = clean_env(tmp_path)
    db_url = f"sqlite:///{tmp_path / 'clinic.db'}"
    result = run(bundle, env, "--database-url", db_url, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert "schema upgraded from empty" in result.stdout
    result = run(bundle, env, "demo", "--patients", "8")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "CareCoord" / "demo.db").exists()
    result = run(
        bundle,
        env,
        "--database-url",
        f"sqlite:///{tmp_path / 'data' / 'CareCoord' / 'demo.db'}",
        "audit",
        "verify",
    )
    assert result.returncode == 0 and "intact" in result.stdout


def test_bundle_prints_a_care_plan_in_both_languages(bundle: Path, tmp_path: Path):
    """Fonts, translations and date words travel with the bundle: the handout renders."""
    env = clean_env(tmp_path, CARECOORD_PASSWORD="demo-password")
    demo_db = tmp_path / "data" / "CareCoord" / "demo.db"
    assert run(bundle, env, "demo", "--patients", "12").returncode == 0
    for language, words in (("en", "care plan"), ("es", "plan de cuidados")):
        out = tmp_path / f"care-plan-{language}.pdf"
        result = run(
            bundle,
            env,
            "report",
            "care-plan",
            "--database-url",
            f"sqlite:///{demo_db}",
            "--as",
            "rn.chen",
            "--mrn",
            "CC-10000",
            "--language",
            language,
            "--out",
            str(out),
        )
        assert result.returncode == 0, result.stdout + result.stderr
        from pypdf import PdfReader

        text = " ".join(page.extract_text() for page in PdfReader(out).pages)
        assert words in text


def test_bundle_first_start_shows_the_main_window_and_quits_cleanly(bundle: Path, tmp_path: Path):
    """Fresh data directory, no Python: the store is created, the first administrator asked for,
    the main window comes up and the process exits 0."""
    env = clean_env(tmp_path, CARECOORD_SMOKE_TEST="1")
    result = run(bundle, env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "smoke: first administrator requested" in result.stdout
    assert "smoke: main window shown" in result.stdout
    # pages are imported on first visit: each one loads from the bundle
    assert "smoke: pages opened: dashboard, patients, meetings, team, recall" in result.stdout
    assert "Traceback" not in result.stderr
    assert (tmp_path / "data" / "CareCoord" / "carecoord.db").exists()


def test_bundle_honours_database_url(bundle: Path, tmp_path: Path):
    env = clean_env(tmp_path, CARECOORD_SMOKE_TEST="1")
    target = tmp_path / "shared.db"
    result = run(bundle, env, "--database-url", f"sqlite:///{target}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert target.exists()
