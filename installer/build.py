"""Build the CareCoord desktop bundle: one folder, an archive and a .desktop entry.

    python installer/build.py [--dist DIR]

Produces DIR/carecoord/ (the app with its own Python, Qt plugins, migrations, device catalog,
translations and report assets) and DIR/carecoord-<version>-<platform>.tar.gz (zip on Windows).
"""

from __future__ import annotations

import argparse
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def folder_size(path: Path) -> int:
    """Bytes on disk; PyInstaller links some libraries twice by symlink, counted once here."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--dist", type=Path, default=ROOT / "dist", help="output folder (default dist/)"
    )
    parser.add_argument("--work", type=Path, default=ROOT / "build", help="PyInstaller work folder")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from carecoord import __version__

    started = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--clean",
            "--log-level",
            "WARN",
            "--distpath",
            str(args.dist),
            "--workpath",
            str(args.work),
            str(ROOT / "installer" / "carecoord.spec"),
        ],
        check=True,
        cwd=ROOT,
    )
    bundle = args.dist / "carecoord"
    desktop = (ROOT / "installer" / "carecoord.desktop").read_text(encoding="utf-8")
    (bundle / "carecoord.desktop").write_text(desktop, encoding="utf-8")
    icon = ROOT / "resources" / "icons" / "carecoord.png"
    if icon.exists():
        shutil.copy(icon, bundle / "carecoord.png")
    shutil.copy(ROOT / "installer" / "install-linux.sh", bundle / "install-linux.sh")
    system = {"Linux": "linux", "Windows": "windows", "Darwin": "macos"}.get(
        platform.system(), "other"
    )
    name = f"carecoord-{__version__}-{system}-{platform.machine().lower()}"
    fmt = "zip" if system == "windows" else "gztar"
    archive = shutil.make_archive(
        str(args.dist / name), fmt, root_dir=args.dist, base_dir="carecoord"
    )
    seconds = time.monotonic() - started
    print(f"Bundle:  {bundle} ({folder_size(bundle) / 2**20:.0f} MiB)")
    print(f"Archive: {archive} ({Path(archive).stat().st_size / 2**20:.0f} MiB)")
    print(f"Built in {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
