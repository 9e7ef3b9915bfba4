"""Meeting mode: one candidate at a time on a shared screen, in type readable across a room,
then the team's decision. Approving (and every other decision) shows what will be recorded
before it is; the decision is stored with who is present.

Keys: Page Down / Page Up (or Alt+N / Alt+P) move between patients; Alt+A, Alt+S, Alt+D, Alt+C
open the four decisions; Escape leaves meeting mode.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from carecoord.domain.candidacy import ItemState
from carecoord.domain.decisions import DecisionKind
from carecoord.domain.errors import Problem, Severity
from carecoord.domain.meetings import ItemOutcome
from carecoord.domain.permissions import Permission, who_may
from carecoord.gui.candidacy.common import attempt, set_state
from carecoord.gui.context import AppContext
from carecoord.gui.patient.dates import OptionalDateEdit
from carecoord.gui.widgets import FieldMessage, fit_text, scale_font
from carecoord.services import meetings
from carecoord.services.meetings import CandidateCard, MeetingView

CARD_SCALE = 2.2  # large type: readable from across a meeting room at 1920x1080
STATE_WORDS = {ItemState.MET: "✓", ItemState.NOT_MET: "✗", ItemState.WARNING: "!"}


def _label(text: str = "", factor: float = CARD_SCALE, bold: bool = False) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    scale_font(label, factor, bold)
    return label


class DecisionDialog(QDialog):
    """What will be recorded, for whom, with who is present; reason and date where needed.
    The record button stays disabled until the decision is complete."""

    def __init__(
        self,
        ctx: AppContext,
        meeting: MeetingView,
        card: CandidateCard,
        kind: DecisionKind,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.meeting = meeting
        self.card = card
        self.kind = kind
        self.recorded: MeetingView | None = None
        self.setWindowTitle(f"{kind.label}: {card.name}")
        layout = QVBoxLayout(self)
        present = ", ".join(p.words for p in meeting.present) or "nobody marked present"
        after = {
            DecisionKind.APPROVE_IMPLANT: "The patient becomes a candidate for an implant.",
            DecisionKind.APPROVE_SCREENING: "The patient goes on to screening.",
            DecisionKind.DEFER: "The patient is reviewed again on the date below.",
            DecisionKind.DECLINE: "The patient's status becomes declined.",
        }[kind]
        summary = _label(
            f"Record the team's decision: {kind.label.upper()} for {card.name} ({card.mrn}).\n"
            f"Candidacy status: {card.candidacy.status.label}.\n"
            f"Present: {present}. {meeting.quorum.words}\n{after}",
            1.2,
        )
        summary.setObjectName("decisionSummary")
        layout.addWidget(summary)
        form = QFormLayout()
        self.reason = QPlainTextEdit()
        self.reason.setObjectName("decisionReason")
        self.reason.setTabChangesFocus(True)
        self.reason.setFixedHeight(self.reason.fontMetrics().lineSpacing() * 4 + 14)
        self.reason.textChanged.connect(self.validate)
        self.reason_message = FieldMessage()
        box = QWidget()
        col = QVBoxLayout(box)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(self.reason)
        col.addWidget(self.reason_message)
        title = QLabel("&Reason" + (" *" if kind.needs_reason else ""))
        title.setBuddy(self.reason)
        form.addRow(title, box)
        self.until = OptionalDateEdit()
        self.until.setObjectName("deferUntil")
        self.until.dateChanged.connect(self.validate)
        self.until_message = FieldMessage()
        box2 = QWidget()
        col2 = QVBoxLayout(box2)
        col2.setContentsMargins(0, 0, 0, 0)
        col2.addWidget(self.until)
        col2.addWidget(self.until_message)
        if kind is DecisionKind.DEFER:
            self.until.set_value(dt.date.today() + dt.timedelta(days=28))
            title2 = QLabel("Review &on *")
            title2.setBuddy(self.until)
            form.addRow(title2, box2)
        else:
            box2.setVisible(False)
        layout.addLayout(form)
        self.other = FieldMessage()
        layout.addWidget(self.other)
        buttons = QDialogButtonBox()
        self.record_button = buttons.addButton(
            f"Record: {kind.label.lower()}", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.record_button.setObjectName("recordDecision")
        self.record_button.setAutoDefault(False)
        fit_text(self.record_button)
        back = buttons.addButton("Go back", QDialogButtonBox.ButtonRole.RejectRole)
        back.setDefault(True)
        self.record_button.clicked.connect(self.record)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(self.fontMetrics().averageCharWidth() * 110, self.sizeHint().height())
        self.validate()

    def problems(self) -> list[Problem]:
        return self.ctx.call(
            meetings.decision_check,
            self.meeting.id,
            self.card.patient_id,
            self.kind,
            reason=self.reason.toPlainText(),
            defer_until=self.until.value() if self.kind is DecisionKind.DEFER else None,
        )

    def validate(self, *_args: object) -> list[Problem]:
        problems = self.problems()
        typed = bool(self.reason.toPlainText().strip())
        reason = [p for p in problems if p.field == "reason"]
        if not typed and self.kind.needs_reason:
            reason = [Problem("reason", p.message, Severity.WARNING) for p in reason]
        self.reason_message.show_problems(reason)
        self.until_message.show_problems([p for p in problems if p.field == "defer_until"])
        self.other.show_problems([p for p in problems if p.field not in ("reason", "defer_until")])
        blocking = [p for p in problems if p.severity in (Severity.ERROR, Severity.NEEDS_REASON)]
        self.record_button.setEnabled(not blocking and self.ctx.can(Permission.RECORD_DECISION))
        return problems

    def record(self) -> None:
        view = attempt(
            self,
            "Decision not recorded",
            lambda: self.ctx.call(
                meetings.record_decision,
                self.meeting.id,
                self.meeting.version,
                self.card.patient_id,
                self.kind,
                reason=self.reason.toPlainText(),
                defer_until=self.until.value() if self.kind is DecisionKind.DEFER else None,
            ),
        )
        if view is not None:
            self.recorded = view
            self.accept()


class MeetingMode(QDialog):
    def __init__(self, ctx: AppContext, meeting_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.meeting_id = meeting_id
        self.view: MeetingView = ctx.call(meetings.get_meeting, meeting_id)
        self.index = 0
        self.card: CandidateCard | None = None
        self.setObjectName("meetingMode")
        self.setWindowTitle(f"Meeting mode: {self.view.title}")
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint, True)
        # Point sizes (they follow the display scaling): large enough to read across a room.
        self.setStyleSheet(
            "QLabel#modeHeader, QLabel#modeQuorum { font-size: 16pt; font-weight: 600; }"
            "QLabel#cardName { font-size: 34pt; font-weight: 700; }"
            "QLabel#cardFacts { font-size: 22pt; }"
            "QLabel#cardStatus { font-size: 22pt; font-weight: 700; }"
            "QLabel#cardSectionTitle { font-size: 24pt; font-weight: 700; color: #17445e; }"
            "QLabel#cardBody { font-size: 21pt; }"
            "QLabel#cardDecided { font-size: 22pt; font-weight: 700; }"
            "QFrame#cardSection { background: #ffffff; border: 1px solid #c8d5dd;"
            " border-radius: 6px; }"
        )
        outer = QVBoxLayout(self)
        top = QHBoxLayout()
        self.header = _label("", 1.6, True)
        self.header.setObjectName("modeHeader")
        top.addWidget(self.header, 1)
        self.quorum = _label("", 1.6, True)
        self.quorum.setObjectName("modeQuorum")
        top.addWidget(self.quorum, 1)
        self.prev_button = QPushButton("&Previous patient")
        self.next_button = QPushButton("&Next patient")
        self.close_button = QPushButton("Leave meeting mode")
        for b in (self.prev_button, self.next_button, self.close_button):
            b.setStyleSheet("font-size: 15pt;")
            b.setAutoDefault(False)
            fit_text(b)
            b.setMinimumWidth(b.minimumWidth() * 3 // 2)
            top.addWidget(b)
        self.prev_button.clicked.connect(lambda: self.move(-1))
        self.next_button.clicked.connect(lambda: self.move(1))
        self.close_button.clicked.connect(self.accept)
        outer.addLayout(top)

        self.card_widget = QWidget()
        self.card_widget.setObjectName("candidateCard")
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.card_widget)
        outer.addWidget(scroll, 1)
        grid = QGridLayout(self.card_widget)
        grid.setHorizontalSpacing(40)
        self.name = _label("", 3.0, True)
        self.name.setObjectName("cardName")
        grid.addWidget(self.name, 0, 0, 1, 2)
        self.facts = _label()
        self.facts.setObjectName("cardFacts")
        grid.addWidget(self.facts, 1, 0, 1, 2)
        self.status = _label("", CARD_SCALE, True)
        self.status.setObjectName("cardStatus")
        grid.addWidget(self.status, 2, 0, 1, 2)
        self.goals = self._section(grid, 3, 0, "Goals")
        self.screening = self._section(grid, 3, 1, "Screening")
        self.scales = self._section(grid, 4, 0, "Ashworth before and after screening")
        self.recommendations = self._section(grid, 4, 1, "Recommendations")
        self.decided = _label("", 1.5, True)
        self.decided.setObjectName("cardDecided")
        grid.addWidget(self.decided, 5, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(6, 1)

        bar = QHBoxLayout()
        self.buttons: dict[DecisionKind, QPushButton] = {}
        texts = {
            DecisionKind.APPROVE_IMPLANT: "&Approve implant…",
            DecisionKind.APPROVE_SCREENING: "Approve &screening…",
            DecisionKind.DEFER: "&Defer…",
            DecisionKind.DECLINE: "De&cline…",
        }
        for kind, text in texts.items():
            b = QPushButton(text)
            b.setObjectName(f"decide_{kind.value}")
            # Style sheets override widget fonts: size the shared-screen buttons here.
            b.setStyleSheet("font-size: 22pt; font-weight: 600; padding: 0.4em 1em;")
            b.setAutoDefault(False)
            b.clicked.connect(lambda _c=False, k=kind: self.decide(k))
            bar.addWidget(b)
            self.buttons[kind] = b
        outer.addLayout(bar)
        for keys, step in (("PgDown", 1), ("PgUp", -1)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.activated.connect(lambda s=step: self.move(s))
        first_pending = next(
            (i for i, a in enumerate(self.view.agenda) if a.outcome is ItemOutcome.PENDING), 0
        )
        self.show_index(first_pending)

    def _section(self, grid: QGridLayout, row: int, column: int, title: str) -> QLabel:
        box = QFrame()
        box.setObjectName("cardSection")
        box.setFrameShape(QFrame.Shape.StyledPanel)
        lay = QVBoxLayout(box)
        heading_label = _label(title, 2.4, True)
        heading_label.setObjectName("cardSectionTitle")
        lay.addWidget(heading_label)
        body = _label()
        body.setObjectName("cardBody")
        body.setTextFormat(Qt.TextFormat.RichText)
        body.setAlignment(Qt.AlignmentFlag.AlignTop)
        lay.addWidget(body, 1)
        grid.addWidget(box, row, column)
        return body

    def show_index(self, index: int) -> None:
        if not self.view.agenda:
            self.header.setText("The agenda is empty.")
            return
        self.index = max(0, min(index, len(self.view.agenda) - 1))
        entry = self.view.agenda[self.index]
        card: CandidateCard = self.ctx.call(meetings.candidate_card, entry.patient_id)
        self.card = card
        self.header.setText(
            f"{self.view.title}. Patient {self.index + 1} of {len(self.view.agenda)} "
            f"({entry.origin.label.lower()})"
        )
        self.quorum.setText(self.view.quorum.words)
        set_state(self.quorum, "met" if self.view.quorum.met else "error")
        self.name.setText(f"{card.name}  ·  {card.mrn}")
        self.facts.setText(f"{card.age_words}. {card.diagnosis}. {card.origin}.")
        reasons = "; ".join(r.words for r in card.candidacy.reasons[:2])
        self.status.setText(f"Candidacy: {card.candidacy.status.label}. {reasons}")
        self.goals.setText(
            "<br>".join(_esc(g) for g in card.goals) + f"<br><i>{_esc(card.goals_words)}</i>"
            if card.goals
            else "No goals documented."
        )
        self.screening.setText("<br>".join(_esc(s) for s in card.screening) or "No screening.")
        if card.scales:
            rows = "".join(
                f"<tr><td>{_esc(s.label)}</td><td align='center'>{_esc(s.before)}</td>"
                f"<td align='center'>{_esc(s.after)}</td></tr>"
                for s in card.scales
            )
            self.scales.setText(
                "<table cellpadding='6'><tr><th align='left'>Muscle group (side)</th><th>Before</th>"
                f"<th>After</th></tr>{rows}</table>"
            )
        else:
            self.scales.setText("No Ashworth grades from screening.")
        self.recommendations.setText(
            "<table cellpadding='4'>"
            + "".join(
                f"<tr><td><b>{_esc(r.discipline.short)}</b></td><td>{_esc(r.words)}"
                + (f": {_esc(r.reason)}" if r.reason else "")
                + "</td></tr>"
                for r in card.recommendations
            )
            + "</table>"
        )
        self.decided.setText(f"Decided: {entry.decision}" if entry.decision else "Not yet decided.")
        open_item = entry.outcome is ItemOutcome.PENDING
        may = self.ctx.can(Permission.RECORD_DECISION)
        for b in self.buttons.values():
            b.setEnabled(open_item and may)
            b.setToolTip(
                who_may(Permission.RECORD_DECISION)
                if not may
                else ("" if open_item else "This patient has been discussed.")
            )
        self.prev_button.setEnabled(self.index > 0)
        self.next_button.setEnabled(self.index < len(self.view.agenda) - 1)

    def move(self, step: int) -> None:
        self.show_index(self.index + step)

    def decision_dialog(self, kind: DecisionKind) -> DecisionDialog | None:
        if self.card is None:
            return None
        return DecisionDialog(self.ctx, self.view, self.card, kind, self)

    def decide(self, kind: DecisionKind) -> bool:
        dialog = self.decision_dialog(kind)
        if dialog is None:
            return False
        dialog.exec()
        return self.after_decision(dialog)

    def after_decision(self, dialog: DecisionDialog) -> bool:
        if dialog.recorded is None:
            return False
        self.view = dialog.recorded
        self.ctx.bus.changed.emit("team_decision")
        nxt = next(
            (
                i
                for i, a in enumerate(self.view.agenda)
                if a.outcome is ItemOutcome.PENDING and i > self.index
            ),
            None,
        )
        self.show_index(self.index if nxt is None else nxt)
        return True

    def reload(self) -> None:
        self.view = self.ctx.call(meetings.get_meeting, self.meeting_id)
        self.show_index(self.index)


def _esc(text: Any) -> str:
    from html import escape

    return escape(str(text))
