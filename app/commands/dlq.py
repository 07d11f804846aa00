"""`tgassist dlq list|show|retry|purge`: the dead-letter queue from the shell."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from app.commands.common import Subparsers, load_settings, opened_container, print_json, run_async
from core.dlq.models import DeadLetter, EntryNotFound, InvalidStream, NoRetryHandler, parse_stream
from core.dlq.service import DeadLetterService


def register(subparsers: Subparsers) -> None:
    """Add dlq."""
    parser = subparsers.add_parser("dlq", help="the dead-letter queue: list, show, retry, purge")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    listing = actions.add_parser("list", help="streams with their lengths, or a stream's entries")
    listing.add_argument("stream", nargs="?", help="a stream (or its job) to list entries of")
    listing.add_argument("--limit", type=int, default=20, help="entries per page (default 20)")
    listing.add_argument("--offset", type=int, default=0, help="entries to skip (newest first)")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=handle_list)

    show = actions.add_parser("show", help="one entry with every field")
    show.add_argument("id", help="entry id (see `tgassist dlq list STREAM`)")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=handle_show)

    retry = actions.add_parser(
        "retry", help="re-run an entry's work (`retry ID` or `retry --all STREAM`)"
    )
    target = retry.add_mutually_exclusive_group(required=True)
    target.add_argument("id", nargs="?", help="entry id")
    target.add_argument("--all", metavar="STREAM", help="every entry of a stream")
    retry.add_argument("--json", action="store_true", help="print JSON")
    retry.set_defaults(handler=handle_retry)

    purge = actions.add_parser("purge", help="delete every entry of a stream (needs --yes)")
    purge.add_argument("stream", help="stream (or its job)")
    purge.add_argument("--yes", action="store_true", help="really delete; without it nothing is")
    purge.add_argument("--json", action="store_true", help="print JSON")
    purge.set_defaults(handler=handle_purge)


def entry_dict(dlq: DeadLetterService, entry: DeadLetter) -> dict[str, Any]:
    """An entry as printed: errors truncated, secrets masked."""
    return {
        "id": entry.id,
        "stream": entry.stream,
        "created_at": entry.created_at.isoformat(),
        "attempts": entry.attempts,
        "fields": dlq.shown_fields(entry),
    }


def _line(dlq: DeadLetterService, entry: DeadLetter) -> str:
    subject = " ".join(
        f"{key}={entry.fields[key]}"
        for key in ("user_id", "tenant_id", "post_id")
        if key in entry.fields
    )
    error = dlq.error_text(entry, limit=120)
    kind = entry.fields.get("error_type", "")
    return (
        f"{entry.id}\t{entry.created_at:%Y-%m-%d %H:%M:%S}\t{subject}\t"
        f"attempts={entry.attempts}\t{kind}: {error}"
    )


def _stream(text: str) -> str | None:
    try:
        return parse_stream(text)
    except InvalidStream:
        print(f"error: {text!r} is not a stream name", file=sys.stderr)
        return None


def handle_list(args: argparse.Namespace) -> int:
    """Print the streams, or a page of one stream's entries."""
    settings = load_settings(quiet=True)

    async def work() -> int:
        async with opened_container(settings) as container:
            dlq = container.dlq
            if not args.stream:
                streams = await dlq.overview()
                if args.json:
                    print_json(
                        {
                            "streams": [
                                {"stream": s.stream, "length": s.length, "retryable": s.retryable}
                                for s in streams
                            ]
                        }
                    )
                else:
                    for info in streams:
                        print(f"{info.stream}\t{info.length}")
                return 0
            stream = _stream(args.stream)
            if stream is None:
                return 2
            page = await dlq.page(stream, offset=args.offset, limit=max(args.limit, 1))
            if args.json:
                print_json(
                    {
                        "stream": stream,
                        "total": page.total,
                        "offset": page.offset,
                        "entries": [entry_dict(dlq, entry) for entry in page.entries],
                    }
                )
            else:
                print(f"{stream}: {page.total} entries, newest first")
                for entry in page.entries:
                    print(_line(dlq, entry))
            return 0

    return int(run_async(work))


def handle_show(args: argparse.Namespace) -> int:
    """Print one entry."""
    settings = load_settings(quiet=True)

    async def work() -> int:
        async with opened_container(settings) as container:
            entry = await container.dlq.show(args.id)
            if entry is None:
                print(f"error: no entry {args.id}", file=sys.stderr)
                return 1
            shown = entry_dict(container.dlq, entry)
        if args.json:
            print_json(shown)
        else:
            print(f"{shown['id']} in {shown['stream']} at {shown['created_at']}")
            for key, value in shown["fields"].items():
                print(f"  {key}: {value}")
        return 0

    return int(run_async(work))


def handle_retry(args: argparse.Namespace) -> int:
    """Retry one entry or a whole stream; exit 1 when something failed again."""
    settings = load_settings(quiet=True)

    async def work() -> int:
        async with opened_container(settings) as container:
            dlq = container.dlq
            try:
                if args.all:
                    stream = _stream(args.all)
                    if stream is None:
                        return 2
                    report = await dlq.retry_all(stream)
                    result: dict[str, Any] = {
                        "stream": stream,
                        "retried": report.retried,
                        "succeeded": report.succeeded,
                        "failed": report.failed,
                    }
                    failed = report.failed
                else:
                    outcome = await dlq.retry(args.id)
                    result = {
                        "id": outcome.entry_id,
                        "stream": outcome.stream,
                        "ok": outcome.ok,
                        "removed": outcome.removed,
                        "attempts": outcome.attempts,
                        "error": outcome.error,
                    }
                    failed = 0 if outcome.ok else 1
            except EntryNotFound:
                print(f"error: no entry {args.id}", file=sys.stderr)
                return 1
            except NoRetryHandler as error:
                print(f"error: {error}", file=sys.stderr)
                return 2
        if args.json:
            print_json(result)
        else:
            print(" ".join(f"{key}={value}" for key, value in result.items()))
        return 1 if failed else 0

    return int(run_async(work))


def handle_purge(args: argparse.Namespace) -> int:
    """Delete a stream's entries, only with --yes."""
    stream = _stream(args.stream)
    if stream is None:
        return 2
    settings = load_settings(quiet=True)

    async def work() -> int:
        async with opened_container(settings) as container:
            if not args.yes:
                length = await container.dlq.queue.length(stream)
                print(
                    f"error: this would delete {length} entries of {stream}; add --yes to do it",
                    file=sys.stderr,
                )
                return 2
            removed = await container.dlq.purge(stream)
        if args.json:
            print_json({"stream": stream, "removed": removed})
        else:
            print(f"purged {stream}: {removed} entries deleted")
        return 0

    return int(run_async(work))
