"""`carecoord candidacy` and `carecoord meetings` read the record after signing in."""

from __future__ import annotations

import pytest

from carecoord.cli import main
from carecoord.services.demo import DEMO_PASSWORD


@pytest.fixture
def demo_url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["--database-url", url, "demo", "--patients", "27", "--seed", "7"]) == 0
    return url


def test_candidacy_and_meetings_in_words(demo_url, capsys, monkeypatch):
    monkeypatch.setenv("CARECOORD_PASSWORD", DEMO_PASSWORD)
    capsys.readouterr()
    assert main(["--database-url", demo_url, "meetings", "--planned", "--as", "rn.chen"]) == 0
    out = capsys.readouterr().out
    assert "(planned)" in out and "carried over: Not yet discussed" in out
    mrn = out.split("(", 3)[2].split(")")[0]  # the first patient on the agenda
    assert main(["--database-url", demo_url, "candidacy", mrn, "--as", "rn.chen"]) == 0
    out = capsys.readouterr().out
    assert "Ready for team review" in out and "[NOT MET] Team decision" in out


def test_wrong_password_and_unknown_record_are_one_line(demo_url, capsys, monkeypatch):
    monkeypatch.setenv("CARECOORD_PASSWORD", "not-the-password")
    assert main(["--database-url", demo_url, "meetings", "--as", "rn.chen"]) == 1
    monkeypatch.setenv("CARECOORD_PASSWORD", DEMO_PASSWORD)
    assert main(["--database-url", demo_url, "candidacy", "NOPE-1", "--as", "rn.chen"]) == 1
    err = capsys.readouterr().err
    assert "No patient has the record number NOPE-1." in err
    assert "Traceback" not in err
