"""Small pieces shared by the candidacy views: field rows with messages, state labels, the
conflict dialog's wording for these records, and refusal handling in words."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TypeVar

from PySide6.QtWidgets import QLabel, QWidget

from carecoord.domain.errors import Problem, Severity
from carecoord.gui.patient.overview import ConflictDialog
from carecoord.gui.widgets import FieldMessage, show_error
from carecoord.services.errors import ConflictError, ServiceError, ValidationFailed

T = TypeVar("T")


def top_field(name: str) -> str:
    """``mas.ratings[0].grade`` -> ``mas``: the form field a nested problem belongs to."""
    return name.split(".", 1)[0].split("[", 1)[0]


def group_problems(problems: Sequence[Problem]) -> dict[str, list[Problem]]:
    out: dict[str, list[Problem]] = {}
    for p in problems:
        out.setdefault(top_field(p.field), []).append(p)
    return out


def errors(problems: Sequence[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity is Severity.ERROR]


def set_state(label: QLabel, state: str) -> None:
    """Style hook only: the words in the label carry the meaning."""
    label.setProperty("state", state)
    label.style().unpolish(label)
    label.style().polish(label)


def status_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    return label


def show_conflict(parent: QWidget, conflict: ConflictError, what: str) -> int:
    dialog = ConflictDialog(conflict, parent)
    dialog.setWindowTitle(f"Someone else saved {what}")
    dialog.exec()
    return dialog.choice


def attempt(
    parent: QWidget,
    title: str,
    action: Callable[[], T],
    messages: dict[str, FieldMessage] | None = None,
    on_conflict: Callable[[ConflictError], None] | None = None,
    route: Callable[[str], str] = top_field,
) -> T | None:
    """Run a service call; refusals are shown beside their fields (or in a box), never as a
    traceback. Returns None when refused."""
    try:
        return action()
    except ValidationFailed as exc:
        shown = False
        if messages:
            routed: dict[str, list[Problem]] = {}
            for p in exc.problems:
                routed.setdefault(route(p.field), []).append(p)
            for field, problems in routed.items():
                if field in messages:
                    messages[field].show_problems(problems)
                    shown = True
        if not shown:
            show_error(parent, title, "\n".join(p.message for p in exc.problems))
        return None
    except ConflictError as exc:
        if on_conflict is not None:
            on_conflict(exc)
        else:
            show_error(parent, title, exc.message)
        return None
    except ServiceError as exc:
        show_error(parent, title, str(exc))
        return None


def local_now() -> dt.datetime:
    return dt.datetime.now().astimezone().replace(second=0, microsecond=0)
