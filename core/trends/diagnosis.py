"""Why a chat has no trends: too few channels, too little history, not checked yet, or no burst.

Detection compares the last window with an exponentially weighted baseline whose memory is
`half_life`; a baseline means something once at least `min_channels` channels have posts going
back that far before the window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from core.trends.models import TrendParams


class QuietReason(StrEnum):
    """The first thing that keeps a chat from having trends."""

    FEW_CHANNELS = "few_channels"
    NO_HISTORY = "no_history"
    NOT_CHECKED = "not_checked"
    NO_BURST = "no_burst"


@dataclass(frozen=True, slots=True)
class TrendsDiagnosis:
    """What a chat has and what trend detection needs."""

    reason: QuietReason
    followed: int  # channels the chat follows
    min_channels: int  # distinct channels a trend needs
    history_needed: timedelta  # posts must go back this far before the window
    history_since: datetime | None  # from when `min_channels` channels have posts
    ready_at: datetime | None  # when the history will be enough
    last_run: datetime | None  # the chat's last detection run
    window: timedelta


def diagnose(
    params: TrendParams,
    first_posts: Sequence[datetime | None],
    last_run: datetime | None,
    now: datetime,
) -> TrendsDiagnosis:
    """Diagnose from each followed channel's oldest stored post and the last run."""
    needed = params.window + params.half_life
    known = sorted(moment for moment in first_posts if moment is not None)
    since = known[params.min_channels - 1] if len(known) >= params.min_channels else None
    ready_at = since + needed if since is not None else None
    if len(first_posts) < params.min_channels:
        reason = QuietReason.FEW_CHANNELS
    elif ready_at is None or ready_at > now:
        reason = QuietReason.NO_HISTORY
    elif last_run is None:
        reason = QuietReason.NOT_CHECKED
    else:
        reason = QuietReason.NO_BURST
    return TrendsDiagnosis(
        reason=reason,
        followed=len(first_posts),
        min_channels=params.min_channels,
        history_needed=needed,
        history_since=since,
        ready_at=ready_at,
        last_run=last_run,
        window=params.window,
    )
