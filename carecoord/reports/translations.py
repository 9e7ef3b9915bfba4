"""Handout text as data: one JSON file per language in resources/translations.

``Translator.text(key, **values)`` never raises: a key missing from the patient's language
falls back to English (a safety warning in English beats none), a key missing everywhere shows a
visible gap marker, and a template that names a value the caller did not give keeps the marker
for that value instead of crashing. Every gap is remembered in ``gaps`` so the GUI and the
tests can say what is missing.
"""

from __future__ import annotations

import datetime as dt
import json
import string
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.dates import format_date as babel_format_date
from babel.dates import get_day_names
from babel.numbers import format_decimal

from carecoord.domain.units import format_number
from carecoord.reports.assets import asset

DEFAULT_LANGUAGE = "en"
GAP_MARKER = "[text missing: {key}]"


class TranslationFileError(ValueError):
    """A translation file that cannot be read (bad JSON, not an object of strings)."""


def translations_dir() -> Path:
    return asset("translations")


@lru_cache(maxsize=16)
def _load(language: str) -> dict[str, str]:
    path = translations_dir() / f"{language}.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TranslationFileError(
            f"The translation file {path.name} cannot be read: {exc}"
        ) from exc
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise TranslationFileError(f"The translation file {path.name} must map keys to text.")
    return data


def available_languages() -> dict[str, str]:
    """Language code -> its own name ("es" -> "Español"), for every translation file."""
    out: dict[str, str] = {}
    for path in sorted(translations_dir().glob("*.json")):
        try:
            out[path.stem] = _load(path.stem).get("language.name", path.stem)
        except TranslationFileError:
            continue
    return out


def has_translation(language: str) -> bool:
    return (translations_dir() / f"{language}.json").is_file()


class _Lenient(string.Formatter):
    """str.format that leaves a marker for a value the caller did not give."""

    def get_value(self, key: Any, args: Any, kwargs: Any) -> Any:
        if isinstance(key, str) and key not in kwargs:
            return f"[{key}?]"
        return super().get_value(key, args, kwargs)


_FORMATTER = _Lenient()


@dataclass
class Translator:
    """The handout's words in one language (``language`` falls back to English if unknown)."""

    language: str = DEFAULT_LANGUAGE
    gaps: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        code = (self.language or DEFAULT_LANGUAGE).strip().lower()
        self.language = code if has_translation(code) else DEFAULT_LANGUAGE
        self._own = _load(self.language)
        self._english = _load(DEFAULT_LANGUAGE)

    def has(self, key: str) -> bool:
        return key in self._own or key in self._english

    def text(self, key: str, **values: Any) -> str:
        template = self._own.get(key)
        if template is None:
            template = self._english.get(key)
            if template is None:
                self.gaps.append(key)
                return GAP_MARKER.format(key=key)
            if self.language != DEFAULT_LANGUAGE:
                self.gaps.append(f"{key} ({self.language})")
        try:
            return _FORMATTER.format(template, **values)
        except (ValueError, IndexError, AttributeError):
            self.gaps.append(key)
            return GAP_MARKER.format(key=key)

    __call__ = text

    def lines(self, key: str) -> list[str]:
        """A list kept as one text with one item per line (warning signs, cautions)."""
        return [line.strip() for line in self.text(key).split("\n") if line.strip()]

    # Numbers and dates in the language's own style -----------------------------------------

    def number(self, value: Decimal | int) -> str:
        """No trailing zeros, a leading zero, no thousands separator (house style)."""
        plain = format_number(value)
        if self.language == DEFAULT_LANGUAGE:
            return plain
        return format_decimal(
            Decimal(plain), locale=self.language, group_separator=False, decimal_quantization=False
        )

    def date(self, value: dt.date) -> str:
        """Long handout date: "Tuesday 24 November 2026", "martes 24 de noviembre de 2026"."""
        pattern = self.text("format.long_date")
        try:
            return babel_format_date(value, pattern, locale=self.language)
        except (ValueError, KeyError):
            return value.isoformat()

    def short_date(self, value: dt.date) -> str:
        pattern = self.text("format.short_date")
        try:
            return babel_format_date(value, pattern, locale=self.language)
        except (ValueError, KeyError):
            return value.isoformat()

    def time(self, value: dt.time) -> str:
        return f"{value.hour:02d}:{value.minute:02d}"

    def weekday(self, index: int) -> str:
        """Weekday name, 0 = Monday."""
        return str(get_day_names("wide", locale=self.language)[index])
