"""The "Pump program" patient tab: implant, program in force, unfinished program, editor,
history; and the dashboard section "Programs not finished"."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from carecoord.domain.permissions import Permission
from carecoord.domain.program import dose_per_day_by_weekday
from carecoord.domain.program_status import ProgramStatus
from carecoord.domain.refill_status import current_dates_lines
from carecoord.domain.units import format_date, format_datetime, format_ml
from carecoord.gui.context import AppContext, gate
from carecoord.gui.pump.catalog import open_catalog
from carecoord.gui.pump.chart import DoseHistoryChart
from carecoord.gui.pump.dialogs import (
    ImplantDialog,
    MarkProgrammedDialog,
    ReviewDialog,
    ask_withdraw_reason,
    battery_text,
    dose_text,
    program_lines,
)
from carecoord.gui.pump.editor import ProgramEditor
from carecoord.gui.registry import (
    DashboardSectionSpec,
    PatientTabSpec,
    register_dashboard_section,
    register_patient_tab,
)
from carecoord.gui.widgets import confirm, show_error
from carecoord.services import programs, refills
from carecoord.services.errors import ConflictError, ServiceError, ValidationFailed
from carecoord.services.programs import DraftContext, ProgramView
from carecoord.services.refills import PatientForecast

ID_ROLE = Qt.ItemDataRole.UserRole + 1
REFRESH_ON = (
    "pump_program",
    "implant",
    "device_catalog",
    "patient",
    "external",
    "refill_visit",
    "alarm_volume",
    "settings",
)


def _html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class PumpProgramTab(QWidget):
    def __init__(self, ctx: AppContext, patient_id: int | None) -> None:
        super().__init__()
        assert patient_id is not None
        self.ctx = ctx
        self.patient_id = patient_id
        self.context: DraftContext | None = None
        self.history: list[ProgramView] = []
        self.forecast: PatientForecast | None = None
        self.setObjectName("pumpProgramTab")
        outer = QVBoxLayout(self)
        self.pages = QTabWidget()
        self.pages.setObjectName("pumpPages")
        outer.addWidget(self.pages)
        self._build_summary()
        self.editor = ProgramEditor(ctx, patient_id)
        self.editor.saved.connect(lambda _v: self.refresh(keep_editor=True))
        self.editor.review_requested.connect(self.review)
        self.pages.addTab(self.editor, "&Editor")
        self._build_history()
        ctx.bus.changed.connect(self._on_bus)
        self.refresh()

    # ---- summary page ---------------------------------------------------------------------

    def _build_summary(self) -> None:
        page = QWidget()
        column = QVBoxLayout(page)
        implant_box = QGroupBox("Implanted pump")
        implant_layout = QVBoxLayout(implant_box)
        self.implant_text = QLabel()
        self.implant_text.setObjectName("implantText")
        self.implant_text.setWordWrap(True)
        self.implant_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        implant_layout.addWidget(self.implant_text)
        row = QHBoxLayout()
        row.addStretch(1)
        self.catalog_button = QPushButton("Pump &catalog…")
        self.catalog_button.setObjectName("catalogButton")
        self.catalog_button.setToolTip("Models, their limits, unconfirmed values and sources")
        self.catalog_button.clicked.connect(lambda: open_catalog(self.ctx, self))
        row.addWidget(self.catalog_button)
        self.implant_button = QPushButton("Edit implant record…")
        self.implant_button.setObjectName("implantButton")
        self.implant_button.clicked.connect(self.edit_implant)
        row.addWidget(self.implant_button)
        implant_layout.addLayout(row)
        column.addWidget(implant_box)

        self.unfinished_box = QGroupBox("Program not finished")
        self.unfinished_box.setObjectName("unfinishedBox")
        unfinished = QVBoxLayout(self.unfinished_box)
        self.unfinished_text = QLabel()
        self.unfinished_text.setObjectName("unfinishedText")
        self.unfinished_text.setWordWrap(True)
        unfinished.addWidget(self.unfinished_text)
        actions = QHBoxLayout()
        actions.addStretch(1)
        self.open_button = QPushButton("&Open in the editor")
        self.open_button.setObjectName("openDraftButton")
        self.open_button.clicked.connect(self.open_unfinished)
        self.approve_button = QPushButton("Review and &approve…")
        self.approve_button.setObjectName("summaryReviewButton")
        self.approve_button.clicked.connect(self.review)
        self.programmed_button = QPushButton("&Mark programmed on the pump…")
        self.programmed_button.setObjectName("markProgrammedButton")
        self.programmed_button.clicked.connect(self.mark_programmed)
        self.withdraw_button = QPushButton("&Withdraw…")
        self.withdraw_button.setObjectName("withdrawButton")
        self.withdraw_button.clicked.connect(self.withdraw)
        for b in (
            self.open_button,
            self.approve_button,
            self.programmed_button,
            self.withdraw_button,
        ):
            actions.addWidget(b)
        unfinished.addLayout(actions)
        column.addWidget(self.unfinished_box)

        active_box = QGroupBox("Program in force")
        active_layout = QVBoxLayout(active_box)
        self.active_text = QLabel()
        self.active_text.setObjectName("activeProgramText")
        self.active_text.setWordWrap(True)
        self.active_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        active_layout.addWidget(self.active_text)
        self.dates_text = QLabel()
        self.dates_text.setObjectName("currentDatesText")
        self.dates_text.setWordWrap(True)
        self.dates_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        active_layout.addWidget(self.dates_text)
        self.mismatch_text = QLabel()
        self.mismatch_text.setObjectName("alarmMismatch")
        self.mismatch_text.setWordWrap(True)
        active_layout.addWidget(self.mismatch_text)
        new_row = QHBoxLayout()
        new_row.addStretch(1)
        self.new_button = QPushButton("&New program draft")
        self.new_button.setObjectName("newDraftButton")
        self.new_button.clicked.connect(self.new_draft)
        new_row.addWidget(self.new_button)
        active_layout.addLayout(new_row)
        column.addWidget(active_box)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(page)
        self.pages.addTab(scroll, "S&ummary")

    def _build_history(self) -> None:
        page = QSplitter(Qt.Orientation.Vertical)
        self.history_chart = DoseHistoryChart()
        page.addWidget(self.history_chart)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        self.timeline = QTreeWidget()
        self.timeline.setObjectName("programTimeline")
        self.timeline.setRootIsDecorated(False)
        self.timeline.setAlternatingRowColors(True)
        self.timeline.setHeaderLabels(
            ["Program", "Status", "Dose per day", "In force", "Drafted", "Approved", "Programmed"]
        )
        self.timeline.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.timeline.currentItemChanged.connect(self._show_history_item)
        lower_layout.addWidget(self.timeline, 1)
        self.history_detail = QLabel()
        self.history_detail.setObjectName("historyDetail")
        self.history_detail.setWordWrap(True)
        self.history_detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lower_layout.addWidget(self.history_detail)
        page.addWidget(lower)
        page.setStretchFactor(0, 2)
        page.setStretchFactor(1, 3)
        self.pages.addTab(page, "&History")

    # ---- loading --------------------------------------------------------------------------

    def _on_bus(self, entity: str) -> None:
        if entity in REFRESH_ON:
            self.refresh(keep_editor=True)

    def refresh(self, keep_editor: bool = False) -> None:
        try:
            self.context = self.ctx.call(programs.load_draft_context, self.patient_id)
            self.history = self.ctx.call(programs.programs_of, self.patient_id)
            self.forecast = self.ctx.call(refills.patient_forecast, self.patient_id)
        except ServiceError as exc:
            self.implant_text.setText(str(exc))
            return
        self._show_implant()
        self._show_active()
        self._show_dates()
        self._show_unfinished()
        self._show_history()
        if not keep_editor or not self.editor.has_unsaved_changes():
            self._load_editor()

    def _load_editor(self) -> None:
        assert self.context is not None
        unfinished = self.context.unfinished
        draft = unfinished if unfinished and unfinished.status is ProgramStatus.DRAFT else None
        if unfinished is not None and draft is None:
            # Approved and waiting for the pump: shown read-only so the nurse sees the steps.
            self.editor.load(self.context, unfinished)
        else:
            active = self.context.active
            self.editor.load(self.context, draft, active.program if active else None)

    def _show_implant(self) -> None:
        assert self.context is not None
        implant = self.context.implant
        if implant is None:
            self.implant_text.setText(
                "No pump is recorded as implanted. Record the implant before drafting a program."
            )
            self.implant_button.setText("&Record implanted pump…")
        else:
            parts = [
                f"<b>{_html_escape(implant.device_label)}</b>, serial "
                f"{_html_escape(implant.serial_number)}, implanted "
                f"{implant.implant_words}"
                + (f" by {_html_escape(implant.surgeon)}" if implant.surgeon else ""),
            ]
            catheter = []
            if implant.catheter_tip_level:
                catheter.append(f"tip at {_html_escape(implant.catheter_tip_level)}")
            if implant.catheter_length_cm is not None:
                catheter.append(f"{implant.catheter_length_cm.normalize():f} cm")
            if catheter:
                parts.append("Catheter: " + ", ".join(catheter))
            if implant.pocket_side is not None:
                parts.append(f"Pocket: {implant.pocket_side.label}")
            parts.append(
                "Battery: " + battery_text(implant.implant_date, implant.device_key, self.ctx)
            )
            if implant.revisions:
                parts.append("Revisions and notes: " + _html_escape(implant.revisions))
            self.implant_text.setText("<br>".join(parts))
            self.implant_button.setText("&Edit implant record…")
        gate(self.implant_button, self.ctx, Permission.EDIT_DEVICE, "Record or edit the pump")

    def _show_active(self) -> None:
        assert self.context is not None
        active = self.context.active
        if active is None:
            self.active_text.setText("No program has been programmed on this pump yet.")
            self.mismatch_text.setText("")
        else:
            lines = [
                f"<b>{active.title}</b>, {dose_text(active)}. Programmed "
                f"{format_datetime(active.programmed_at)} by {active.programmed_by}; approved by "
                f"{active.approved_by}.",
                program_lines(active),
            ]
            if active.reservoir_ml is not None:
                when = format_date(active.programmed_at.astimezone().date())
                lines.append(
                    f"At programming on {when}: reservoir {format_ml(active.reservoir_ml)}; "
                    "low-reservoir alarm then: programmer "
                    f"{format_date(active.vendor_alarm_date, missing='not recorded')}, CareCoord "
                    f"{format_date(active.our_alarm_date)} (the current dates are below)."
                )
            if active.reason:
                lines.append(f"Reason: {_html_escape(active.reason)}")
            self.active_text.setText("<br>".join(lines))
            self.mismatch_text.setText(
                f"<b>Alarm date mismatch.</b> {active.alarm_mismatch_text}"
                if active.alarm_mismatch
                else ""
            )
        self.mismatch_text.setVisible(bool(self.mismatch_text.text()))
        has_pump = self.context.implant is not None
        allowed = gate(self.new_button, self.ctx, Permission.DRAFT_PROGRAM, "Start a new draft")
        self.new_button.setEnabled(allowed and has_pump and self.context.unfinished is None)
        if allowed and not has_pump:
            self.new_button.setToolTip("Record the implanted pump first.")
        elif allowed and self.context.unfinished is not None:
            self.new_button.setToolTip(
                f"{self.context.unfinished.title} is not finished: finish or withdraw it first."
            )

    def _show_dates(self) -> None:
        """The current refill and alarm dates from the refill record (the Refills tab's)."""
        assert self.context is not None
        fc = self.forecast
        if self.context.implant is None or fc is None:
            self.dates_text.setText("")
            self.dates_text.setVisible(False)
            return
        lines = current_dates_lines(
            due_date=fc.due_date,
            due_reason=fc.due_reason,
            alarm_date=fc.alarm_date,
            alarm_volume_ml=fc.alarm_volume_ml,
            fill_date=fc.fill_date,
            volume_after_fill_ml=fc.volume_after_fill_ml,
            today=fc.today,
        )
        if not lines:
            lines = ["No refill can be planned until a program is confirmed on the pump."]
        else:
            lines[0] = f"<b>{fc.status_words}.</b> " + lines[0]
        alarm = self.context.alarm_volume
        if alarm is not None:
            lines.append(alarm.words + ".")
            if alarm.warning:
                lines.append(f"<b>Warning:</b> {_html_escape(alarm.warning)}")
        self.dates_text.setText("<b>Now (from the refill record):</b><br>" + "<br>".join(lines))
        self.dates_text.setVisible(True)

    def _show_unfinished(self) -> None:
        assert self.context is not None
        view = self.context.unfinished
        self.unfinished_box.setVisible(view is not None)
        if view is None:
            return
        if view.status is ProgramStatus.DRAFT:
            text = (
                f"<b>{view.title}: {view.status.label}.</b> Drafted by {view.created_by} on "
                f"{format_datetime(view.created_at)}. It needs a physiatrist's approval, then "
                "programming on the pump."
            )
        else:
            text = (
                f"<b>{view.title}: {view.status.label}.</b> Approved by {view.approved_by} on "
                f"{format_datetime(view.approved_at)}. The pump still runs the previous "
                "program until this one is programmed and confirmed here."
            )
        self.unfinished_text.setText(text + "<br>" + program_lines(view))
        draft = view.status is ProgramStatus.DRAFT
        self.open_button.setVisible(draft)
        self.approve_button.setVisible(draft)
        self.programmed_button.setVisible(not draft)
        gate(self.approve_button, self.ctx, Permission.APPROVE_PROGRAM, "Compare and approve")
        gate(
            self.programmed_button,
            self.ctx,
            Permission.MARK_PROGRAMMED,
            "Confirm the program is on the pump and record the programmer's alarm date",
        )
        gate(self.withdraw_button, self.ctx, Permission.DRAFT_PROGRAM, "Withdraw (with a reason)")

    def _show_history(self) -> None:
        self.timeline.clear()
        periods: list[tuple[dt.date, dt.date | None, Decimal, str]] = []
        for view in self.history:
            dose = dose_text(view)
            in_force = ""
            if view.programmed_at is not None:
                until = format_datetime(view.superseded_at) if view.superseded_at else "now"
                in_force = f"{format_datetime(view.programmed_at)} to {until}"
                try:
                    high = max(dose_per_day_by_weekday(view.program).values())
                except ValidationFailed:
                    high = None  # listed below, left out of the chart
                if high is not None:
                    periods.append(
                        (
                            view.programmed_at.astimezone().date(),
                            view.superseded_at.astimezone().date() if view.superseded_at else None,
                            high,
                            view.title.replace("Program ", "P"),
                        )
                    )
            item = QTreeWidgetItem(
                [
                    view.title,
                    view.status.label,
                    dose,
                    in_force,
                    f"{format_date(view.created_at.astimezone().date())} {view.created_by}",
                    f"{format_date(view.approved_at.astimezone().date())} {view.approved_by}"
                    if view.approved_at
                    else "",
                    f"{format_date(view.programmed_at.astimezone().date())} {view.programmed_by}"
                    if view.programmed_at
                    else "",
                ]
            )
            item.setData(0, ID_ROLE, view.id)
            self.timeline.addTopLevelItem(item)
        for c in range(7):
            self.timeline.resizeColumnToContents(c)
        self.history_chart.set_periods(periods)
        if self.history:
            self.timeline.setCurrentItem(self.timeline.topLevelItem(0))
        else:
            self.history_detail.setText("No program yet.")

    def _show_history_item(self, item: QTreeWidgetItem | None) -> None:
        if item is None:
            return
        view = next((v for v in self.history if v.id == item.data(0, ID_ROLE)), None)
        if view is None:
            return
        lines = [f"<b>{view.title}</b> ({view.status.label})", program_lines(view)]
        if view.reason:
            lines.append(f"Reason: {_html_escape(view.reason)}")
        if view.acknowledged:
            lines.append("Seen at approval: " + _html_escape(" | ".join(view.acknowledged)))
        if view.note:
            lines.append(f"Note: {_html_escape(view.note)}")
        if view.alarm_mismatch:
            lines.append(f"<b>Alarm date mismatch.</b> {view.alarm_mismatch_text}")
        if view.withdrawn_at:
            lines.append(
                f"Withdrawn {format_datetime(view.withdrawn_at)} by {view.withdrawn_by}: "
                f"{_html_escape(view.withdrawn_reason)}"
            )
        self.history_detail.setText("<br>".join(lines))

    # ---- actions --------------------------------------------------------------------------

    def edit_implant(self) -> None:
        implant = self.context.implant if self.context else None
        dialog = ImplantDialog(self.ctx, self.patient_id, implant, self)
        if dialog.exec():
            self.refresh(keep_editor=True)

    def new_draft(self) -> None:
        if self.context is None:
            return
        active = self.context.active
        self.editor.load(self.context, None, active.program if active else None)
        self.pages.setCurrentWidget(self.editor)
        self.editor.concentration.setFocus()

    def open_unfinished(self) -> None:
        self._load_editor()
        self.pages.setCurrentWidget(self.editor)
        self.editor.table.setFocus()

    def review(self) -> None:
        """Save the editor if needed, then compare and approve (physiatrist)."""
        needs_save = self.editor.has_unsaved_changes() or (
            self.editor.view is None and self.editor.program is not None
        )
        if needs_save and not self.editor.save():
            return
        assert self.context is not None
        self.refresh(keep_editor=True)
        draft = self.context.unfinished
        if draft is None or draft.status is not ProgramStatus.DRAFT:
            show_error(self, "Nothing to approve", "There is no draft program to approve.")
            return
        dialog = ReviewDialog(self.ctx, self.context, draft, self)
        self.review_dialog = dialog  # reachable for tests and screenshots
        if dialog.exec() and dialog.result_view is not None:
            self.refresh()
            self.pages.setCurrentIndex(0)

    def mark_programmed(self) -> None:
        assert self.context is not None
        view = self.context.unfinished
        if view is None or view.status is not ProgramStatus.APPROVED:
            return
        dialog = MarkProgrammedDialog(self.ctx, self.context, view, self)
        self.programmed_dialog = dialog
        if dialog.exec() and dialog.result_view is not None:
            self.refresh()
            result = dialog.result_view
            if result.alarm_mismatch:
                show_error(self, "Alarm dates differ", result.alarm_mismatch_text)

    def withdraw(self) -> None:
        assert self.context is not None
        view = self.context.unfinished
        if view is None:
            return
        if self.editor.has_unsaved_changes() and not confirm(
            self,
            "Unsaved edits",
            "The editor has unsaved edits of this program; withdrawing discards them.",
            yes="Discard and withdraw",
            no="Keep editing",
        ):
            return
        reason = ask_withdraw_reason(self, view)
        if reason is None:
            return
        try:
            self.ctx.call(programs.withdraw, view.id, view.version, reason)
        except (ValidationFailed, ConflictError, ServiceError) as exc:
            show_error(self, "Not withdrawn", getattr(exc, "message", str(exc)))
            return
        self.ctx.bus.changed.emit("pump_program")
        self.refresh()

    # ---- protocol -------------------------------------------------------------------------

    def has_unsaved_changes(self) -> bool:
        return self.editor.has_unsaved_changes()

    def unsaved_summary(self) -> str:
        return "program draft edited"


class _SinceItem(QTreeWidgetItem):
    """Sorts the Since column by time, the others by text."""

    def __lt__(self, other: QTreeWidgetItem) -> bool:
        column = self.treeWidget().sortColumn() if self.treeWidget() else 0
        if column == 4:
            return (self.data(4, ID_ROLE) or "") < (other.data(4, ID_ROLE) or "")
        return self.text(column).casefold() < other.text(column).casefold()


def waiting_words(since: dt.datetime, now: dt.datetime | None = None) -> str:
    days = ((now or dt.datetime.now(dt.UTC)) - since).days
    if days <= 0:
        return "today"
    return "1 day ago" if days == 1 else f"{days} days ago"


class UnfinishedPrograms(QWidget):
    """Dashboard: drafts and approved programs not yet on the pump, across patients."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.empty = QLabel("Every program is finished: none is waiting for approval or the pump.")
        self.empty.setWordWrap(True)
        layout.addWidget(self.empty)
        self.list = QTreeWidget()
        self.list.setObjectName("unfinishedPrograms")
        self.list.setRootIsDecorated(False)
        self.list.setAlternatingRowColors(True)
        self.list.setSortingEnabled(True)
        self.list.setHeaderLabels(["Patient", "Record number", "Program", "Status", "Since", "By"])
        self.list.activated.connect(lambda index: self._open(self.list.itemFromIndex(index)))
        self.list.itemDoubleClicked.connect(lambda item, _c: self._open(item))
        layout.addWidget(self.list)

    def refresh(self) -> None:
        rows = self.ctx.query(programs.unfinished_programs)
        self.list.setSortingEnabled(False)
        self.list.clear()
        for row in rows:
            since = row.approved_at if row.status is ProgramStatus.APPROVED else row.created_at
            who = row.approved_by if row.status is ProgramStatus.APPROVED else row.created_by
            item = _SinceItem(
                [
                    row.patient_name,
                    row.mrn,
                    f"Program {row.number}",
                    row.status.label,
                    f"{format_datetime(since)} ({waiting_words(since) if since else ''})",
                    who,
                ]
            )
            item.setData(0, ID_ROLE, row.patient_id)
            item.setData(4, ID_ROLE, since.isoformat() if since else "")
            self.list.addTopLevelItem(item)
        self.list.setSortingEnabled(True)
        self.list.sortByColumn(4, Qt.SortOrder.AscendingOrder)  # longest waiting first
        for c in range(6):
            self.list.resizeColumnToContents(c)
        self.empty.setVisible(not rows)
        self.list.setVisible(bool(rows))
        if rows:
            self.list.setCurrentItem(self.list.topLevelItem(0))

    def _open(self, item: QTreeWidgetItem | None) -> None:
        if item is not None:
            self.ctx.open_patient(item.data(0, ID_ROLE))


def _tab(ctx: AppContext, patient_id: int | None) -> QWidget:
    return PumpProgramTab(ctx, patient_id)


register_patient_tab(PatientTabSpec("pump_program", "Pump program", _tab, order=40))
register_dashboard_section(
    DashboardSectionSpec("unfinished_programs", "Programs not finished", UnfinishedPrograms, 15)
)
