"""The PySide6 user interface (see DESIGN.md, GUI)."""

from carecoord.gui import compat  # noqa: F401  (must run before any Qt call)
