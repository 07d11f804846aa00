"""Wiring of digests: the service with the chat model, budget gate and interests."""

from __future__ import annotations

from app.settings import Settings
from core.digests.ports import DigestsUnitOfWork
from core.digests.service import DigestService
from core.digests.summary import StorySummarizer
from core.ports import UnitOfWorkFactory
from core.rag.ports import ChatModel, QuestionGate
from core.trends.ports import InterestScorer


def build_digest_service(
    settings: Settings,
    uow_factory: UnitOfWorkFactory[DigestsUnitOfWork],
    *,
    model: ChatModel | None,
    gate: QuestionGate | None,
    interests: InterestScorer | None,
) -> DigestService:
    """Digests summarised by the configured model (within budget), extractive without one."""
    from bot.views.digests import render_digest

    summarizer = StorySummarizer(model, gate, retries=settings.llm_max_retries)
    return DigestService(
        uow_factory,
        render_digest,
        summarizer=summarizer,
        interests=interests,
        max_stories=settings.digest_max_stories,
    )
