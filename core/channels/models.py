"""Channel feature types: outcomes of subscribing and polling."""

from __future__ import annotations

from dataclasses import dataclass

from core.models import Channel


@dataclass(frozen=True, slots=True)
class SubscribeOutcome:
    """What /subscribe did."""

    channel: Channel
    created: bool  # False when the chat already followed it
    backfilled: int  # posts read now from the source
    stored_posts: int  # posts of the channel now stored


@dataclass(frozen=True, slots=True)
class PollResult:
    """Outcome of polling one channel."""

    channel_id: int
    new_posts: int
    error: str | None = None


@dataclass(frozen=True, slots=True)
class SubscriptionLimits:
    """How often users may change subscriptions, and how long an unreadable name is remembered."""

    changes_per_window: int = 5
    window_seconds: float = 60.0
    unreadable_ttl_seconds: float = 900.0
