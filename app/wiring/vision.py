"""Wiring of the vision feature: the vision model (when configured) and the vision service."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import structlog

from app.settings import Settings, reveal
from core.dlq.ports import DeadLetterSink
from core.media.ports import MediaStore
from core.metrics import Metrics
from core.quotas.service import BudgetGate
from core.vision.ports import VisionModel
from core.vision.service import VisionService
from storage.repositories import UnitOfWorkFactory

log = structlog.get_logger(__name__)


def build_vision_model(settings: Settings) -> VisionModel | None:
    """The OpenAI-compatible vision model, or None when VISION_MODEL or an endpoint is unset."""
    if not settings.vision_configured:
        log.info("vision_off", reason="VISION_MODEL or an OpenAI-compatible endpoint is not set")
        return None
    from adapters.vision import OpenAIVisionModel

    return OpenAIVisionModel.create(
        settings.vision_model or "",
        base_url=settings.openai_base_url,
        api_key=reveal(settings.openai_api_key),
        timeout=settings.llm_timeout_seconds,
    )


def build_vision_service(
    settings: Settings,
    uow_factory: UnitOfWorkFactory,
    store: MediaStore,
    gate: BudgetGate,
    metrics: Metrics,
    *,
    reindex: Callable[[Sequence[int]], None] | None = None,
    dead_letters: DeadLetterSink | None = None,
) -> VisionService:
    """The vision service over the media store, under the budget gate."""
    return VisionService(
        uow_factory,
        store,
        build_vision_model(settings),
        gate,
        dead_letters=dead_letters,
        reindex=reindex,
        metrics=metrics,
        batch_size=settings.vision_batch_size,
        max_retries=settings.vision_max_retries,
        tokens_per_image=settings.vision_tokens_per_image,
    )
