"""`tgassist import PATH... --chat CHAT_ID`: Telegram Desktop exports into a chat."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from app.commands.common import Subparsers, load_settings, opened_container, print_json, run_async
from core.channels.names import parse_channel_name
from core.errors import IndexUnavailable, InvalidChannelName
from core.ingest.service import ExportImporter, check_single_channel

_REJECTED_SHOWN = 20  # reasons printed to stderr; --json lists them all


def register(subparsers: Subparsers) -> None:
    """Add import."""
    parser = subparsers.add_parser(
        "import", help="import Telegram Desktop exports (result.json) into a chat"
    )
    parser.add_argument("paths", nargs="+", type=Path, help="result.json files or export folders")
    parser.add_argument(
        "--chat", type=int, required=True, help="chat id whose channels they become"
    )
    parser.add_argument(
        "--username",
        metavar="NAME",
        help="the channel's public username (@name or t.me/name), so answers cite "
        "t.me/NAME/<post> links anyone can open; the exports must hold that one channel",
    )
    parser.add_argument("--no-index", action="store_true", help="store only; index later")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Parse every file first (a malformed one changes nothing), then store and index."""
    settings = load_settings(quiet=True)

    async def work() -> int:
        username = public_username(args.username) if args.username is not None else None
        parsed = ExportImporter.parse(args.paths)
        if username is not None:
            check_single_channel(parsed)
        total = sum(len(chat.posts) for _, chats in parsed for chat in chats)
        async with opened_container(settings) as container:
            show = not args.json and sys.stderr.isatty()
            with tqdm(total=total, desc="storing", unit="post", disable=not show) as bar:
                tenant_id, report = await container.importer.store(
                    args.chat, parsed, bar.update, username=username
                )
            indexed, index_error = 0, None
            if not args.no_index:
                pending = await container.indexer.pending(tenant_id)
                with tqdm(total=pending, desc="indexing", unit="post", disable=not show) as bar:
                    try:
                        indexed = await container.indexer.index_tenant(tenant_id, bar.update)
                    except IndexUnavailable as error:
                        # The posts are stored and stay pending; the running bot indexes them.
                        index_error = str(error)
            summary = {
                "chat": args.chat,
                "tenant_id": tenant_id,
                "files": report.files,
                "username": username,
                "channels": report.channels,
                "inserted": report.inserted,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "skipped": report.skipped,
                "rejected": report.rejected,
                "indexed": indexed,
                "index_error": index_error,
            }
            if args.json:
                print_json(summary)
            else:
                print(
                    f"imported {report.files} file(s), {len(report.channels)} channel(s): "
                    f"{report.inserted} new, {report.updated} updated, {report.unchanged} unchanged, "
                    f"{report.skipped} skipped, {len(report.rejected)} rejected; "
                    f"indexed {indexed} for chat {args.chat}"
                )
                if container.embedding is not None:
                    print(
                        "searchable now by words; dense vectors follow in the background "
                        "(the running bot's `embed` job, or `tgassist jobs run embed`)"
                    )
            for reason in report.rejected[:_REJECTED_SHOWN]:
                print(f"rejected: {reason}", file=sys.stderr)
            if len(report.rejected) > _REJECTED_SHOWN:
                more = len(report.rejected) - _REJECTED_SHOWN
                print(f"rejected: ... and {more} more (all in --json)", file=sys.stderr)
            if index_error:
                print(
                    f"warning: posts stored but not indexed yet: {index_error}; they are indexed "
                    "by the running bot, or later by `tgassist jobs run index-pending`",
                    file=sys.stderr,
                )
        return 3 if index_error else 0

    return int(run_async(work))


def public_username(raw: str) -> str:
    """The username in `@name`, `name` or a t.me link; InvalidChannelName for anything else."""
    name = parse_channel_name(raw)
    if name.username is None:
        raise InvalidChannelName(f"--username needs a public username like @name, not {raw[:40]!r}")
    return name.username
