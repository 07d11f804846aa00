"""`tgassist ask "QUESTION" --chat CHAT_ID [--json]`: the answer as the bot would give it."""

from __future__ import annotations

import argparse

from app.commands.answers import EXIT_CODES, language_for, report_error, tenant_id_of
from app.commands.common import Subparsers, load_settings, opened_container, print_json, run_async
from bot.formatting import html_to_text
from bot.views.answer import render_answer
from core.rag.models import Answer, AnswerStatus
from core.rag.query import parse_question


def register(subparsers: Subparsers) -> None:
    """Add ask."""
    parser = subparsers.add_parser(
        "ask", help="answer a question from a chat's indexed posts, with sources"
    )
    parser.add_argument("question", help='the question; may start with "@channel" and "7d"')
    parser.add_argument("--chat", type=int, required=True, help="chat id whose posts to use")
    parser.add_argument("--json", action="store_true", help="print the answer as JSON")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Ask through the same service as the bot; print the reply, or JSON with its sources."""
    settings = load_settings(quiet=True)

    async def work() -> int:
        async with opened_container(settings) as container:
            tenant_id = await tenant_id_of(container, args.chat)
            if tenant_id is None:  # never met: nothing subscribed, nothing indexed
                answer = Answer(AnswerStatus.NOT_INDEXED, parse_question(args.question))
            else:
                answer = await container.questions.ask(tenant_id, args.question)
        lang = language_for(args.question)
        if args.json:
            print_json(
                {
                    "status": answer.status.public,
                    "answer": html_to_text(render_answer(answer, lang, with_sources=False)),
                    "sources": [source.to_json() for source in answer.sources],
                    "mode": answer.mode.value,
                    "fallback": answer.fallback.value if answer.fallback else None,
                    "tokens": answer.tokens,
                    "latency_ms": answer.latency_ms,
                }
            )
        else:
            print(html_to_text(render_answer(answer, lang)))
        report_error(answer.error_detail)
        return EXIT_CODES[answer.status]

    return int(run_async(work))
