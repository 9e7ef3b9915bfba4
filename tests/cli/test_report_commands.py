"""`carecoord report ...` as a nurse or a script uses it."""

from __future__ import annotations

import pytest

from carecoord.cli import main
from carecoord.domain.enums import Discipline
from carecoord.services import patients, pumps, settings
from carecoord.store.database import Database
from tests.conftest import PASSWORD, make_team
from tests.gui.helpers import add_patient
from tests.reports.helpers import text_of
from tests.services.pump_helpers import implant_input


@pytest.fixture
def url(tmp_path, sqlite_template, password_hash, monkeypatch) -> str:
    path = tmp_path / "cli.db"
    path.write_bytes(sqlite_template.read_bytes())
    db = Database(f"sqlite:///{path}")
    team = make_team(db, password_hash)
    with db.session() as s:
        settings.update_settings(
            s, team.admin, clinic_name="Riverside", emergency_phone="+1 555 0199"
        )
    view = add_patient(db, team.nurse, "MRN-0042", "Rossi", "Ana María")
    with db.session() as s:
        patients.assign_team_member(s, team.nurse, view.id, Discipline.NURSE, team.nurse.user_id)
        pumps.record_implant(s, team.nurse, view.id, implant_input())  # a pump handout needs one
    db.dispose()
    monkeypatch.setenv("CARECOORD_PASSWORD", PASSWORD)
    return f"sqlite:///{path}"


def run(url: str, *argv: str) -> int:
    return main(["--database-url", url, *argv])


def test_care_plan_to_pdf(url, tmp_path, capsys):
    out = tmp_path / "plan.pdf"
    assert (
        run(url, "report", "care-plan", "--mrn", "mrn-0042", "--out", str(out), "--as", "nking")
        == 0
    )
    captured = capsys.readouterr()
    assert f"Care plan written: {out}" in captured.out
    assert "dose per day" in captured.err  # gaps are listed for the nurse
    text = text_of(out.read_bytes())
    assert "ROSSI, Ana María" in text
    assert "Nia King" in text and "+1 555 0199" in text
    assert "by Nia King (Nurse)" in text
    assert "Audit trail: event " in text
    db = Database(url)
    with db.session() as s:
        from sqlalchemy import select

        from carecoord.store.models import AuditEvent

        event = s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert event.action == "export" and event.actor == "Nia King (Nurse)"
    assert (
        event.summary == "Saved the care plan of ROSSI, Ana María (MRN-0042), as the file plan.pdf"
    )


def test_care_plan_in_spanish(url, tmp_path):
    out = tmp_path / "plan.pdf"
    argv = ["report", "care-plan", "--mrn", "MRN-0042", "--out", str(out), "--as", "nking"]
    assert run(url, *argv, "--language", "es") == 0
    assert "Su plan de cuidados" in text_of(out.read_bytes())


def test_evaluation_summary_to_pdf(url, tmp_path):
    out = tmp_path / "summary.pdf"
    argv = ["report", "evaluation-summary", "--mrn", "MRN-0042", "--out", str(out)]
    assert run(url, *argv, "--as", "mdoe") == 0
    assert "Evaluation summary" in text_of(out.read_bytes())


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["care-plan", "--mrn", "NOPE", "--out", "{tmp}/x.pdf"],
            "No patient has the record number NOPE",
        ),
        (["care-plan", "--mrn", "MRN-0042", "--out", "{tmp}/missing/x.pdf"], "does not exist"),
        (["care-plan", "--mrn", "MRN-0042", "--out", "{tmp}"], "is a folder"),
        (
            ["meeting-minutes", "--date", "2026-11-20", "--out", "{tmp}/m.pdf"],
            "No team meeting is recorded on 20 Nov 2026",
        ),
    ],
)
def test_refusals_are_one_readable_line(url, tmp_path, capsys, argv, message):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert run(url, "report", *argv, "--as", "nking") == 1
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_wrong_password_is_refused(url, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CARECOORD_PASSWORD", "wrong")
    out = tmp_path / "x.pdf"
    assert (
        run(url, "report", "care-plan", "--mrn", "MRN-0042", "--out", str(out), "--as", "nking")
        == 1
    )
    assert not out.exists()
    assert "carecoord:" in capsys.readouterr().err


def test_bad_date_is_explained(url, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        run(
            url,
            "report",
            "meeting-minutes",
            "--date",
            "20/11/2026",
            "--out",
            "m.pdf",
            "--as",
            "nking",
        )
    assert exc.value.code == 2
    assert "write it as YYYY-MM-DD" in capsys.readouterr().err


def test_refill_list_with_nobody_due(url, tmp_path, capsys):
    out = tmp_path / "batch"
    assert (
        run(
            url,
            "report",
            "refill-list",
            "--date",
            "2026-11-25",
            "--out-dir",
            str(out),
            "--as",
            "nking",
        )
        == 0
    )
    assert "No patient is on the refill list of 25 Nov 2026" in capsys.readouterr().out


def test_help_lists_the_reports(capsys):
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    out = capsys.readouterr().out
    for name in ("care-plan", "evaluation-summary", "meeting-minutes", "refill-list"):
        assert name in out


def test_care_plan_for_a_patient_without_a_pump_is_refused(url, tmp_path, capsys):
    """No pump in place: no care plan or wallet card; a clear message, exit 1, no file."""
    from carecoord.services.users import actor_for, list_users

    db = Database(url)
    with db.session() as s:
        nurse = actor_for(next(u for u in list_users(s) if u.username == "nking"))
    add_patient(db, nurse, "MRN-0050", "Ito", "Ren")
    db.dispose()
    out = tmp_path / "plan.pdf"
    code = run(url, "report", "care-plan", "--mrn", "MRN-0050", "--out", str(out), "--as", "nking")
    err = capsys.readouterr().err
    assert code == 1 and not out.exists()
    assert "has no pump recorded as implanted" in err and "evaluation summary" in err
    assert "Traceback" not in err
