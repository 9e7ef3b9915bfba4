"""The evaluation summary and the meeting minutes print the stored candidacy records."""

from __future__ import annotations

import datetime as dt

from carecoord.domain.candidacy import CandidacyStatus
from carecoord.reports.evaluation_summary import render_evaluation_summary
from carecoord.reports.minutes import render_meeting_minutes
from carecoord.services import meetings, report_data
from tests.services.pathway_builders import add_patient, screening, sign_all, work_up

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def _text(pdf: bytes) -> str:
    import io

    from pypdf import PdfReader

    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def test_evaluation_summary_and_minutes_from_the_record(db, team):
    with db.session() as s:
        p = add_patient(s, team.nurse, mrn="REP-1")
        sign_all(s, team, p.id)
        work_up(s, team, p.id)
        screening(s, team.nurse, p.id, 50, NOW - dt.timedelta(days=1, hours=2), "3 3 2", "3 3 2")
        screening(s, team.nurse, p.id, 75, NOW - dt.timedelta(hours=5), "2 2 1", "1 1 1", "1 2 1")
        data = report_data.gather_evaluation_summary(s, team.physiatrist, p.id)
        assert len(data.findings) == 5 and all(f.signed_on for f in data.findings)
        assert data.scales[0].before and data.scales[0].after < data.scales[0].before
        assert data.screening.dose_words == "75 mcg bolus"
        assert data.candidacy.status == "Ready for team review"
        text = _text(render_evaluation_summary(data).pdf)
        assert "Fit for screening." in text and "75 mcg bolus" in text

        today = dt.date.today()
        m = meetings.schedule_meeting(s, team.nurse, held_on=today)
        people = [a.user_id for a in (team.physiatrist, team.pt, team.ot, team.nurse)]
        m = meetings.set_attendance(
            s, team.nurse, m.id, m.version, [*people, team.social_worker.user_id]
        )
        meetings.record_decision(s, team.physiatrist, m.id, m.version, p.id, "approve_implant")
        minutes = report_data.gather_meeting_minutes(s, team.nurse, today)
        item = minutes.items[0]
        assert item.decision.kind.value == "approve_implant"
        assert item.candidacy_status is CandidacyStatus.READY_FOR_TEAM_REVIEW  # before deciding
        assert {a.name for a in minutes.attendees} >= {"Dr Maria Doe", "Sam Wu"}
        text = _text(render_meeting_minutes(minutes).pdf)
        assert "RIVERA, Ana" in text and "Dr Maria Doe" in text
