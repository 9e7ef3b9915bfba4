"""Where the report assets (fonts, translations) are, in a checkout and in an installed bundle.

The GUI has its own lookup (it needs Qt); reports must work headless, so the same order is kept
here without Qt: $CARECOORD_RESOURCES, the bundle's folder, the checkout's folder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import carecoord

ENV_RESOURCES = "CARECOORD_RESOURCES"


def resources_dir() -> Path:
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


def asset(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)
