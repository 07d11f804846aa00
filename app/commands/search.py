"""`tgassist search "QUERY" --chat CHAT_ID [--limit K] [--json]`: ranked posts, no generation.

With `-` as the query, one query per line is read from standard input and one JSON object is
printed per line, so an evaluation runs in a single process.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from app.commands.answers import EXIT_CODES, report_error, tenant_id_of
from app.commands.common import Subparsers, load_settings, opened_container, print_json, run_async
from app.container import Container
from core.rag.models import AnswerStatus, SearchOutcome
from core.rag.query import parse_question


def register(subparsers: Subparsers) -> None:
    """Add search."""
    parser = subparsers.add_parser("search", help="rank a chat's posts for a query")
    parser.add_argument("query", help='the query, or "-" to read one query per line from stdin')
    parser.add_argument("--chat", type=int, required=True, help="chat id whose posts to search")
    parser.add_argument("--limit", type=int, default=10, help="how many results (default 10)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Search once, or once per stdin line with `-`."""
    if args.limit < 1:
        print("error: --limit must be at least 1", file=sys.stderr)
        return 2
    settings = load_settings(quiet=True)

    async def work() -> int:
        async with opened_container(settings) as container:
            tenant_id = await tenant_id_of(container, args.chat)
            if args.query == "-":
                for line in sys.stdin:
                    if line.strip():
                        outcome = await _search(container, tenant_id, line.strip(), args.limit)
                        print_json(_as_json(outcome, line.strip()))
                return 0
            outcome = await _search(container, tenant_id, args.query, args.limit)
        if args.json:
            print_json(_as_json(outcome, args.query))
        else:
            _print(outcome)
        report_error(outcome.error_detail)
        return EXIT_CODES[outcome.status]

    return int(run_async(work))


async def _search(
    container: Container, tenant_id: int | None, query: str, limit: int
) -> SearchOutcome:
    if tenant_id is None:
        return SearchOutcome(AnswerStatus.NOT_INDEXED, parse_question(query))
    return await container.questions.search(tenant_id, query, limit=limit)


def _as_json(outcome: SearchOutcome, query: str) -> dict[str, Any]:
    value: dict[str, Any] = {
        "query": query,
        "status": outcome.status.public,
        "results": [source.to_json() for source in outcome.results],
        "latency_ms": outcome.latency_ms,
    }
    if outcome.error_detail:
        value["error"] = outcome.error_detail
    return value


def _print(outcome: SearchOutcome) -> None:
    if outcome.status is AnswerStatus.NOT_INDEXED:
        print("this chat's posts are not indexed yet")
    elif outcome.status is AnswerStatus.INVALID:
        detail = f": not subscribed to @{outcome.problem_detail}" if outcome.problem_detail else ""
        print(f"nothing to search{detail}", file=sys.stderr)
    elif not outcome.results:
        print("no results")
    for source in outcome.results:
        print(f"{source.number}. {source.score:.4f} {source.post.url}")
        print(f"   {source.snippet}")
