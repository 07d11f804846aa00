"""CLI subcommands; each module has `register(subparsers)` that sets `handler`."""

from types import ModuleType

from app.commands import (
    ask,
    channels,
    digest,
    dlq,
    importing,
    jobs,
    migrate,
    quota,
    search,
    serve,
    trends,
)

COMMAND_MODULES: list[ModuleType] = [
    serve,
    migrate,
    importing,
    channels,
    ask,
    search,
    quota,
    trends,
    digest,
    jobs,
    dlq,
]
