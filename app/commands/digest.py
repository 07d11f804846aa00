"""`tgassist digest --chat CHAT_ID [--since ISO-8601] [--json]`: the digest a chat would get now."""

from __future__ import annotations

import argparse
from typing import Any

from app.commands.common import iso_moment, load_settings, opened_container, print_json, run_async
from core.digests.models import Digest


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    """Add digest."""
    parser = subparsers.add_parser(
        "digest",
        help="the digest a chat would get now (since its last one, or 24 h); sends nothing",
    )
    parser.add_argument("--chat", type=int, required=True, help="chat id")
    parser.add_argument(
        "--since",
        type=iso_moment,
        default=None,
        metavar="ISO-8601",
        help="start of the period (default: the chat's last digest, or 24 hours ago)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=handle)


def digest_json(digest: Digest) -> dict[str, Any]:
    """The digest in the documented JSON shape."""
    return {
        "period": {"from": digest.period_from.isoformat(), "to": digest.period_to.isoformat()},
        "topics": list(digest.topics),
        "stories": [
            {
                "headline": story.headline,
                "summary": story.summary,
                "alerted": story.alerted,
                "kind": story.kind.split(":", 1)[0],
                "sources": [
                    {"channel": s.channel, "message_id": s.message_id, "url": s.url}
                    for s in story.sources
                ],
            }
            for story in digest.stories
        ],
    }


def handle(args: argparse.Namespace) -> int:
    """Build the chat's digest and print it."""
    settings = load_settings(quiet=True)

    async def work() -> int:
        async with opened_container(settings) as container:
            digest = await container.digests.for_chat(args.chat, args.since)
        if args.json:
            print_json(digest_json(digest))
            return 0
        print(
            f"digest of chat {args.chat}: {digest.period_from:%Y-%m-%d %H:%M} — "
            f"{digest.period_to:%Y-%m-%d %H:%M} UTC"
        )
        if not digest.stories:
            print("nothing stood out in this period")
        for number, story in enumerate(digest.stories, start=1):
            mark = " (already alerted)" if story.alerted else ""
            print(f"{number}. {story.headline}{mark}")
            if story.summary:
                print(f"   {story.summary}")
            for index, source in enumerate(story.sources, start=1):
                print(f"   [{index}] {source.channel}  {source.url}")
        return 0

    return int(run_async(work))
