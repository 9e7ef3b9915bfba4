"""The `carecoord` command: no argument opens the app; sub-commands do headless work."""

from __future__ import annotations

import argparse
import importlib
import sys

from carecoord import __version__
from carecoord.commands.common import run_handler

# One line per feature; each module has register(subparsers, common).
COMMAND_MODULES = (
    "carecoord.commands.core",
    "carecoord.commands.pump",
    "carecoord.commands.refills",
    "carecoord.commands.reports",
    "carecoord.commands.candidacy",
    "carecoord.commands.restore",
)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--database-url",
        default=argparse.SUPPRESS,
        metavar="URL",
        help="sqlite:///path/file.db or postgresql://user@host:5432/db "
        "(default: CARECOORD_DATABASE_URL, else a SQLite file in your data folder)",
    )
    parser = argparse.ArgumentParser(
        prog="carecoord",
        parents=[common],
        description="CareCoord: care coordination for intrathecal baclofen pump therapy. "
        "Without a command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"CareCoord {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        return gui_main_with(getattr(args, "database_url", None))
    return run_handler(handler, args)


def gui_main_with(database_url: str | None) -> int:
    from carecoord.gui.app import run

    return run(database_url)


def gui_main() -> int:
    return main(sys.argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
