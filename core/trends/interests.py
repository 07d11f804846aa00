"""Interest scorers: how much a chat's people care about a trend (-1 .. 1, 0 = neutral)."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping

from core.models import Tenant
from core.text.terms import TermExtractor
from core.trends.models import Trend


class NeutralInterestScorer:
    """Everyone cares equally: no interests known, no trend raised or lowered."""

    async def affinity(self, tenant: Tenant, trend: Trend) -> float:
        """Always 0."""
        return 0.0

    async def stem_affinity(self, tenant: Tenant, stems: frozenset[str]) -> float:
        """Always 0."""
        return 0.0


ProfileLoader = Callable[[Tenant], Awaitable[Mapping[str, float]]]
"""Returns a chat's interest profile: topic (a word or phrase) -> weight > 0."""


class ProfileInterestScorer:
    """Scores a trend by the chat's interest profile (topics and weights, issue 4's profiles).

    Topics are normalised the way trend terms are; a trend whose terms meet the profile is
    raised, one that meets none of a non-empty profile is lowered a little, and a chat
    without a profile stays neutral.
    """

    def __init__(
        self,
        load_profile: ProfileLoader,
        extractor: TermExtractor | None = None,
        *,
        miss_penalty: float = -0.3,
    ) -> None:
        self._load_profile = load_profile
        self._extractor = extractor or TermExtractor()
        self._miss_penalty = miss_penalty

    async def affinity(self, tenant: Tenant, trend: Trend) -> float:
        """tanh of the weights of the profile topics the trend's terms cover."""
        return await self.stem_affinity(tenant, frozenset(trend.stems))

    async def stem_affinity(self, tenant: Tenant, stems: frozenset[str]) -> float:
        """tanh of the weights of the profile topics these stems (of any story) cover."""
        profile = await self._load_profile(tenant)
        if not profile:
            return 0.0
        matched = 0.0
        for topic, weight in profile.items():
            topic_stems = self._extractor.terms(topic)
            if topic_stems and topic_stems <= stems:
                matched += max(weight, 0.0)
        if matched <= 0:
            return self._miss_penalty
        return math.tanh(matched)
