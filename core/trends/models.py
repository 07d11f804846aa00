"""Data objects of trend detection and alerting; no I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from core.delivery.models import OutboxStatus


@dataclass(frozen=True, slots=True)
class TrendPost:
    """A post as the detector sees it."""

    post_id: int
    channel_id: int
    channel_name: str  # @username, or the title when the channel has none
    date: datetime
    text: str
    url: str
    views: int | None = None  # where known


@dataclass(frozen=True, slots=True)
class TrendParams:
    """How the detector decides what is a trend."""

    window: timedelta = timedelta(hours=6)  # "now"
    baseline: timedelta = timedelta(days=7)  # "usual", cut into window-sized bins
    half_life: timedelta = timedelta(days=2)  # EWMA memory of the baseline
    # The baseline ends this long before the window: a story breaking minutes before it is not
    # its own usual level (the guard cells of a CFAR detector).
    guard: timedelta = timedelta(hours=1)
    min_channels: int = 3  # distinct channels that must carry the story
    min_mentions: int = 3  # posts in the window
    min_z: float = 3.0  # significance of the strongest term
    smoothing: float = 1.0  # SigniTrend's beta: rare terms need a real jump, in posts
    per_channel_cap: int = 2  # posts one channel adds to a term's count in one window
    boilerplate_share: float = 0.3  # a term in this share of a channel's posts is its signature
    boilerplate_min_posts: int = 8  # ...once the channel has this many posts
    max_trends: int = 20
    # Known stories: a second, shorter baseline; escalating = this many times its own level.
    short_baseline: timedelta = timedelta(days=1)
    escalation_ratio: float = 2.0
    # Ranking: channels that repost each other this often (share of the smaller's posts)
    # are sisters, and a group of sisters counts as one channel plus this much per sister.
    sister_share: float = 0.1
    sister_weight: float = 0.25


@dataclass(frozen=True, slots=True)
class TrendPostRef:
    """One post behind a trend."""

    post_id: int
    channel_id: int
    channel_name: str
    date: datetime
    url: str
    snippet: str
    copy_of: int | None = None  # the earlier post of the story this one copies
    text: str = field(default="", repr=False, compare=False)  # at detection only, not stored


@dataclass(frozen=True, slots=True)
class Trend:
    """A story several channels suddenly cover."""

    trend_key: str  # stable while the story continues
    label: str  # its top terms, readable
    headline: str  # the first line of its most representative post
    terms: list[str]  # readable forms, strongest first
    stems: list[str]  # normalised terms, strongest first (identity and interest matching)
    score: float
    z: float  # significance of the strongest term
    mentions: int  # posts in the window
    baseline: float  # posts usually expected in a window of this length
    channels: list[str]  # channel names, first to cover it first
    channel_ids: list[int]
    posts: list[TrendPostRef]  # oldest first
    first_seen: datetime  # the earliest post behind it
    actors: list[str] = field(default_factory=list)  # named people, places, organisations
    summary: str | None = None  # one sentence by the LLM from the story's posts, when there is one
    summary_sources: list[str] = field(default_factory=list)  # URLs its [n] citations stand for
    escalation: float = 0.0  # posts now against the story's own recent level (0: a new story)
    reach: int = 0  # views of its posts, where known

    @property
    def post_ids(self) -> frozenset[int]:
        """Ids of the posts behind the trend."""
        return frozenset(post.post_id for post in self.posts)


@dataclass(frozen=True, slots=True)
class TrendStory:
    """A story as other features (digests) see it: what happened, who, where it was told."""

    key: str  # stable while the story continues (the trend key)
    headline: str
    actors: list[str]
    summary: str | None  # one cited sentence when an LLM wrote one
    summary_sources: list[str]  # URLs the summary's [n] stand for
    posts: list[TrendPostRef]  # oldest first; copies carry copy_of
    channels: list[str]
    score: float
    first_seen: datetime  # its earliest post
    last_seen: datetime  # the latest run that found it

    @classmethod
    def of(cls, trend: Trend, last_seen: datetime) -> TrendStory:
        """The story of a detected trend."""
        return cls(
            key=trend.trend_key,
            headline=trend.headline or trend.label,
            actors=list(trend.actors),
            summary=trend.summary,
            summary_sources=list(trend.summary_sources),
            posts=list(trend.posts),
            channels=list(trend.channels),
            score=trend.score,
            first_seen=trend.first_seen,
            last_seen=last_seen,
        )


@dataclass(frozen=True, slots=True)
class PreviousTrend:
    """A trend of an earlier run, for carrying its identity forward."""

    trend_key: str
    stems: list[str]
    post_ids: frozenset[int]
    last_seen: datetime
    summary: str | None = None
    summary_sources: list[str] = field(default_factory=list)


AlertStatus = OutboxStatus  # alerts live in an outbox like every prepared message


@dataclass(frozen=True, slots=True)
class StoredTrend:
    """A trend as stored for a tenant."""

    id: int
    tenant_id: int
    trend: Trend
    last_seen: datetime  # the latest run that found it
    detected_at: datetime  # the first run that found it


@dataclass(frozen=True, slots=True)
class Escalation:
    """What an escalation alert reports: new posts and channels since the previous alert."""

    stage: int
    since: datetime
    new_posts: int
    new_channels: int


@dataclass(frozen=True, slots=True)
class AlertToSend:
    """A claimed alert with what its message needs."""

    alert_id: int
    tenant_id: int
    chat_id: int
    chat_kind: str
    language: str
    attempts: int
    trend: Trend
    thread_id: int | None = None  # the forum topic chosen with /alerts here
    escalation: Escalation | None = None  # None: the story's first alert

    @property
    def item_id(self) -> int:
        """The outbox row's id."""
        return self.alert_id

    @property
    def parts_sent(self) -> int:
        """An alert is one message: nothing sent yet while it is claimed."""
        return 0


class MissReason(StrEnum):
    """Why a story that came close was not sent as an alert."""

    FEW_CHANNELS = "few_channels"  # the detector: not enough distinct channels yet
    BELOW_THRESHOLD = "below_threshold"  # not significant (or not scored) enough
    MUTED = "muted"
    ALREADY_SENT = "already_sent"
    INTERESTS = "interests"  # the chat's interests lowered it below the threshold
    OVER_LIMIT = "over_limit"  # better ones took this run's alerts; it waits for the next
    ALERTS_OFF = "alerts_off"


@dataclass(frozen=True, slots=True)
class NearMiss:
    """A story of a trend check that came close to an alert, and why it was not sent."""

    label: str
    reason: MissReason
    channels: int
    mentions: int
    score: float
    trend_key: str | None = None

    @classmethod
    def of(cls, trend: Trend, reason: MissReason, score: float | None = None) -> NearMiss:
        """A detected trend the alert policy passed over."""
        return cls(
            label=trend.label,
            reason=reason,
            channels=len(trend.channel_ids),
            mentions=trend.mentions,
            score=round(trend.score if score is None else score, 2),
            trend_key=trend.trend_key,
        )


@dataclass(frozen=True, slots=True)
class NearMissReport:
    """What a chat's latest trend check left out."""

    checked_at: datetime
    misses: list[NearMiss]


@dataclass(slots=True)
class RefreshReport:
    """What one detection run over the tenants did."""

    tenants: int = 0
    trends: int = 0
    new_trends: int = 0
    alerts_queued: int = 0
    errors: int = 0
    skipped_by_interest: list[str] = field(default_factory=list)


# After a 429 the whole bot pauses this long (a flood of 429s keeps extending it); only the
# chat it named waits the full retry_after, so one slow group does not stall a broadcast.
GLOBAL_PAUSE = 1.0


@dataclass(frozen=True, slots=True)
class SendLimits:
    """Telegram's broadcast limits, a little under the documented ones."""

    overall_per_second: float = 29.0
    per_chat_per_second: float = 1.0
    group_per_minute: float = 20.0
    # Added to the per-chat spacing: two sends 1.00 s apart may arrive 0.99 s apart.
    chat_margin: float = 0.1

    @property
    def overall_interval(self) -> float:
        """Seconds between any two sends."""
        return 1.0 / self.overall_per_second

    def chat_interval(self, is_group: bool) -> float:
        """Seconds between two sends to the same chat."""
        private = 1.0 / self.per_chat_per_second
        spacing = max(private, 60.0 / self.group_per_minute) if is_group else private
        return spacing + self.chat_margin
