"""`tgassist channels [--chat CHAT_ID]`: what a chat follows (or every stored channel)."""

from __future__ import annotations

import argparse
from typing import Any

from app.commands.common import Subparsers, load_settings, opened_container, print_json, run_async
from core.models import channel_url


def register(subparsers: Subparsers) -> None:
    """Add channels."""
    parser = subparsers.add_parser("channels", help="list a chat's channels")
    parser.add_argument("--chat", type=int, required=True, help="chat id")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Print the chat's channels with post counts and last post date."""
    settings = load_settings(quiet=True)

    async def work() -> int:
        async with opened_container(settings) as container, container.uow_factory() as uow:
            tenant = await uow.tenants.by_chat_id(args.chat)
            items = await uow.channels.subscribed(tenant.id) if tenant else []
            pending = await uow.posts.pending_count(tenant.id) if tenant else 0
            dense: dict[str, Any] | None = None
            by_channel: dict[int, int] = {}
            if container.embedding is not None and tenant is not None:
                model = container.embedding.model
                coverage, by_channel = await uow.embeddings.coverage(tenant.id, model)
                dense = {
                    "model": model,
                    "ready": coverage.ready,
                    "total": coverage.total,
                    "coverage": round(coverage.share, 4),
                }
        rows = [
            {
                "id": item.channel.id,
                "username": item.channel.username,
                "title": item.channel.title,
                "source": item.channel.source.value,
                "url": channel_url(item.channel.username, item.channel.telegram_id),
                "posts": item.post_count,
                "last_post_at": item.last_post_at.isoformat() if item.last_post_at else None,
                "last_error": item.channel.last_error,
                "last_error_kind": item.channel.last_error_kind,
                "dense_ready": by_channel.get(item.channel.id, 0) if dense else None,
            }
            for item in items
        ]
        if args.json:
            print_json(
                {"chat": args.chat, "channels": rows, "pending_index": pending, "dense": dense}
            )
        elif not rows:
            print(f"chat {args.chat} follows no channels")
        else:
            for row in rows:
                name = f"@{row['username']}" if row["username"] else row["title"]
                print(f"{name}\t{row['posts']} posts\tlast {row['last_post_at'] or '-'}")
            print(f"{pending} post(s) waiting to be indexed")
            if dense:
                print(
                    f"dense vectors ({dense['model']}): {dense['ready']} of {dense['total']} "
                    f"posts ({100 * dense['coverage']:.1f}%); the rest are searched by words"
                )
        return 0

    return int(run_async(work))
