"""`tgassist migrate`: bring the database schema up to date (also done at start-up)."""

from __future__ import annotations

import argparse

from app.commands.common import Subparsers, load_settings
from storage.migrate import downgrade, upgrade


def register(subparsers: Subparsers) -> None:
    """Add migrate."""
    parser = subparsers.add_parser("migrate", help="apply database migrations")
    parser.add_argument("--revision", default="head", help="target revision (default: head)")
    parser.add_argument("--down", action="store_true", help="downgrade to --revision instead")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Upgrade (or downgrade) the schema."""
    settings = load_settings()
    if args.down:
        downgrade(settings.resolved_database_url, args.revision)
    else:
        upgrade(settings.resolved_database_url, args.revision)
    print(f"database at {args.revision}")
    return 0
