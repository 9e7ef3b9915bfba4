"""The Meetings page: schedule a team meeting, keep its agenda and attendance (quorum in words),
run it on a shared screen in meeting mode, and finish it (undiscussed patients move on)."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from carecoord.domain.enums import Discipline
from carecoord.domain.meetings import ItemOutcome, MeetingStatus
from carecoord.domain.permissions import Permission
from carecoord.domain.units import format_date
from carecoord.gui.candidacy.common import attempt, set_state
from carecoord.gui.context import AppContext, gate
from carecoord.gui.meetings.mode import MeetingMode
from carecoord.gui.patient.dates import OptionalDateEdit
from carecoord.gui.widgets import FieldMessage, confirm, heading, show_error
from carecoord.services import meetings, patients, users
from carecoord.services.errors import ServiceError
from carecoord.services.meetings import MeetingView

ID_ROLE = Qt.ItemDataRole.UserRole + 1


class ScheduleDialog(QDialog):
    """Date, time and place of a new meeting; its agenda is proposed when it is saved."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.saved: MeetingView | None = None
        self.setWindowTitle("Schedule a team meeting")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.held_on = OptionalDateEdit()
        self.held_on.setObjectName("held_on")
        self.held_on.set_value(dt.date.today() + dt.timedelta(days=7))
        self.starts_at = QLineEdit("14:00")
        self.starts_at.setObjectName("starts_at")
        self.starts_at.setPlaceholderText("14:30")
        self.location = QLineEdit()
        self.location.setObjectName("location")
        self.location.setPlaceholderText("for example: Rehabilitation centre, room 2")
        self.messages: dict[str, FieldMessage] = {}
        for key, label, widget in (
            ("held_on", "&Date", self.held_on),
            ("starts_at", "&Time", self.starts_at),
            ("location", "&Place", self.location),
        ):
            message = FieldMessage()
            box = QWidget()
            column = QVBoxLayout(box)
            column.setContentsMargins(0, 0, 0, 0)
            column.addWidget(widget)
            column.addWidget(message)
            title = QLabel(label)
            title.setBuddy(widget)
            form.addRow(title, box)
            self.messages[key] = message
        layout.addLayout(form)
        hint = QLabel(
            "The agenda proposes the patients ready for team review and those not discussed at "
            "the last meeting."
        )
        hint.setWordWrap(True)
        layout.addWidget(hint)
        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton(
            "Schedule the meeting", QDialogButtonBox.ButtonRole.AcceptRole
        )
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.save_button.clicked.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def save(self) -> None:
        held_on = self.held_on.value()
        if held_on is None:
            from carecoord.domain.errors import Problem

            self.messages["held_on"].show_problems(
                [Problem("held_on", "Enter the date of the meeting.")]
            )
            return
        view = attempt(
            self,
            "Not scheduled",
            lambda: self.ctx.call(
                meetings.schedule_meeting,
                held_on=held_on,
                starts_at=self.starts_at.text(),
                location=self.location.text(),
            ),
            self.messages,
        )
        if view is not None:
            self.saved = view
            self.accept()


class MeetingDetail(QWidget):
    """One meeting: agenda, attendance with the quorum in words, and its actions."""

    def __init__(self, page: MeetingsPage) -> None:
        super().__init__()
        self.page = page
        self.ctx = page.ctx
        self.view: MeetingView | None = None
        layout = QVBoxLayout(self)
        self.title = heading("", 2)
        layout.addWidget(self.title)
        self.quorum = QLabel()
        self.quorum.setObjectName("quorum")
        self.quorum.setWordWrap(True)
        layout.addWidget(self.quorum)
        self.agenda = QTreeWidget()
        self.agenda.setObjectName("agenda")
        self.agenda.setRootIsDecorated(False)
        self.agenda.setAlternatingRowColors(True)
        self.agenda.setHeaderLabels(["#", "Patient", "Record", "Why on the agenda", "Outcome"])
        self.agenda.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.agenda.itemActivated.connect(self._open_patient)
        layout.addWidget(QLabel("Agenda"))
        layout.addWidget(self.agenda, 2)
        agenda_buttons = QHBoxLayout()
        self.refresh_button = QPushButton("Add patients now ready")
        self.refresh_button.setObjectName("refreshAgenda")
        self.refresh_button.clicked.connect(self.add_ready)
        self.add_button = QPushButton("Add a patient by record number…")
        self.add_button.setObjectName("addToAgenda")
        self.add_button.clicked.connect(self.add_patient)
        self.remove_button = QPushButton("Take the selected patient off…")
        self.remove_button.setObjectName("removeFromAgenda")
        self.remove_button.clicked.connect(self.remove_patient)
        agenda_buttons.addWidget(self.refresh_button)
        agenda_buttons.addWidget(self.add_button)
        agenda_buttons.addWidget(self.remove_button)
        agenda_buttons.addStretch(1)
        layout.addLayout(agenda_buttons)
        self.attendance_box = QGroupBox("Present")
        self.attendance_grid = QGridLayout(self.attendance_box)
        self.checks: dict[int, QCheckBox] = {}
        layout.addWidget(self.attendance_box)
        actions = QHBoxLayout()
        self.mode_button = QPushButton("Start meeting mode")
        self.mode_button.setObjectName("meetingMode")
        self.mode_button.clicked.connect(self.start_mode)
        self.finish_button = QPushButton("Finish the meeting…")
        self.finish_button.setObjectName("finishMeeting")
        self.finish_button.clicked.connect(self.finish)
        actions.addStretch(1)
        actions.addWidget(self.mode_button)
        actions.addWidget(self.finish_button)
        layout.addLayout(actions)
        self._build_attendance()

    def _build_attendance(self) -> None:
        people = self.ctx.query(users.list_users, include_inactive=False)
        order = list(Discipline)
        people = sorted(
            people,
            key=lambda u: (order.index(u.discipline) if u.discipline else 99, u.full_name),
        )
        for index, person in enumerate(people):
            role = person.discipline.label if person.discipline else "Administrator"
            check = QCheckBox(f"{person.full_name} ({role})")
            check.setObjectName(f"present_{person.id}")
            check.toggled.connect(self._attendance_changed)
            self.attendance_grid.addWidget(check, index // 3, index % 3)
            self.checks[person.id] = check

    def show_meeting(self, view: MeetingView | None) -> None:
        self.view = view
        self.setVisible(view is not None)
        if view is None:
            return
        self.title.setText(f"{view.title} ({view.status.label.lower()})")
        pending = len(view.pending)
        words = f"{view.quorum.words} {len(view.agenda)} patient(s) on the agenda"
        words += f", {pending} not yet discussed." if pending else "."
        self.quorum.setText(words)
        set_state(self.quorum, "met" if view.quorum.met else "error")
        self.agenda.clear()
        for n, item in enumerate(view.agenda, start=1):
            outcome = item.decision or item.outcome.label
            row = QTreeWidgetItem([str(n), item.patient, item.mrn, item.origin.label, outcome])
            row.setData(0, ID_ROLE, item.patient_id)
            row.setToolTip(4, outcome)
            self.agenda.addTopLevelItem(row)
        for c in range(4):
            self.agenda.resizeColumnToContents(c)
        present = {p.user_id for p in view.present}
        for uid, check in self.checks.items():
            check.blockSignals(True)
            check.setChecked(uid in present)
            check.blockSignals(False)
        planned = view.status is MeetingStatus.PLANNED
        may = self.ctx.can(Permission.MANAGE_MEETINGS)
        for w in (self.refresh_button, self.add_button, self.remove_button, self.finish_button):
            w.setEnabled(planned and may)
        for check in self.checks.values():
            check.setEnabled(planned and may)
        self.mode_button.setEnabled(planned and bool(view.agenda))
        self.mode_button.setToolTip(
            "" if planned else "This meeting is finished; its decisions are listed above."
        )

    def _call(self, title: str, fn, *args):  # type: ignore[no-untyped-def]
        result = attempt(self, title, lambda: self.ctx.call(fn, *args))
        if result is not None:
            self.ctx.bus.changed.emit("meeting")
            self.page.refresh(select=self.view.id if self.view else None)
        return result

    def _attendance_changed(self, *_args: object) -> None:
        if self.view is None:
            return
        ids = [uid for uid, c in self.checks.items() if c.isChecked()]
        if (
            self._call(
                "Attendance not saved",
                meetings.set_attendance,
                self.view.id,
                self.view.version,
                ids,
            )
            is None
        ):
            self.page.refresh(select=self.view.id)

    def add_ready(self) -> None:
        if self.view is not None:
            before = len(self.view.agenda)
            result = self._call(
                "Agenda not changed", meetings.refresh_agenda, self.view.id, self.view.version
            )
            if result is not None and len(result.agenda) == before:
                show_error(self, "Agenda", "No other patient is ready for team review.")

    def add_patient(self, mrn: str | None = None) -> None:
        if self.view is None:
            return
        if mrn is None:
            mrn, ok = QInputDialog.getText(self, "Add a patient", "Record number of the patient:")
            if not ok or not mrn.strip():
                return
        try:
            patient = self.ctx.call(patients.find_by_mrn, mrn)
        except ServiceError as exc:
            show_error(self, "Not added", str(exc))
            return
        self._call("Not added", meetings.add_to_agenda, self.view.id, self.view.version, patient.id)

    def remove_patient(self, reason: str | None = None) -> None:
        item = self.agenda.currentItem()
        if self.view is None or item is None:
            return
        patient_id = item.data(0, ID_ROLE)
        if reason is None:
            reason, ok = QInputDialog.getText(
                self,
                "Take off the agenda",
                f"Take {item.text(1)} off the agenda of {format_date(self.view.held_on)}.\nWhy?",
            )
            if not ok:
                return
        self._call(
            "Not changed",
            meetings.remove_from_agenda,
            self.view.id,
            self.view.version,
            patient_id,
            reason,
        )

    def _open_patient(self, item: QTreeWidgetItem | None) -> None:
        if item is not None:
            self.ctx.open_patient(item.data(0, ID_ROLE))

    def start_mode(self) -> MeetingMode | None:
        if self.view is None:
            return None
        mode = MeetingMode(self.ctx, self.view.id, self)
        mode.finished.connect(lambda _r: self.page.mode_closed(mode.meeting_id))
        mode.showMaximized()
        self.page.mode = mode
        return mode

    def finish(self) -> bool:
        view = self.view
        if view is None:
            return False
        pending = [a.patient for a in view.agenda if a.outcome is not ItemOutcome.DISCUSSED]
        text = f"Finish the {view.title.lower()}?\n\n"
        discussed = len(view.agenda) - len(pending)
        text += f"{discussed} patient(s) discussed. "
        if pending:
            text += (
                f"{len(pending)} not discussed ({', '.join(pending)}) will move to the next "
                "meeting's agenda."
            )
        else:
            text += "Every patient on the agenda was discussed."
        text += "\nA finished meeting can no longer be changed."
        if not confirm(self, "Finish the meeting", text, yes="Finish the meeting", no="Go back"):
            return False
        result = attempt(
            self,
            "Not finished",
            lambda: self.ctx.call(meetings.finish_meeting, view.id, view.version),
        )
        if result is None:
            return False
        self.ctx.bus.changed.emit("meeting")
        self.page.refresh(select=view.id)
        self.page.last_message = result.words
        self.page.status.setText(result.words)
        return True


class MeetingsPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.mode: MeetingMode | None = None
        self.last_message = ""
        self.views: list[MeetingView] = []
        self.setObjectName("meetingsPage")
        outer = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(heading("Team meetings"), 1)
        self.schedule_button = QPushButton("Schedule a meeting…")
        self.schedule_button.setObjectName("scheduleMeeting")
        self.schedule_button.clicked.connect(self.schedule)
        gate(self.schedule_button, ctx, Permission.MANAGE_MEETINGS)
        top.addWidget(self.schedule_button)
        outer.addLayout(top)
        self.status = QLabel()
        self.status.setWordWrap(True)
        outer.addWidget(self.status)
        split = QSplitter()
        self.list = QTreeWidget()
        self.list.setObjectName("meetingList")
        self.list.setRootIsDecorated(False)
        self.list.setHeaderLabels(["Date", "Time", "Status", "Agenda"])
        self.list.currentItemChanged.connect(lambda *_: self._select())
        split.addWidget(self.list)
        self.detail = MeetingDetail(self)
        split.addWidget(self.detail)
        split.setStretchFactor(1, 1)
        split.setSizes([480, 1200])
        outer.addWidget(split, 1)
        ctx.bus.changed.connect(self._on_bus)
        self.refresh()

    def refresh(self, select: int | None = None) -> None:
        current = select if select is not None else self._current_id()
        self.views = self.ctx.call(meetings.list_meetings)
        self.list.blockSignals(True)
        self.list.clear()
        target = None
        for v in self.views:
            pending = len(v.pending)
            agenda = f"{len(v.agenda)} patient(s)" + (
                f", {pending} to discuss" if pending and v.status is MeetingStatus.PLANNED else ""
            )
            item = QTreeWidgetItem(
                [format_date(v.held_on), v.starts_at or "—", v.status.label, agenda]
            )
            item.setData(0, ID_ROLE, v.id)
            self.list.addTopLevelItem(item)
            if v.id == current:
                target = item
        for c in range(4):
            self.list.resizeColumnToContents(c)
        if target is None and self.list.topLevelItemCount():
            target = self.list.topLevelItem(0)
        self.list.setCurrentItem(target)
        self.list.blockSignals(False)
        self._select()
        if not self.views:
            self.status.setText(
                "No meeting yet. Schedule one: its agenda proposes the patients ready for review."
            )

    def _current_id(self) -> int | None:
        item = self.list.currentItem()
        return item.data(0, ID_ROLE) if item else None

    def _select(self) -> None:
        ident = self._current_id()
        self.detail.show_meeting(next((v for v in self.views if v.id == ident), None))

    def schedule(self) -> MeetingView | None:
        dialog = ScheduleDialog(self.ctx, self)
        dialog.exec()
        if dialog.saved is None:
            return None
        self.ctx.bus.changed.emit("meeting")
        self.refresh(select=dialog.saved.id)
        self.status.setText(
            f"Scheduled: {dialog.saved.title}; {len(dialog.saved.agenda)} patient(s) proposed."
        )
        return dialog.saved

    def mode_closed(self, meeting_id: int) -> None:
        self.mode = None
        self.refresh(select=meeting_id)

    def _on_bus(self, entity: str) -> None:
        if entity in ("meeting", "team_decision", "external") and self.mode is None:
            self.refresh()
