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


def _handler(with_bot: bool, with_jobs: bool) -> Callable[[argparse.Namespace], int]:
    def handle(_args: argparse.Namespace) -> int:
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
            problem = problem or asyncio.run(bot_api_problem(settings))
            if problem is not None:
                print(problem, file=sys.stderr)
                return 2
        return asyncio.run(run(settings, with_bot=with_bot, with_jobs=with_jobs))

    return handle
