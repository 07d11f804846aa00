"""What a job is: a name, an interval from settings, a description, and how to run it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiogram import Bot

    from app.settings import Settings

JobResult = dict[str, Any]
JobRun = Callable[["Bot | None"], Awaitable[JobResult]]
"""Runs a job once; receives the bot when one is running (e.g. to send alerts)."""


@dataclass(frozen=True, slots=True)
class JobSpec:
    """A named job and how often the scheduler runs it (0 seconds: off)."""

    name: str
    interval_seconds: Callable[[Settings], float]
    description: str


@dataclass(frozen=True, slots=True)
class Job:
    """A job bound to the services it uses."""

    spec: JobSpec
    run: JobRun

    @property
    def name(self) -> str:
        """The job's name (`tgassist jobs run NAME`)."""
        return self.spec.name
