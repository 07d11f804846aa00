"""The `tgassist` command line: run the bot, import exports, ask, search, run jobs, admin tools."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from app.commands import COMMAND_MODULES
from core.extras import MissingExtra


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="tgassist", description="A Telegram assistant that reads channels for you."
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except MissingExtra as missing:  # a configured backend's client is not installed
        print(f"tgassist: {missing}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
