"""Files that hold patient information, readable by their owner only.

The SQLite database (and the ``-wal``/``-shm`` files SQLite creates with its permissions),
its backups, the log and audit checkpoints are created with mode 0600 in folders with mode
0700, whatever the user's umask. Existing files are tightened when CareCoord opens them, if
the current user owns them (a file shared on purpose by another account is left alone). On
Windows the permission bits mean little; the user's profile folder already protects the files.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

OWNER_ONLY_FILE = 0o600
OWNER_ONLY_DIR = 0o700
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def private_dir(path: Path) -> Path:
    """Create a folder (and its parents) readable by the owner only; existing ones stay as
    they are, since a parent folder may well be shared."""
    path.mkdir(mode=OWNER_ONLY_DIR, parents=True, exist_ok=True)
    return path


def tighten(path: Path) -> bool:
    """Remove group and other access from a file the current user owns. True if changed."""
    try:
        info = path.stat()
    except OSError:
        return False
    if not stat.S_ISREG(info.st_mode) or not hasattr(os, "getuid") or info.st_uid != os.getuid():
        return False
    if stat.S_IMODE(info.st_mode) & 0o077 == 0:
        return False
    with contextlib.suppress(OSError):
        path.chmod(stat.S_IMODE(info.st_mode) & 0o700)
        return True
    return False


def create_private(path: Path) -> None:
    """Create an empty file with mode 0600 if it does not exist (atomically, no race)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY_FILE)
    except FileExistsError:
        return
    os.close(fd)


def write_private(path: Path, content: str) -> None:
    """Write a text file readable by its owner only (replacing an existing one)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, OWNER_ONLY_FILE)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content)
    tighten(path)


def secure_sqlite_file(path: Path) -> None:
    """Before SQLite opens a file: create it owner-only if new, tighten it and its side files."""
    create_private(path)
    for candidate in (path, *(Path(f"{path}{suffix}") for suffix in SQLITE_SIDE_FILES)):
        tighten(candidate)
