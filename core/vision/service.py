"""Vision analysis of post images under the tenant's token budget; results join the index."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Sequence

import structlog

from core.clock import Clock, next_utc_midnight, utc_now
from core.dlq.models import stream_name
from core.dlq.ports import DeadLetterSink
from core.media.models import MediaObject, SkipReason
from core.media.ports import MediaStore
from core.metrics import NULL_METRICS, Metrics
from core.ports import UnitOfWorkFactory
from core.quotas.service import BudgetExhausted, BudgetGate
from core.vision.models import VisionContext, VisionGroup, VisionImage, VisionReply, VisionReport
from core.vision.ports import VisionModel, VisionUnitOfWork

log = structlog.get_logger(__name__)

VISION_DLQ_STREAM = stream_name("vision")  # "stream:vision.failed"
DONE, SKIPPED, FAILED, PENDING = "done", "skipped", "failed", "pending"


def indexable_vision_text(description: str, text: str) -> str:
    """How a vision result is appended to a post's indexed text."""
    parts = []
    if description.strip():
        parts.append(f"[image] {description.strip()}")
    if text.strip():
        parts.append(f"[text in image] {text.strip()}")
    return "\n".join(parts)


def image_set_hash(images: Sequence[MediaObject]) -> str:
    """One hash for a post's images in order: results are idempotent per (post, image hash)."""
    digest = hashlib.sha256()
    for image in images:
        digest.update((image.sha256 or "").encode() + b"\n")
    return digest.hexdigest()


class VisionService:
    """Describes the images of queued posts (an album at once) and adds it to the posts' index text."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory[VisionUnitOfWork],
        store: MediaStore,
        model: VisionModel | None,
        gate: BudgetGate,
        *,
        dead_letters: DeadLetterSink | None = None,
        reindex: Callable[[Sequence[int]], None] | None = None,
        metrics: Metrics = NULL_METRICS,
        clock: Clock = utc_now,
        batch_size: int = 20,
        max_retries: int = 2,
        retry_delay: float = 1.0,
        tokens_per_image: int = 1000,
        max_images: int = 10,
    ) -> None:
        self._uow_factory = uow_factory
        self._store = store
        self._model = model
        self._gate = gate
        self._dead_letters = dead_letters
        self._reindex = reindex
        self._metrics = metrics
        self._clock = clock
        self._batch_size = batch_size
        self._max_retries = max_retries
        self._retry_delay = retry_delay
        self._tokens_per_image = tokens_per_image
        self._max_images = max_images

    @property
    def enabled(self) -> bool:
        """Whether a vision model is configured."""
        return self._model is not None

    async def close(self) -> None:
        """Release the vision model's client."""
        if self._model is not None:
            await self._model.close()

    async def run(self, max_batches: int = 10) -> VisionReport:
        """Analyse queued posts until the queue is empty (bounded per run)."""
        report = VisionReport()
        if self._model is None:
            return report
        for _ in range(max_batches):
            async with self._uow_factory() as uow:
                queue = await uow.media.vision_queue(self._clock(), self._batch_size)
            for tenant_id, post_id in queue:
                await self.process(tenant_id, post_id, report)
            if len(queue) < self._batch_size:
                break
        return report

    async def retry(self, tenant_id: int, post_id: int) -> bool:
        """Analyse a failed post again (a DLQ retry); True when it now has a result."""
        if self._model is None:
            return False
        report = VisionReport()
        await self.process(tenant_id, post_id, report, retry_failed=True)
        return bool(report.analysed or report.reused)

    async def process(
        self, tenant_id: int, post_id: int, report: VisionReport, *, retry_failed: bool = False
    ) -> None:
        """Analyse one post's images for one tenant, or skip, reuse or fail it."""
        async with self._uow_factory() as uow:
            group = await uow.media.vision_group(tenant_id, post_id)
            if group is None or not group.images:
                return
            images = group.images[: self._max_images]
            image_hash = image_set_hash(images)
            existing = await uow.media.vision_result(group.post_id, image_hash)
        settled = (DONE,) if retry_failed else (DONE, FAILED)
        if existing is not None and existing.status in settled:
            # Another tenant (or an earlier run) already paid for this image set.
            await self._set_status(group, existing.status)
            if existing.status == DONE:
                report.reused += 1
            return
        if await self._gate.is_quota_exhausted(tenant_id):
            await self._skip_for_budget(group, image_hash, len(images), report)
            return
        try:
            reservation = await self._gate.reserve(tenant_id, self._estimate(len(images)))
        except BudgetExhausted:
            await self._skip_for_budget(group, image_hash, len(images), report)
            return
        async with reservation:
            try:
                reply, attempts = await self._describe(group, images)
            except Exception as error:
                await reservation.release()
                await self._fail(group, image_hash, images, error, report)
                return
            await reservation.commit(reply.tokens)
        assert self._model is not None
        async with self._uow_factory() as uow:
            await uow.media.save_vision_result(
                post_id=group.post_id,
                tenant_id=tenant_id,
                image_hash=image_hash,
                image_count=len(images),
                status=DONE,
                description=reply.description,
                text=reply.text,
                tokens=reply.tokens,
                model=self._model.model,
            )
            await uow.media.set_vision_status(tenant_id, group.post_ids, DONE)
            await uow.posts.bump_version(group.post_id)  # re-index with the description
            subscribers = await uow.channels.subscriber_tenants(group.channel_id)
            await uow.commit()
        if self._reindex is not None:
            self._reindex(subscribers)
        report.analysed += 1
        self._metrics.vision_outcome("analysed")
        log.info(
            "vision_analysed",
            tenant_id=tenant_id,
            post_id=group.post_id,
            channel=group.channel_username,
            images=len(images),
            tokens=reply.tokens,
            attempts=attempts,
        )

    def _estimate(self, images: int) -> int:
        return self._tokens_per_image * images + 500  # prompt and the answer around the images

    async def _describe(
        self, group: VisionGroup, images: Sequence[MediaObject]
    ) -> tuple[VisionReply, int]:
        """The model's reply and how many attempts it took; raises after the last retry."""
        assert self._model is not None
        loaded = [
            VisionImage(
                data=await self._store.get(image.storage_key or ""),
                mime_type=image.mime_type or "image/jpeg",
            )
            for image in images
        ]
        context = VisionContext(
            channel_username=group.channel_username,
            channel_title=group.channel_title,
            post_text=group.post_text,
        )
        for attempt in range(self._max_retries + 1):
            try:
                return await self._model.describe(loaded, context), attempt + 1
            except Exception as error:
                if attempt >= self._max_retries:
                    raise
                delay = self._retry_delay * 2**attempt
                log.warning(
                    "vision_retry",
                    post_id=group.post_id,
                    attempt=attempt + 1,
                    delay=delay,
                    error=_describe_error(error),
                )
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def _skip_for_budget(
        self, group: VisionGroup, image_hash: str, count: int, report: VisionReport
    ) -> None:
        retry_at = next_utc_midnight(self._clock())
        async with self._uow_factory() as uow:
            await uow.media.save_vision_result(
                post_id=group.post_id,
                tenant_id=group.tenant_id,
                image_hash=image_hash,
                image_count=count,
                status=SKIPPED,
                skip_reason=SkipReason.BUDGET.value,
                retry_at=retry_at,
            )
            await uow.media.set_vision_status(group.tenant_id, group.post_ids, PENDING, retry_at)
            await uow.commit()
        report.skipped_budget += 1
        self._metrics.vision_outcome("skipped", SkipReason.BUDGET.value)
        log.info(
            "vision_skipped",
            tenant_id=group.tenant_id,
            post_id=group.post_id,
            reason=SkipReason.BUDGET.value,
            retry_at=retry_at.isoformat(),
        )

    async def _fail(
        self,
        group: VisionGroup,
        image_hash: str,
        images: Sequence[MediaObject],
        error: Exception,
        report: VisionReport,
    ) -> None:
        message = _describe_error(error)
        async with self._uow_factory() as uow:
            result = await uow.media.save_vision_result(
                post_id=group.post_id,
                tenant_id=group.tenant_id,
                image_hash=image_hash,
                image_count=len(images),
                status=FAILED,
                error=message,
            )
            await uow.media.set_vision_status(group.tenant_id, group.post_ids, FAILED)
            await uow.commit()
        report.failed += 1
        self._metrics.vision_outcome("failed")
        log.warning(
            "vision_failed", tenant_id=group.tenant_id, post_id=group.post_id, error=message
        )
        entry = {
            "tenant_id": group.tenant_id,
            "post_id": group.post_id,
            "channel_id": group.channel_id,
            "channel": group.channel_username,
            "message_id": group.message_id,
            "image_hash": image_hash,
            "images": len(images),
            "error": message,
            "error_type": type(error).__name__,
            "attempts": self._max_retries + 1,
            "runs": result.attempts,
            "at": self._clock().isoformat(),
        }
        if self._dead_letters is None:
            log.warning("vision_dlq_missing", stream=VISION_DLQ_STREAM, post_id=group.post_id)
            return
        try:
            await self._dead_letters.add(VISION_DLQ_STREAM, entry)
        except Exception as dlq_error:  # the DLQ must never break the job
            log.warning("vision_dlq_write_failed", error=_describe_error(dlq_error))

    async def _set_status(self, group: VisionGroup, status: str) -> None:
        async with self._uow_factory() as uow:
            await uow.media.set_vision_status(group.tenant_id, group.post_ids, status)
            await uow.commit()


def _describe_error(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:500]
