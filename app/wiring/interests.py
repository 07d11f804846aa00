"""Wiring of the interests feature: profiler parameters, the service, the sync, the trend scorer."""

from __future__ import annotations

from dataclasses import dataclass

from app.settings import Settings
from core.dlq.ports import DeadLetterSink
from core.interests.models import InterestParams
from core.interests.service import InterestProfiler, InterestService, InterestSync
from core.trends.interests import ProfileInterestScorer
from storage.repositories import UnitOfWorkFactory


@dataclass
class InterestServices:
    """Everything of the interests feature, built once per container."""

    service: InterestService
    sync: InterestSync

    def trend_scorer(self) -> ProfileInterestScorer:
        """Scores trends by the profiles of the chat's people (raises or lowers alerts)."""
        return ProfileInterestScorer(self.service.tenant_profile)


def interest_params(settings: Settings) -> InterestParams:
    """Profile parameters from settings."""
    return InterestParams(
        half_life_days=settings.interests_half_life_days,
        explicit_weight=settings.interests_explicit_weight,
        max_topics=settings.interests_max_topics,
    )


def build_interest_services(
    settings: Settings,
    uow_factory: UnitOfWorkFactory,
    *,
    dead_letters: DeadLetterSink | None = None,
) -> InterestServices:
    """The profile service and the sync job's service sharing one profiler."""
    profiler = InterestProfiler(interest_params(settings))
    return InterestServices(
        service=InterestService(uow_factory, profiler),
        sync=InterestSync(uow_factory, profiler, dead_letters=dead_letters),
    )
