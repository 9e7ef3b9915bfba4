"""Finding the resources folder (style sheet, icons) in a checkout and in an installed bundle."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

import carecoord

ENV_RESOURCES = "CARECOORD_RESOURCES"


def resources_dir() -> Path:
    """The first existing of: $CARECOORD_RESOURCES, the bundle's folder, the checkout's folder."""
    candidates: list[Path] = []
    if os.environ.get(ENV_RESOURCES):
        candidates.append(Path(os.environ[ENV_RESOURCES]))
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.append(Path(bundle) / "resources")
    candidates.append(Path(carecoord.__file__).resolve().parent.parent / "resources")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[-1]


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


def style_sheet() -> str:
    path = resource("style.qss")
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def app_icon() -> QIcon:
    icon = QIcon()
    for name in ("carecoord.svg", "carecoord.png"):
        path = resource("icons", name)
        if path.is_file():
            icon.addFile(str(path))
    return icon


def apply_look(app: QApplication) -> None:
    """Style sheet and window icon; the font keeps the platform's size (scaling honoured)."""
    app.setStyleSheet(style_sheet())
    app.setWindowIcon(app_icon())
