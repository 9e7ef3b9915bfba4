"""The demo clinic has realistic candidacy content: patients at each step, a past meeting with
decisions and a planned one with an agenda; the audit chain stays whole."""

from __future__ import annotations

import datetime as dt

from carecoord.domain.candidacy import CandidacyStatus
from carecoord.domain.meetings import MeetingStatus
from carecoord.services import audit, candidacy, demo, meetings
from carecoord.services.context import SYSTEM
from carecoord.store.models import Patient


def test_demo_has_every_candidacy_screen_filled(db):
    with db.session() as s:
        clinic = demo.build_demo(s, patient_count=27, seed=7, today=dt.date.today())
        statuses = {candidacy.assess(s, p.id).status for p in s.query(Patient).order_by(Patient.id)}
        assert {
            CandidacyStatus.READY_FOR_TEAM_REVIEW,
            CandidacyStatus.SCREENING_NEEDED,
            CandidacyStatus.APPROVED,
            CandidacyStatus.DECLINED,
            CandidacyStatus.EVALUATIONS_MISSING,
        } <= statuses
        planned, finished = (
            [m for m in meetings.list_meetings(s, SYSTEM) if m.status is st]
            for st in (MeetingStatus.PLANNED, MeetingStatus.FINISHED)
        )
        assert len(planned) == 1 and planned[0].agenda
        assert any(a.origin.value == "carried_over" for a in planned[0].agenda)
        assert finished and all(
            a.decision for a in finished[0].agenda if a.outcome.value == "discussed"
        )
        assert any("Team meeting on" in note for note in clinic.notes)
        assert audit.verify(s).ok
