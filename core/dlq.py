"""The dead-letter queue: failures that exhausted their retries, per job stream, and what admins do
with them (list, page, show, retry through a handler registered per stream, purge).

Streams are named `stream:<job>.failed` (e.g. `stream:user_interests.sync.failed`,
`stream:vision.failed`). Backends (a Redis stream, a SQL table, Redis with a SQL fallback) live in
`storage/dlq/` and implement `DeadLetterQueue`; `DeadLetterService` is what jobs, the bot and the
CLI use. Writing never raises: a failure to record a failure is logged, never propagated.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog

from core.errors import CoreError
from core.metrics import NULL_METRICS, Metrics

log = structlog.get_logger(__name__)

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


class DeadLetterSink(Protocol):
    """Where a job puts a failure that exhausted its retries (`stream:<job>.failed`)."""

    async def add(self, stream: str, entry: dict[str, Any]) -> Any: ...


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


class DeadLetterQueue(Protocol):
    """A dead-letter backend: streams of entries, newest first."""

    async def add(self, stream: str, entry: Mapping[str, Any]) -> str:
        """Append an entry (the stream is capped); returns its id. Raises when the backend fails."""
        ...

    async def streams(self) -> dict[str, int]:
        """Every non-empty stream with its length."""
        ...

    async def length(self, stream: str) -> int: ...

    async def entries(self, stream: str, *, offset: int = 0, limit: int = 10) -> list[DeadLetter]:
        """A page of a stream's entries, newest first."""
        ...

    async def get(self, entry_id: str, stream: str | None = None) -> DeadLetter | None:
        """One entry by id (searched in every stream unless one is given)."""
        ...

    async def update(self, entry: DeadLetter, changes: Mapping[str, Any]) -> None:
        """Change fields of an entry in place (it keeps its id and position)."""
        ...

    async def remove(self, entry: DeadLetter) -> bool: ...

    async def purge(self, stream: str) -> int:
        """Delete a stream's entries; returns how many there were."""
        ...

    async def close(self) -> None: ...


RetryHandler = Callable[[DeadLetter], Awaitable[bool]]
"""Re-runs the failed work of an entry; True (or no exception) means it succeeded now."""

Redactor = Callable[[str], str]


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


def utc_now() -> datetime:
    """The current time, UTC."""
    return datetime.now(UTC)


class DeadLetterService:
    """The DLQ as jobs, the bot and the CLI use it: writes never raise, texts are redacted."""

    def __init__(
        self,
        queue: DeadLetterQueue,
        *,
        redact: Redactor | None = None,
        metrics: Metrics = NULL_METRICS,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.queue = queue
        self._redact = redact or (lambda text: text)
        self.metrics = metrics
        self._clock = clock
        self._handlers: dict[str, RetryHandler] = {}

    # --- writing ------------------------------------------------------------------------------

    def register(self, stream: str, handler: RetryHandler) -> None:
        """Let entries of `stream` be retried by `handler`."""
        self._handlers[stream] = handler

    @property
    def retryable_streams(self) -> list[str]:
        """Streams with a retry handler."""
        return sorted(self._handlers)

    def clean(self, value: Any) -> Any:
        """A value safe to store and show: secrets masked, error texts bounded."""
        if isinstance(value, str):
            return self._redact(value)
        if isinstance(value, dict):
            return {key: self.clean(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.clean(item) for item in value]
        return value

    async def add(self, stream: str, entry: Mapping[str, Any]) -> str | None:
        """Record a failure; returns its id, or None when no backend took it (logged, never raised)."""
        cleaned: dict[str, Any] = {key: self.clean(value) for key, value in entry.items()}
        for key in ERROR_FIELDS:
            if isinstance(cleaned.get(key), str):
                cleaned[key] = truncate(cleaned[key], STORED_ERROR_LENGTH)
        cleaned.setdefault("at", self._clock().isoformat())
        cleaned.setdefault("attempts", 1)
        try:
            entry_id = await self.queue.add(stream, cleaned)
        except Exception as error:  # the DLQ must never break the job that failed
            log.error(
                "dlq_entry_lost",
                stream=stream,
                error=self._redact(f"{type(error).__name__}: {error}")[:500],
                entry=cleaned,
            )
            return None
        log.warning("dlq_entry_added", stream=stream, entry_id=entry_id)
        await self._publish_length(stream)
        return entry_id

    # --- reading ------------------------------------------------------------------------------

    async def overview(self) -> list[StreamInfo]:
        """Every stream with entries (and every retryable one, even when empty), by name."""
        lengths = await self.queue.streams()
        for stream in self._handlers:
            lengths.setdefault(stream, 0)
        return [
            StreamInfo(stream, length, stream in self._handlers)
            for stream, length in sorted(lengths.items())
        ]

    async def page(self, stream: str, *, offset: int = 0, limit: int = 5) -> EntryPage:
        """A page of a stream's newest entries."""
        offset = max(offset, 0)
        total = await self.queue.length(stream)
        entries = await self.queue.entries(stream, offset=offset, limit=limit)
        return EntryPage(stream, entries, offset, limit, total)

    async def show(self, entry_id: str, stream: str | None = None) -> DeadLetter | None:
        """One entry."""
        return await self.queue.get(entry_id.strip(), stream)

    def error_text(self, entry: DeadLetter, limit: int = SHOWN_ERROR_LENGTH) -> str:
        """The entry's error, redacted and truncated for admins."""
        error = entry.fields.get("error")
        return truncate(self._redact(str(error)), limit) if error is not None else ""

    def shown_fields(self, entry: DeadLetter, limit: int = SHOWN_ERROR_LENGTH) -> dict[str, Any]:
        """Every field of an entry as admins may see it (errors truncated, secrets masked)."""
        shown: dict[str, Any] = {}
        for key, value in entry.fields.items():
            if key in ERROR_FIELDS:
                shown[key] = self.error_text(entry, limit)
            else:
                shown[key] = self.clean(value)
        return shown

    # --- acting -------------------------------------------------------------------------------

    async def retry(self, entry_id: str, stream: str | None = None) -> RetryOutcome:
        """Re-run an entry's work; success removes it, failure keeps it with attempts + 1."""
        entry = await self.queue.get(entry_id.strip(), stream)
        if entry is None:
            raise EntryNotFound(f"no dead letter with id {entry_id}")
        return await self._retry(entry)

    async def _retry(self, entry: DeadLetter) -> RetryOutcome:
        handler = self._handlers.get(entry.stream)
        if handler is None:
            raise NoRetryHandler(f"entries of {entry.stream} cannot be retried")
        attempts = entry.attempts + 1
        try:
            ok = await handler(entry)
            problem = "" if ok else "the retry did not succeed"
            problem_type = "" if ok else "RetryFailed"
        except Exception as error:
            ok = False
            problem = f"{error}" or type(error).__name__
            problem_type = type(error).__name__
        if ok:
            removed = await self.queue.remove(entry)
            log.info("dlq_retry_succeeded", stream=entry.stream, entry_id=entry.id)
            await self._publish_length(entry.stream)
            return RetryOutcome(entry.id, entry.stream, True, removed, attempts)
        changes = {
            "attempts": attempts,
            "error": truncate(self._redact(problem), STORED_ERROR_LENGTH),
            "error_type": problem_type,
            "retried_at": self._clock().isoformat(),
        }
        await self.queue.update(entry, changes)
        log.warning(
            "dlq_retry_failed",
            stream=entry.stream,
            entry_id=entry.id,
            attempts=attempts,
            error=truncate(self._redact(problem), 500),
        )
        return RetryOutcome(
            entry.id,
            entry.stream,
            False,
            False,
            attempts,
            truncate(self._redact(problem), SHOWN_ERROR_LENGTH),
        )

    async def retry_all(self, stream: str, *, batch: int = 100) -> RetryAllReport:
        """Retry every entry of a stream once (oldest entries included), newest first."""
        if stream not in self._handlers:
            raise NoRetryHandler(f"entries of {stream} cannot be retried")
        report = RetryAllReport(stream)
        seen: set[str] = set()
        offset = 0
        while True:
            entries = await self.queue.entries(stream, offset=offset, limit=batch)
            if not entries:
                break
            fresh = [entry for entry in entries if entry.id not in seen]
            if not fresh:
                break
            for entry in fresh:
                seen.add(entry.id)
                outcome = await self._retry(entry)
                report.retried += 1
                report.outcomes.append(outcome)
                if outcome.ok:
                    report.succeeded += 1
                else:
                    report.failed += 1
                    offset += 1  # it stays in place; removed ones shift the rest up
        return report

    async def purge(self, stream: str) -> int:
        """Delete every entry of a stream."""
        removed = await self.queue.purge(stream)
        log.warning("dlq_purged", stream=stream, removed=removed)
        await self._publish_length(stream)
        return removed

    # --- metrics ------------------------------------------------------------------------------

    async def publish_metrics(self, metrics: Metrics | None = None) -> None:
        """Set the length gauge of every stream (a metrics refresher)."""
        target = metrics or self.metrics
        for info in await self.overview():
            target.dlq_length(info.stream, info.length)

    async def _publish_length(self, stream: str) -> None:
        try:
            self.metrics.dlq_length(stream, await self.queue.length(stream))
        except Exception as error:
            log.warning("dlq_length_failed", stream=stream, error=type(error).__name__)

    async def close(self) -> None:
        """Release the backend's connections."""
        await self.queue.close()
