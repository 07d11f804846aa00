"""Helpers shared by CLI commands: settings, logging, the container, output."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypeAlias, TypeVar

from app.container import Container, build_container
from app.logs import configure_logging
from app.settings import Settings
from core.errors import CoreError
from storage.migrate import upgrade_async

T = TypeVar("T")
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def load_settings(*, quiet: bool = False) -> Settings:
    """Read settings and set up logging (to stderr; stdout is for results)."""
    settings = Settings(_env_file=Settings.env_files(os.environ))  # type: ignore[call-arg]
    configure_logging(
        log_format=settings.log_format,
        level="WARNING" if quiet else settings.log_level,
        secrets=settings.secrets(),
    )
    return settings


@asynccontextmanager
async def opened_container(settings: Settings) -> AsyncIterator[Container]:
    """Migrate, build the container, close it afterwards."""
    await upgrade_async(settings.resolved_database_url)
    container = build_container(settings)
    try:
        yield container
    finally:
        await container.close()


def run_async(factory: Callable[[], Awaitable[T]]) -> T | int:
    """Run a coroutine; core errors become a clear message and exit code 2."""
    try:
        return asyncio.run(factory())  # type: ignore[arg-type]
    except CoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def print_json(value: Any) -> None:
    """One JSON document on stdout (UTF-8, not ASCII-escaped)."""
    sys.stdout.write(json.dumps(value, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def iso_moment(value: str) -> datetime:
    """An ISO-8601 moment; without a zone it is UTC."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO-8601 date or time: {value!r} (e.g. 2024-12-03T18:00:00Z)"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
