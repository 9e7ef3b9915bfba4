"""Signing in, and creating the first administrator of a new database."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from carecoord.domain.enums import Discipline
from carecoord.domain.errors import Problem, ValidationFailed
from carecoord.domain.users import UserInput, validate_user
from carecoord.gui.widgets import FieldMessage, chain_tab_order, enum_data, heading, show_error
from carecoord.services.context import Actor
from carecoord.services.errors import ServiceError
from carecoord.store.database import Database, describe_url

if TYPE_CHECKING:
    from carecoord.gui.warmup import Warmup
    from carecoord.services.users import UserView


class SignInDialog(QDialog):
    """Username and password; the service's refusal (wrong password, lockout) shown in words."""

    def __init__(
        self,
        db: Database,
        parent: QWidget | None = None,
        clinic: str = "",
        warmup: Warmup | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.warmup = warmup  # the ORM loading meanwhile; waited for before signing in
        self.actor: Actor | None = None
        self.setWindowTitle("Sign in to CareCoord")
        # Wide enough for a clinic's name on one or two lines and untruncated buttons.
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 60)
        layout = QVBoxLayout(self)
        layout.addWidget(heading(f"Sign in{f' — {clinic}' if clinic else ''}"))
        form = QFormLayout()
        self.username = QLineEdit()
        self.username.setObjectName("username")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("&Username", self.username)
        form.addRow("&Password", self.password)
        layout.addLayout(form)
        self.message = QLabel()
        self.message.setObjectName("signInMessage")
        self.message.setWordWrap(True)
        self.message.setVisible(False)
        layout.addWidget(self.message)
        where = QLabel(f"Data: {describe_url(db.url)}")
        where.setObjectName("hint")
        where.setWordWrap(True)
        layout.addWidget(where)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.sign_in_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.sign_in_button.setText("Sign in")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Quit")
        self.buttons.accepted.connect(self.try_sign_in)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        chain_tab_order([self.username, self.password, self.sign_in_button])
        self.username.setFocus()

    def try_sign_in(self) -> None:
        if not self.username.text().strip():
            self._say("Enter your username.")
            self.username.setFocus()
            return
        if self.warmup is not None:
            self.warmup.wait()
        from carecoord.services import boundary, users

        try:
            self.actor = boundary.run(
                self.db, users.sign_in, self.username.text(), self.password.text()
            )
        except ServiceError as exc:  # a refusal, or the store's problem in words
            self._say(str(exc))
            self.password.clear()
            self.password.setFocus()
            return
        self.accept()

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(True)


class FirstAdminDialog(QDialog):
    """A brand-new database has no user: the person installing CareCoord becomes its administrator."""

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.created: UserView | None = None
        self.setWindowTitle("Create the first administrator")
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Create the first administrator"))
        intro = QLabel(
            "This database has no users yet. The administrator adds the team's accounts. "
            "If you also work clinically, choose your discipline."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.full_name = QLineEdit()
        self.username = QLineEdit()
        self.discipline = QComboBox()
        self.discipline.addItem("No clinical role", None)
        for d in Discipline:
            self.discipline.addItem(d.label, d)
        self.phone = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit()
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        self.messages: dict[str, FieldMessage] = {}
        for label, name, widget in (
            ("Full &name", "full_name", self.full_name),
            ("&Username", "username", self.username),
            ("&Discipline", "discipline", self.discipline),
            ("P&hone", "phone", self.phone),
            ("&Password", "password", self.password),
            ("&Repeat password", "repeat", self.repeat),
        ):
            widget.setObjectName(name)
            form.addRow(label, widget)
            self.messages[name] = FieldMessage()
            form.addRow("", self.messages[name])
        layout.addLayout(form)
        self.admin_note = QCheckBox("Administrator (adds and manages the team's accounts)")
        self.admin_note.setChecked(True)
        self.admin_note.setEnabled(False)
        layout.addWidget(self.admin_note)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.create_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.create_button.setText("Create administrator")
        self.buttons.accepted.connect(self.try_create)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        for w in (self.full_name, self.username, self.phone, self.password, self.repeat):
            w.textChanged.connect(self.validate)
        self.discipline.currentIndexChanged.connect(self.validate)
        chain_tab_order(
            [
                self.full_name,
                self.username,
                self.discipline,
                self.phone,
                self.password,
                self.repeat,
                self.create_button,
            ]
        )
        self._touched = False
        self.validate()

    def _input(self) -> UserInput:
        return UserInput(
            username=self.username.text().strip().lower(),
            full_name=self.full_name.text(),
            discipline=enum_data(self.discipline, Discipline),
            is_admin=True,
            phone=self.phone.text(),
            password=self.password.text(),
        )

    def validate(self) -> bool:
        problems = validate_user(self._input(), new=True)
        if self.repeat.text() != self.password.text():
            problems.append(Problem("repeat", "The two passwords are not the same."))
        by_field: dict[str, list[Problem]] = {}
        for p in problems:
            by_field.setdefault(p.field, []).append(p)
        for name, message in self.messages.items():
            # Do not shout at empty fields the user has not reached yet.
            widget = getattr(self, name)
            typed = bool(widget.text()) if isinstance(widget, QLineEdit) else True
            message.show_problems(by_field.get(name, []) if typed else [])
        self.create_button.setEnabled(not problems)
        return not problems

    def try_create(self) -> None:
        if not self.validate():
            return
        from carecoord.services import boundary, users

        try:
            self.created = boundary.run(self.db, users.create_first_admin, self._input())
        except ValidationFailed as exc:
            for p in exc.problems:
                self.messages.get(p.field, self.messages["username"]).show_problems([p])
            return
        except ServiceError as exc:
            show_error(self, "Administrator not created", str(exc))
            return
        self.accept()
