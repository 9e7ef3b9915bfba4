"""The Team page: the clinic's accounts; administrators add, edit, reset and deactivate."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from carecoord.domain.enums import Discipline
from carecoord.domain.errors import Problem
from carecoord.domain.permissions import Permission
from carecoord.domain.users import UserInput, password_problems, validate_user
from carecoord.gui.context import AppContext, gate
from carecoord.gui.widgets import (
    FieldMessage,
    chain_tab_order,
    confirm,
    enum_data,
    heading,
    show_error,
)
from carecoord.services import users
from carecoord.services.errors import ConflictError, ServiceError, ValidationFailed
from carecoord.services.users import UserView

ID_ROLE = Qt.ItemDataRole.UserRole + 1


class UserDialog(QDialog):
    """Add a user (with a first password) or edit one (without touching the password)."""

    def __init__(self, ctx: AppContext, user: UserView | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.user = user
        self.saved: UserView | None = None
        self.setWindowTitle("Add a user" if user is None else f"Edit {user.full_name}")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.full_name = QLineEdit(user.full_name if user else "")
        self.username = QLineEdit(user.username if user else "")
        self.discipline = QComboBox()
        self.discipline.addItem("No clinical role (administrator only)", None)
        for d in Discipline:
            self.discipline.addItem(d.label, d)
        if user is not None:
            self.discipline.setCurrentIndex(max(self.discipline.findData(user.discipline), 0))
        self.is_admin = QCheckBox("Administrator (manages accounts and clinic settings)")
        self.is_admin.setChecked(bool(user and user.is_admin))
        self.phone = QLineEdit(user.phone if user else "")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.messages: dict[str, FieldMessage] = {}
        rows: list[tuple[str, str, QWidget]] = [
            ("Full &name", "full_name", self.full_name),
            ("&Username", "username", self.username),
            ("&Discipline", "discipline", self.discipline),
            ("", "is_admin", self.is_admin),
            ("P&hone", "phone", self.phone),
        ]
        if user is None:
            rows.append(("First &password", "password", self.password))
        for label, name, widget in rows:
            widget.setObjectName(name)
            form.addRow(label, widget)
            self.messages[name] = FieldMessage()
            form.addRow("", self.messages[name])
        layout.addLayout(form)
        if user is None:
            note = QLabel("Tell the person their first password; they can change it later.")
            note.setWordWrap(True)
            layout.addWidget(note)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Add user" if user is None else "Save")
        buttons.accepted.connect(self.try_save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        for w in (self.full_name, self.username, self.phone, self.password):
            w.textChanged.connect(self.validate)
        self.discipline.currentIndexChanged.connect(self.validate)
        self.is_admin.toggled.connect(self.validate)
        chain_tab_order([w for _, _, w in rows] + [self.ok_button])
        self.validate()

    def _input(self) -> UserInput:
        return UserInput(
            username=self.username.text().strip().lower(),
            full_name=self.full_name.text(),
            discipline=enum_data(self.discipline, Discipline),
            is_admin=self.is_admin.isChecked(),
            phone=self.phone.text(),
            password=self.password.text() if self.user is None else None,
        )

    def validate(self) -> bool:
        problems = validate_user(self._input(), new=self.user is None)
        self._show(problems, quiet_when_empty=True)
        self.ok_button.setEnabled(not problems)
        return not problems

    def _show(self, problems: list[Problem], quiet_when_empty: bool = False) -> None:
        by_field: dict[str, list[Problem]] = {}
        for p in problems:
            by_field.setdefault(p.field if p.field in self.messages else "username", []).append(p)
        for name, message in self.messages.items():
            widget = getattr(self, name)
            empty = isinstance(widget, QLineEdit) and not widget.text()
            message.show_problems([] if (quiet_when_empty and empty) else by_field.get(name, []))

    def try_save(self) -> None:
        if not self.validate():
            return
        try:
            if self.user is None:
                self.saved = self.ctx.call(users.add_user, self._input())
            else:
                self.saved = self.ctx.call(
                    users.update_user, self.user.id, self.user.version, self._input()
                )
        except ValidationFailed as exc:
            self._show(exc.problems)
            return
        except ConflictError as exc:
            show_error(self, "Not saved", exc.message)
            return
        except ServiceError as exc:
            show_error(self, "Not saved", str(exc))
            return
        self.accept()


class PasswordDialog(QDialog):
    """An administrator sets a new password for someone who forgot theirs."""

    def __init__(self, user: UserView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"New password for {user.full_name}")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.password = QLineEdit()
        self.password.setObjectName("newPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit()
        self.repeat.setObjectName("repeatPassword")
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("&New password", self.password)
        form.addRow("&Repeat it", self.repeat)
        layout.addLayout(form)
        self.message = FieldMessage()
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Set password")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.password.textChanged.connect(self.validate)
        self.repeat.textChanged.connect(self.validate)
        self.validate()

    def validate(self) -> None:
        problems = password_problems(self.password.text())
        if not problems and self.repeat.text() != self.password.text():
            problems = [Problem("repeat", "The two passwords are not the same.")]
        self.message.show_problems(problems if self.password.text() else [])
        self.ok_button.setEnabled(not problems)


class TeamPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.users: list[UserView] = []
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Team"))
        self.note = QLabel()
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        self.list = QTreeWidget()
        self.list.setObjectName("userList")
        self.list.setRootIsDecorated(False)
        self.list.setHeaderLabels(["Name", "Username", "Role", "Account", "Phone"])
        self.list.setSortingEnabled(True)
        self.list.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.list.setAlternatingRowColors(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.list.activated.connect(lambda _i: self.edit_user())
        layout.addWidget(self.list, 1)
        bar = QHBoxLayout()
        self.add_button = QPushButton("&Add user…")
        self.add_button.setObjectName("addUserButton")
        self.edit_button = QPushButton("&Edit…")
        self.edit_button.setObjectName("editUserButton")
        self.password_button = QPushButton("&Reset password…")
        self.password_button.setObjectName("resetPasswordButton")
        self.active_button = QPushButton("&Deactivate")
        self.active_button.setObjectName("activeButton")
        for b in (self.add_button, self.edit_button, self.password_button, self.active_button):
            bar.addWidget(b)
        bar.addStretch(1)
        layout.addLayout(bar)
        self.add_button.clicked.connect(self.add_user)
        self.edit_button.clicked.connect(self.edit_user)
        self.password_button.clicked.connect(self.reset_password)
        self.active_button.clicked.connect(self.toggle_active)
        self.may_manage = ctx.can(Permission.MANAGE_USERS)
        self.note.setText(
            "Select a person, then choose what to do. Accounts are never deleted: "
            "deactivate someone who has left."
            if self.may_manage
            else "You can see the team. Only an administrator can add or change accounts."
        )
        ctx.bus.changed.connect(self._on_bus)
        self.refresh()

    def _on_bus(self, entity: str) -> None:
        if entity in ("user", "external"):
            self.refresh()

    def refresh(self) -> None:
        selected = self.selected()
        self.users = self.ctx.query(users.list_users)
        self.list.setSortingEnabled(False)
        self.list.clear()
        for u in self.users:
            item = QTreeWidgetItem(
                [
                    u.full_name,
                    u.username,
                    u.role_label,
                    "Active" if u.active else "Deactivated",
                    u.phone,
                ]
            )
            item.setData(0, ID_ROLE, u.id)
            self.list.addTopLevelItem(item)
            if selected is not None and u.id == selected.id:
                self.list.setCurrentItem(item)
        self.list.setSortingEnabled(True)
        for c in range(4):
            self.list.resizeColumnToContents(c)
        if self.list.currentItem() is None and self.list.topLevelItemCount():
            self.list.setCurrentItem(self.list.topLevelItem(0))
        self._update_buttons()

    def selected(self) -> UserView | None:
        item = self.list.currentItem()
        if item is None:
            return None
        user_id = item.data(0, ID_ROLE)
        return next((u for u in self.users if u.id == user_id), None)

    def _update_buttons(self) -> None:
        gate(self.add_button, self.ctx, Permission.MANAGE_USERS, "Add an account for a colleague")
        user = self.selected()
        self.active_button.setText("&Reactivate" if user and not user.active else "&Deactivate")
        for b, tip in (
            (self.edit_button, "Change name, role or phone"),
            (self.password_button, "Set a new password for someone who forgot theirs"),
            (self.active_button, "Deactivated people can no longer sign in"),
        ):
            if gate(b, self.ctx, Permission.MANAGE_USERS, tip) and user is None:
                b.setEnabled(False)

    def add_user(self) -> None:
        dialog = UserDialog(self.ctx, None, self)
        if dialog.exec() and dialog.saved:
            self._changed(dialog.saved.id)

    def edit_user(self) -> None:
        user = self.selected()
        if user is None or not self.may_manage:
            return
        dialog = UserDialog(self.ctx, user, self)
        if dialog.exec() and dialog.saved:
            self._changed(user.id)

    def reset_password(self) -> None:
        user = self.selected()
        if user is None or not self.may_manage:
            return
        dialog = PasswordDialog(user, self)
        if not dialog.exec():
            return
        data = UserInput(
            username=user.username,
            full_name=user.full_name,
            discipline=user.discipline,
            is_admin=user.is_admin,
            phone=user.phone,
            password=dialog.password.text(),
        )
        try:
            self.ctx.call(users.update_user, user.id, user.version, data)
        except ServiceError as exc:
            show_error(self, "Password not changed", getattr(exc, "message", str(exc)))
            return
        self._changed(user.id)

    def toggle_active(self) -> None:
        user = self.selected()
        if user is None or not self.may_manage:
            return
        if user.active and not confirm(
            self,
            "Deactivate account",
            f"{user.full_name} will no longer be able to sign in. Their name stays on the "
            "records they entered. You can reactivate the account later.",
            yes=f"Deactivate {user.full_name}",
        ):
            return
        try:
            self.ctx.call(users.set_active, user.id, not user.active)
        except ServiceError as exc:
            show_error(self, "Not changed", str(exc))
            return
        self._changed(user.id)

    def _changed(self, user_id: int) -> None:
        self.ctx.bus.changed.emit("user")
        for i in range(self.list.topLevelItemCount()):
            item = self.list.topLevelItem(i)
            if item.data(0, ID_ROLE) == user_id:
                self.list.setCurrentItem(item)
