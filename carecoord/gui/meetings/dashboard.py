"""Dashboard sections of the candidacy path: evaluations awaiting my signature, patients ready
for team review, and the next meeting with its agenda size."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from carecoord.domain.meetings import AgendaOrigin
from carecoord.domain.units import format_date
from carecoord.gui.context import AppContext
from carecoord.gui.registry import DashboardSectionSpec, register_dashboard_section
from carecoord.services import candidacy, evaluations, meetings

ID_ROLE = Qt.ItemDataRole.UserRole + 1


class _PatientList(QWidget):
    headers: tuple[str, ...] = ()
    empty_text = ""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.empty = QLabel(self.empty_text)
        self.empty.setWordWrap(True)
        layout.addWidget(self.empty)
        self.list = QTreeWidget()
        self.list.setRootIsDecorated(False)
        self.list.setHeaderLabels(list(self.headers))
        self.list.setSortingEnabled(True)
        self.list.setAlternatingRowColors(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.activated.connect(lambda index: self._open(self.list.itemFromIndex(index)))
        self.list.itemDoubleClicked.connect(lambda item, _c: self._open(item))
        layout.addWidget(self.list)

    def _fill(self, rows: list[tuple[int, list[str]]]) -> None:
        self.list.setSortingEnabled(False)
        self.list.clear()
        for patient_id, texts in rows:
            item = QTreeWidgetItem(texts)
            item.setData(0, ID_ROLE, patient_id)
            self.list.addTopLevelItem(item)
        self.list.setSortingEnabled(True)
        for c in range(len(self.headers) - 1):
            self.list.resizeColumnToContents(c)
        self.list.setMaximumHeight(60 + 26 * min(max(len(rows), 1), 8))
        self.empty.setVisible(not rows)
        self.list.setVisible(bool(rows))

    def _open(self, item: QTreeWidgetItem | None) -> None:
        if item is not None:
            self.ctx.open_patient(item.data(0, ID_ROLE))


class AwaitingSignature(_PatientList):
    headers = ("Patient", "Record number", "Evaluation", "State")
    empty_text = "No evaluation of yours is waiting for a signature."

    def refresh(self) -> None:
        rows = self.ctx.call(evaluations.awaiting_signature)
        self._fill(
            [
                (
                    r.patient_id,
                    [
                        r.patient,
                        r.mrn,
                        ("Amendment of the " if r.is_amendment else "")
                        + f"{r.discipline.label.lower()} evaluation",
                        "Ready to sign"
                        if r.missing == 0
                        else f"Draft: {r.missing} required field(s) to complete",
                    ],
                )
                for r in rows
            ]
        )


class ReadyForReview(_PatientList):
    headers = ("Patient", "Record number", "Next meeting")
    empty_text = "No patient is ready for team review."

    def refresh(self) -> None:
        rows = []
        for r in self.ctx.call(candidacy.ready_for_review):
            meeting = self.ctx.call(meetings.meeting_for_patient, r.patient_id)
            where = (
                f"On the agenda of {format_date(meeting.held_on)}"
                if meeting
                else "Not on an agenda yet"
            )
            rows.append((r.patient_id, [r.patient, r.mrn, where]))
        self._fill(rows)


class NextMeeting(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.text = QLabel()
        self.text.setObjectName("nextMeeting")
        self.text.setWordWrap(True)
        row.addWidget(self.text, 1)
        self.open_button = QPushButton("Open Meetings")
        self.open_button.clicked.connect(self._open)
        row.addWidget(self.open_button)

    def refresh(self) -> None:
        view = self.ctx.call(meetings.next_meeting)
        if view is None:
            self.text.setText("No meeting is planned.")
            return
        carried = sum(1 for a in view.agenda if a.origin is AgendaOrigin.CARRIED_OVER)
        words = f"{view.title}: {len(view.agenda)} patient(s) on the agenda"
        if carried:
            words += f", {carried} carried over"
        pending = len(view.pending)
        words += f"; {pending} to discuss." if pending != len(view.agenda) else "."
        self.text.setText(words)

    def _open(self) -> None:
        window = self.window()
        show = getattr(window, "show_page", None)
        if callable(show):
            show("meetings")


register_dashboard_section(
    DashboardSectionSpec(
        "awaiting_signature", "Evaluations awaiting my signature", AwaitingSignature, 12
    )
)
register_dashboard_section(
    DashboardSectionSpec("ready_for_review", "Patients ready for team review", ReadyForReview, 14)
)
register_dashboard_section(
    DashboardSectionSpec("next_meeting", "Next team meeting", NextMeeting, 16)
)
