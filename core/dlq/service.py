"""The dead-letter queue: failures that exhausted their retries, per job stream, and what admins do
with them (list, page, show, retry through a handler registered per stream, purge).

Streams are named `stream:<job>.failed` (e.g. `stream:user_interests.sync.failed`,
`stream:vision.failed`). Backends (a Redis stream, a SQL table, Redis with a SQL fallback) live in
`storage/dlq/` and implement `DeadLetterQueue`; `DeadLetterService` is what jobs, the bot and the
CLI use. Writing never raises: a failure to record a failure is logged, never propagated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import structlog

from core.clock import utc_now
from core.dlq.models import (
    ERROR_FIELDS,
    SHOWN_ERROR_LENGTH,
    STORED_ERROR_LENGTH,
    DeadLetter,
    EntryNotFound,
    EntryPage,
    NoRetryHandler,
    RetryAllReport,
    RetryOutcome,
    StreamInfo,
    truncate,
)
from core.dlq.ports import DeadLetterQueue, Redactor, RetryHandler
from core.metrics import NULL_METRICS, Metrics

log = structlog.get_logger(__name__)


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
