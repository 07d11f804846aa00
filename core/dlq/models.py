"""Dead-letter types: stream names, entries, pages and retry outcomes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.errors import CoreError

STREAM_PREFIX = "stream:"


STREAM_SUFFIX = ".failed"


DEFAULT_MAX_ENTRIES = 10_000  # per stream: Redis `MAXLEN ~`, the SQL table's cap


ERROR_FIELDS = ("error",)  # fields holding error texts (truncated and redacted when shown)


SHOWN_ERROR_LENGTH = 300


STORED_ERROR_LENGTH = 2000


_STREAM_NAME = re.compile(r"^stream:[a-z0-9_.-]{1,100}\.failed$")


_JOB_NAME = re.compile(r"^[a-z0-9_.-]{1,100}$")


def stream_name(job: str) -> str:
    """The dead-letter stream of a job: `stream:<job>.failed`."""
    return f"{STREAM_PREFIX}{job}{STREAM_SUFFIX}"


def job_of(stream: str) -> str:
    """The job a stream belongs to (`stream:vision.failed` -> `vision`)."""
    return stream.removeprefix(STREAM_PREFIX).removesuffix(STREAM_SUFFIX)


def parse_stream(text: str) -> str:
    """A stream from what an admin typed: the full name or just the job (`user_interests.sync`)."""
    value = text.strip()
    if _STREAM_NAME.match(value):
        return value
    if value.startswith(STREAM_PREFIX):
        value = value.removeprefix(STREAM_PREFIX)
    value = value.removesuffix(STREAM_SUFFIX)
    if not _JOB_NAME.match(value):
        raise InvalidStream(text)
    return stream_name(value)


class InvalidStream(CoreError):
    """The text does not name a dead-letter stream."""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One stored failure."""

    id: str  # unique within the queue; Redis stream ids look like `1718000000000-0`, SQL ones `s42`
    stream: str
    fields: dict[str, Any]
    created_at: datetime

    @property
    def attempts(self) -> int:
        """How many times the work was attempted (the `attempts` field, 1 when absent)."""
        try:
            return int(self.fields.get("attempts", 1))
        except (TypeError, ValueError):
            return 1


@dataclass(frozen=True, slots=True)
class StreamInfo:
    """A stream and how many entries it holds."""

    stream: str
    length: int
    retryable: bool


@dataclass(frozen=True, slots=True)
class EntryPage:
    """One page of a stream, newest first."""

    stream: str
    entries: list[DeadLetter]
    offset: int
    limit: int
    total: int

    @property
    def has_newer(self) -> bool:
        """Whether a page before this one exists."""
        return self.offset > 0

    @property
    def has_older(self) -> bool:
        """Whether a page after this one exists."""
        return self.offset + len(self.entries) < self.total


@dataclass(frozen=True, slots=True)
class RetryOutcome:
    """What a retry of one entry did."""

    entry_id: str
    stream: str
    ok: bool
    removed: bool
    attempts: int
    error: str = ""  # redacted and truncated


@dataclass(slots=True)
class RetryAllReport:
    """What retrying a whole stream did."""

    stream: str
    retried: int = 0
    succeeded: int = 0
    failed: int = 0
    outcomes: list[RetryOutcome] = field(default_factory=list)


class NoRetryHandler(CoreError):
    """Nothing knows how to re-run entries of this stream."""


class EntryNotFound(CoreError):
    """No entry has this id."""


def truncate(text: str, limit: int) -> str:
    """The text cut to `limit` characters with an ellipsis."""
    text = " ".join(text.split()) if "\n" in text else text
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"
