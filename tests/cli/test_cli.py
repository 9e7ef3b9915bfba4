"""The command line as an administrator or a cron job uses it."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import text

from carecoord.cli import main
from carecoord.store.database import Database
from tests.conftest import tampering


@pytest.fixture
def url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_help_on_every_command(capsys):
    for argv in (
        ["--help"],
        ["db", "--help"],
        ["demo", "--help"],
        ["user", "add", "--help"],
        ["audit", "verify", "--help"],
    ):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 0
    assert "--password-stdin" in capsys.readouterr().out


def test_db_upgrade_then_status(url, capsys):
    assert main(["--database-url", url, "db", "upgrade"]) == 0
    assert "upgraded from empty" in capsys.readouterr().out
    assert main(["db", "status", "--database-url", url]) == 0
    assert "Up to date." in capsys.readouterr().out


def test_first_user_becomes_administrator_then_admin_must_sign(url, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("first-password\n"))
    assert (
        main(
            [
                "--database-url",
                url,
                "user",
                "add",
                "--username",
                "root1",
                "--name",
                "Root One",
                "--password-stdin",
            ]
        )
        == 0
    )
    assert "first administrator" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("nurse-password\n"))
    assert (
        main(
            [
                "--database-url",
                url,
                "user",
                "add",
                "--username",
                "nurse1",
                "--name",
                "Nurse One",
                "--discipline",
                "nurse",
                "--password-stdin",
            ]
        )
        == 1
    )
    assert "--as" in capsys.readouterr().err
    monkeypatch.setenv("CARECOORD_ADMIN_PASSWORD", "first-password")
    monkeypatch.setattr("sys.stdin", io.StringIO("nurse-password\n"))
    assert (
        main(
            [
                "--database-url",
                url,
                "user",
                "add",
                "--username",
                "nurse1",
                "--name",
                "Nurse One",
                "--discipline",
                "nurse",
                "--password-stdin",
                "--as",
                "root1",
            ]
        )
        == 0
    )
    assert main(["--database-url", url, "user", "list"]) == 0
    assert "Nurse One" in capsys.readouterr().out


def test_demo_then_audit_verify_and_tamper(url, capsys):
    """Editing one byte of a stored event makes `audit verify` fail and name the event."""
    assert main(["--database-url", url, "demo", "--patients", "12"]) == 0
    out = capsys.readouterr().out
    assert "12 patients" in out and "dr.rivera" in out
    assert main(["--database-url", url, "audit", "verify"]) == 0
    assert "intact" in capsys.readouterr().out
    db = Database(url)
    with tampering(db) as conn:
        conn.execute(
            text("UPDATE audit_events SET summary = 'X' || substr(summary, 2) WHERE seq = 20")
        )
    assert main(["--database-url", url, "audit", "verify"]) == 1
    assert "BROKEN at event 20" in capsys.readouterr().out


def test_demo_refuses_a_database_with_users(url, capsys):
    assert main(["--database-url", url, "demo", "--patients", "2"]) == 0
    assert main(["--database-url", url, "demo", "--patients", "2"]) == 1
    assert "already has users" in capsys.readouterr().err


def test_bad_urls_and_files_give_one_line_not_a_traceback(tmp_path, capsys):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00garbage" * 500)
    assert main(["--database-url", f"sqlite:///{junk}", "db", "upgrade"]) == 1
    assert main(["--database-url", "postgresql://x@127.0.0.1:1/none", "audit", "verify"]) == 1
    assert main(["--database-url", "oracle://x@y/z", "db", "status"]) == 1
    err = capsys.readouterr().err
    assert (
        "not a CareCoord database" in err
        and "Cannot reach" in err
        and "SQLite or PostgreSQL" in err
    )
    assert "Traceback" not in err
