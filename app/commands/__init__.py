"""CLI subcommands; each module has `register(subparsers)` that sets `handler`."""

from types import ModuleType

from app.commands import channels, importing, migrate, serve

COMMAND_MODULES: list[ModuleType] = [serve, migrate, importing, channels]
