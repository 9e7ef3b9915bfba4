"""Fonts that print every patient's name, and right-to-left text in the right order.

reportlab's built-in Helvetica covers only Latin-1: "Łukasz", "Dvořák" or a Hebrew or Arabic
name would print as black boxes. The bundled DejaVu Sans (resources/fonts, Bitstream Vera
licence) covers Latin with every accent, Greek, Cyrillic, Hebrew and Arabic.

reportlab lays text out left to right in the order it is stored. Text with right-to-left
letters is therefore reordered for display (python-bidi, Unicode bidirectional algorithm) and
Arabic letters are first given their joined forms (arabic-reshaper). Limitation: a right-to-left
run that wraps over two lines is reordered as one line before wrapping, so the wrapped pieces of
that run appear in reverse line order; names rarely wrap, and nothing is lost or garbled.
"""

from __future__ import annotations

import threading
import unicodedata
from functools import lru_cache

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from carecoord.reports.assets import asset

REGULAR = "CareSans"
BOLD = "CareSans-Bold"
_FALLBACK_REGULAR = "Helvetica"
_FALLBACK_BOLD = "Helvetica-Bold"
_lock = threading.Lock()
_registered: tuple[str, str] | None = None


def register_fonts() -> tuple[str, str]:
    """Register the bundled fonts once; (regular, bold) names to use in styles.

    Without the font files (a damaged install) reports still print, in Helvetica.
    """
    global _registered
    with _lock:
        if _registered is not None:
            return _registered
        regular, bold = asset("fonts", "DejaVuSans.ttf"), asset("fonts", "DejaVuSans-Bold.ttf")
        if regular.is_file() and bold.is_file():
            pdfmetrics.registerFont(TTFont(REGULAR, str(regular)))
            pdfmetrics.registerFont(TTFont(BOLD, str(bold)))
            addMapping(REGULAR, 0, 0, REGULAR)
            addMapping(REGULAR, 1, 0, BOLD)
            addMapping(REGULAR, 0, 1, REGULAR)
            addMapping(REGULAR, 1, 1, BOLD)
            _registered = (REGULAR, BOLD)
        else:
            _registered = (_FALLBACK_REGULAR, _FALLBACK_BOLD)
        return _registered


def _is_rtl_char(char: str) -> bool:
    return unicodedata.bidirectional(char) in ("R", "AL")


def has_rtl(text: str) -> bool:
    return any(_is_rtl_char(c) for c in text)


def _has_arabic(text: str) -> bool:
    return any(unicodedata.bidirectional(c) == "AL" for c in text)


@lru_cache(maxsize=1)
def _reshaper():  # type: ignore[no-untyped-def]
    import arabic_reshaper

    # The single-glyph "Allah" ligature is missing from DejaVu Sans; the letters join anyway.
    return arabic_reshaper.ArabicReshaper(configuration={"ARABIC LIGATURE ALLAH": False})


@lru_cache(maxsize=4096)
def visual(text: str) -> str:
    """Text in the order reportlab must draw it (unchanged when it has no right-to-left letter).

    The base direction stays left to right: the documents are in English or Spanish, and a
    Hebrew or Arabic name sits inside such a line.
    """
    if not text or not has_rtl(text):
        return text
    from bidi import get_display

    shaped = _reshaper().reshape(text) if _has_arabic(text) else text
    return get_display(shaped, base_dir="L")
