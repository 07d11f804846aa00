"""`tgassist run|bot|worker`: the long-running processes."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable

from app.commands.common import Subparsers, load_settings


def register(subparsers: Subparsers) -> None:
    """Add run, bot and worker."""
    for name, help_text, with_bot, with_jobs in (
        ("run", "bot and scheduled jobs in one process (the default deployment)", True, True),
        ("bot", "only the bot (webhook replicas, or exactly one polling process)", True, False),
        ("worker", "only the scheduled jobs", False, True),
    ):
        parser = subparsers.add_parser(name, help=help_text)
        parser.set_defaults(handler=_handler(with_bot, with_jobs))
        if with_bot:
            parser.add_argument(
                "--workers",
                type=_positive,
                metavar="N",
                help="webhook mode: answer with N processes (one receiver, updates of a chat "
                "always to the same worker, in order); see docs/deploy.md",
            )


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


def _handler(with_bot: bool, with_jobs: bool) -> Callable[[argparse.Namespace], int]:
    def handle(args: argparse.Namespace) -> int:
        from app.memory import limit_malloc_arenas

        limit_malloc_arenas()  # before any thread starts
        from app.runner import run  # the bot stack loads only for the long-running commands
        from app.startup import bot_api_problem, token_format_problem
        from app.webhook import webhook_settings_error

        settings = load_settings()
        if with_bot:  # before migrations: wrong settings must not touch the database
            problem = token_format_problem(settings)
            if problem is None and (error := webhook_settings_error(settings)):
                problem = f"error: {error}"
            workers = getattr(args, "workers", None)
            if problem is None and workers is not None and not settings.webhook_url:
                problem = (
                    "error: --workers needs webhook mode (set WEBHOOK_URL and WEBHOOK_SECRET); "
                    "in polling mode exactly one process takes the updates"
                )
            problem = problem or asyncio.run(bot_api_problem(settings))
            if problem is not None:
                print(problem, file=sys.stderr)
                return 2
            if workers is not None:
                from app.workers import run_workers

                return asyncio.run(run_workers(settings, workers, with_jobs=with_jobs))
        return asyncio.run(run(settings, with_bot=with_bot, with_jobs=with_jobs))

    return handle
