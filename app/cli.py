"""The `tgassist` command line: run the bot, import exports, ask, search, run jobs, admin tools."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from app.commands import COMMAND_MODULES
from app.settings import ENV_FILE_VARIABLE
from core.extras import MissingExtra


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="tgassist", description="A Telegram assistant that reads channels for you."
    )
    parser.add_argument(
        "--env-file",
        metavar="PATH",
        help="read settings from this file instead of ./.env and DATA_DIR/.env",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.env_file:
        if not Path(args.env_file).is_file():
            print(f"error: --env-file {args.env_file} is not a file", file=sys.stderr)
            return 2
        os.environ[ENV_FILE_VARIABLE] = str(Path(args.env_file).resolve())
    try:
        return int(args.handler(args) or 0)
    except MissingExtra as missing:  # a configured backend's client is not installed
        print(f"tgassist: {missing}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
