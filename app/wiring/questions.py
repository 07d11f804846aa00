"""Wiring of the questions feature: the chat model (when configured) and the question service."""

from __future__ import annotations

from app.settings import Settings, reveal
from core.extras import require
from core.foreground import ForegroundActivity
from core.metrics import NULL_METRICS, Metrics
from core.ports import PostIndex
from core.rag.ports import ChatModel, MeaningCoverage, QuestionGate
from core.rag.service import QuestionService
from core.rag.throttle import UserRateLimiter
from storage.repositories import UnitOfWorkFactory


def build_chat_model(settings: Settings) -> ChatModel | None:
    """The OpenAI-compatible chat model, or None (extractive answers) when none is configured."""
    if not settings.llm_configured:
        return None
    require("openai", "llm")
    from adapters.llm import OpenAIChatModel

    api_key = reveal(settings.openai_api_key)
    return OpenAIChatModel.create(
        settings.llm_model,
        base_url=settings.openai_base_url,
        api_key=api_key,
        timeout=settings.llm_timeout_seconds,
    )


def build_question_service(
    settings: Settings,
    uow_factory: UnitOfWorkFactory,
    index: PostIndex,
    *,
    gate: QuestionGate | None = None,
    metrics: Metrics = NULL_METRICS,
    activity: ForegroundActivity | None = None,
    meaning: MeaningCoverage | None = None,
) -> QuestionService:
    """The question service every entry point (bot, `tgassist ask`/`search`) shares."""
    return QuestionService(
        uow_factory,
        index,
        chat_model=build_chat_model(settings),
        gate=gate,
        metrics=metrics,
        answer_sources=settings.answer_sources,
        max_answer_tokens=settings.llm_max_answer_tokens,
        llm_retries=settings.llm_max_retries,
        throttle=UserRateLimiter(
            settings.question_rate_limit, settings.question_rate_window_seconds
        ),
        activity=activity,
        meaning=meaning,
    )
