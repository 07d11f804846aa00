"""`tgassist trends --chat CHAT_ID [--as-of ISO-8601] [--json]`: a chat's trends, best first."""

from __future__ import annotations

import argparse
from typing import Any

from app.commands.common import (
    Subparsers,
    iso_moment,
    load_settings,
    opened_container,
    print_json,
    run_async,
)
from core.trends.models import Trend


def register(subparsers: Subparsers) -> None:
    """Add trends."""
    parser = subparsers.add_parser(
        "trends", help="detect a chat's trends now (or as of a moment); stores nothing"
    )
    parser.add_argument("--chat", type=int, required=True, help="chat id")
    parser.add_argument(
        "--as-of",
        type=iso_moment,
        default=None,
        metavar="ISO-8601",
        help="detect as of this moment over the posts before it (default: now)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=handle)


def trend_json(trend: Trend) -> dict[str, Any]:
    """One trend in the documented JSON shape."""
    return {
        "trend_key": trend.trend_key,
        "label": trend.label,
        "terms": list(trend.terms),
        "score": trend.score,
        "mentions": trend.mentions,
        "baseline": trend.baseline,
        "channels": list(trend.channels),
        "posts": [{"url": post.url, "date": post.date.isoformat()} for post in trend.posts],
        "headline": trend.headline,
        "actors": list(trend.actors),
        "summary": trend.summary,
        "summary_sources": list(trend.summary_sources),
        "story_posts": story_posts(trend),
    }


def story_posts(trend: Trend) -> list[dict[str, Any]]:
    """Every post of the story, oldest first, copies in other channels folded into theirs."""
    originals: dict[int, dict[str, Any]] = {}
    for post in trend.posts:
        item = originals.get(post.copy_of) if post.copy_of is not None else None
        entry = {"channel": post.channel_name, "url": post.url, "date": post.date.isoformat()}
        if item is not None:
            item["copies"].append(entry)
            continue
        originals[post.post_id] = {**entry, "text": post.snippet, "copies": []}
    return list(originals.values())


def handle(args: argparse.Namespace) -> int:
    """Run detection for the chat and print its trends, best first."""
    settings = load_settings(quiet=True)

    async def work() -> int:
        async with opened_container(settings) as container:
            trends = await container.trends.service.detect_for_chat(args.chat, args.as_of)
        if args.json:
            print_json({"trends": [trend_json(trend) for trend in trends]})
        elif not trends:
            print(f"nothing is trending for chat {args.chat}")
        else:
            for number, trend in enumerate(trends, start=1):
                # A person recognises a story by its headline and actors; the words that
                # burst are the evidence, so they come after.
                print(f"{number}. {trend.headline or trend.label}")
                if trend.actors:
                    print(f"   {', '.join(trend.actors)}")
                if trend.summary:
                    print(f"   {trend.summary}")
                print(
                    f"   why: {trend.label} — {trend.mentions} posts in "
                    f"{len(trend.channel_ids)} channels, usually ~{trend.baseline:g} "
                    f"(score {trend.score:g})"
                )
                for post in trend.posts[:5]:
                    print(f"   {post.date:%Y-%m-%d %H:%M} {post.channel_name}  {post.url}")
        return 0

    return int(run_async(work))
