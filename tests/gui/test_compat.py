"""The workaround for the binding's reference-count fault on Python 3.11 (gui/compat.py)."""

from __future__ import annotations

import sys

import pytest

from carecoord.gui import compat


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None, True and False are immortal")
def test_none_true_and_false_have_headroom_against_lost_references() -> None:
    compat.keep_none_alive()
    for singleton in (None, True, False):
        assert sys.getrefcount(singleton) > compat._HEADROOM


def test_calling_it_again_adds_nothing() -> None:
    before = [sys.getrefcount(s) for s in (None, True, False)]
    compat.keep_none_alive()
    after = [sys.getrefcount(s) for s in (None, True, False)]
    assert all(abs(a - b) < 1000 for a, b in zip(before, after, strict=True))
