"""Evaluation summary and meeting minutes: what the team reads in the PDF."""

from __future__ import annotations

import dataclasses

from carecoord.domain.decisions import DecisionKind, TeamDecision
from carecoord.domain.enums import Discipline
from carecoord.domain.meetings import ItemOutcome, MeetingStatus
from carecoord.reports.evaluation_summary import render_evaluation_summary
from carecoord.reports.minutes import MeetingAttendee, MinutesItem, render_meeting_minutes
from tests.reports.helpers import evaluation_input, minutes_input, page_texts, text_of


def test_evaluation_summary_lists_each_discipline_scales_and_candidacy():
    report = render_evaluation_summary(evaluation_input())
    text = text_of(report.pdf)
    for words in (
        "Evaluation summary",
        "OKAFOR, Chidi",
        "Record number MRN-0107",
        "Status: Evaluations missing",
        "The occupational therapist evaluation is missing.",
        "Social worker evaluation is a draft.",
        "Dr Maria Doe",
        "signed 2 Oct 2026",
        "Severe lower-limb spasticity despite baclofen 80 mg a day.",
        "Proceed to screening",
        "draft, not signed",
        "Needs more information",
        "Transport to refills every 2 months not yet arranged.",
        "No evaluation recorded",  # occupational therapist
        "50 mcg bolus on 20 Oct 2026",
        "Positive response",
        "Headache",
        "Mean Modified Ashworth 2.75 1.25 −1.5 (better)",
        "not scored",
    ):
        assert words in text, words
    assert "None" not in text
    assert "occupational therapist evaluation" in report.gaps
    for number, page in enumerate(page_texts(report.pdf), start=1):
        assert "Page " + str(number) in page
        assert "Generated 24 Nov 2026" in page
        assert "by Dr Maria Doe (Physiatrist)" in page


def test_evaluation_summary_with_nothing_recorded_shows_gaps():
    data = evaluation_input(findings=(), scales=(), screening=None, candidacy=None)
    report = render_evaluation_summary(data)
    text = text_of(report.pdf)
    assert "Candidacy not assessed yet" in text
    assert "No screening trial recorded" in text
    assert "No scale scores recorded" in text
    assert text.count("No evaluation recorded") == len(Discipline)
    assert "None" not in text


def test_minutes_show_attendance_quorum_decisions_and_reasons():
    report = render_meeting_minutes(minutes_input())
    text = text_of(report.pdf)
    for words in (
        "Team meeting minutes",
        "Friday 20 November 2026",
        "Dr Maria Doe Physiatrist",
        "Quorum met: every discipline is present.",
        "OKAFOR, Chidi",
        "Approve implant",
        "Positive screen; goals agreed.",
        "Candidacy: Ready for team review",
        "LINDQVIST, Åsa",
        "(carried over)",
        "Defer",
        "review on 15 Jan 2027",
        "Urinary infection under treatment.",
        "Not discussed",
        "HADDAD, Rami (MRN-0300): moved to the next meeting",
        "Team meeting of 20 Nov 2026",
        "Page 1 of",
    ):
        assert words in text, words
    assert "None" not in text


def test_minutes_without_quorum_say_who_is_missing():
    data = minutes_input(
        attendees=(MeetingAttendee("Dr Maria Doe", Discipline.PHYSIATRIST),),
        status=MeetingStatus.PLANNED,
    )
    text = text_of(render_meeting_minutes(data).pdf)
    assert (
        "No quorum: no physical therapist, occupational therapist, nurse, social worker present."
        in text
    )
    assert "Meeting not finished" in text


def test_minutes_flag_a_decline_without_reason_and_an_empty_meeting():
    base = minutes_input()
    item = MinutesItem(
        base.items[0].patient,
        outcome=ItemOutcome.DISCUSSED,
        decision=TeamDecision(9, 1, DecisionKind.DECLINE, base.held_on, ""),
    )
    report = render_meeting_minutes(dataclasses.replace(base, items=(item,)))
    assert "Reason not recorded" in text_of(report.pdf)
    empty = render_meeting_minutes(dataclasses.replace(base, items=(), attendees=()))
    text = text_of(empty.pdf)
    assert "No patient was discussed." in text
    assert "Nobody is marked present" in text
