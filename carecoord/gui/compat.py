"""Work around a reference-count fault of the Qt binding on Python 3.11.

PySide6 6.12 returns ``None`` from methods without a result (``setVisible``, ``clear``,
``setText``...) without taking a reference, which is harmless where ``None`` is immortal
(Python 3.12 and later) but on 3.11 removes one reference per call: after a few thousand calls
the interpreter aborts ("deallocating None"). Giving ``None`` a very large reference count, as
3.12 does, keeps a long session (and a long test) alive. ``True`` and ``False`` (returned by
event filters and ``isActive``-style methods) get the same headroom: a session once ended with
"deallocating True or False". Nothing happens on 3.12 and later.
"""

from __future__ import annotations

import ctypes
import sys

# About 2**40 calls: decades of continuous use. Far below the counter's limit of 2**63.
_HEADROOM = 1 << 40


def keep_none_alive() -> None:
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    for singleton in (None, True, False):
        # ob_refcnt is the object's first field
        refcount = ctypes.c_ssize_t.from_address(id(singleton))
        if refcount.value < _HEADROOM:
            refcount.value += _HEADROOM


keep_none_alive()
