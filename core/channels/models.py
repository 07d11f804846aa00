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
