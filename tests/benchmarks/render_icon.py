"""Render resources/icons/carecoord.svg to the 256 px PNG beside it (run after editing the SVG)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parents[2] / "resources" / "icons"


def main() -> int:
    _app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(ICONS / "carecoord.svg"))
    if not renderer.isValid():
        print("The SVG could not be read.")
        return 1
    image = QImage(256, 256, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    ok = image.save(str(ICONS / "carecoord.png"))
    print("wrote", ICONS / "carecoord.png" if ok else "nothing")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
