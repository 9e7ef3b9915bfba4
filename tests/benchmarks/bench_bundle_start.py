"""Start-up time of the desktop bundle (or of the source install) on a fresh data directory.

Measures, over several runs, the wall time from launching the program until the main window is
shown (first start: store created, first administrator, sign-in), using the start-up
self-check. Also reports the size of the bundle folder and of its archive.

    python tests/benchmarks/bench_bundle_start.py dist/carecoord/carecoord [--runs 5]
    python tests/benchmarks/bench_bundle_start.py --source            # python -m carecoord
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def time_to_window(command: list[str]) -> float:
    with tempfile.TemporaryDirectory() as home:
        env = {
            "HOME": home,
            "PATH": "/usr/bin:/bin",
            "XDG_DATA_HOME": str(Path(home) / "data"),
            "QT_QPA_PLATFORM": "offscreen",
            "LANG": "C.UTF-8",
            "CARECOORD_SMOKE_TEST": "1",
        }
        if command[0] == sys.executable:
            env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
        started = time.perf_counter()
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        shown = None
        for line in proc.stdout:
            if line.startswith("smoke: main window shown"):
                shown = time.perf_counter() - started
        if proc.wait(timeout=120) != 0 or shown is None:
            raise SystemExit(f"start-up self-check failed ({proc.returncode})")
        return shown


def size_mib(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 2**20
    files = (p for p in path.rglob("*") if p.is_file() and not p.is_symlink())
    return sum(p.stat().st_size for p in files) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("executable", nargs="?", type=Path)
    parser.add_argument("--source", action="store_true", help="time python -m carecoord")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if args.source:
        command = [sys.executable, "-m", "carecoord"]
    elif args.executable:
        command = [str(args.executable.resolve())]
        folder = args.executable.resolve().parent
        print(f"bundle folder: {size_mib(folder):.0f} MiB")
        for archive in folder.parent.glob("*.tar.gz"):
            print(f"archive {archive.name}: {size_mib(archive):.0f} MiB")
    else:
        parser.error("give the bundle's executable or --source")
    time_to_window(command)  # first run warms the disk cache, as on a workstation used daily
    times = [time_to_window(command) for _ in range(args.runs)]
    print(
        f"first start to main window over {args.runs} runs: median "
        f"{statistics.median(times) * 1000:.0f} ms, min {min(times) * 1000:.0f} ms, "
        f"max {max(times) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    main()
