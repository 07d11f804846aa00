"""Why a chat has no trends: the diagnosis picks the first thing missing and when it will be there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.trends.diagnosis import QuietReason, diagnose
from core.trends.models import TrendParams

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
PARAMS = TrendParams(min_channels=3)  # window 6 h, half-life 2 days
OLD = NOW - timedelta(days=30)


def test_too_few_channels_comes_first() -> None:
    """Two channels with long histories are still fewer than a trend needs."""
    found = diagnose(PARAMS, [OLD, OLD], None, NOW)
    assert found.reason is QuietReason.FEW_CHANNELS and found.followed == 2


def test_history_is_counted_from_the_third_oldest_channel() -> None:
    """Enough history means min_channels channels go back window + half-life; ready_at says when."""
    young = NOW - timedelta(hours=10)
    found = diagnose(PARAMS, [OLD, OLD, young, None], None, NOW)
    assert found.reason is QuietReason.NO_HISTORY
    assert found.history_since == young
    assert found.ready_at == young + timedelta(hours=6) + timedelta(days=2)


def test_channels_without_posts_have_no_history_date() -> None:
    """Followed channels with nothing stored give no date to wait for."""
    found = diagnose(PARAMS, [None, None, None], None, NOW)
    assert found.reason is QuietReason.NO_HISTORY and found.ready_at is None


def test_ready_chats_are_unchecked_or_quiet() -> None:
    """With channels and history: not checked until a run, then no burst."""
    assert diagnose(PARAMS, [OLD] * 3, None, NOW).reason is QuietReason.NOT_CHECKED
    checked = diagnose(PARAMS, [OLD] * 3, NOW - timedelta(minutes=5), NOW)
    assert checked.reason is QuietReason.NO_BURST and checked.last_run is not None
