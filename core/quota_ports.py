"""Ports and DTOs of the quotas feature: limits, token ledger, media store and fetcher, vision."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol


class QuotaKind(StrEnum):
    """The limits a tenant has; each comes from settings unless the tenant has an override."""

    DAILY_TOKENS = "daily_tokens"
    STORAGE_BYTES = "storage_bytes"
    CHANNELS = "channels"
    DAILY_QUESTIONS = "daily_questions"


@dataclass(frozen=True, slots=True)
class TenantLimits:
    """Effective limits of one tenant; 0 means unlimited."""

    daily_tokens: int
    storage_bytes: int
    channels: int
    daily_questions: int

    def of(self, kind: QuotaKind) -> int:
        """The limit of one kind."""
        return int(getattr(self, kind.value))


@dataclass(frozen=True, slots=True)
class QuotaOverride:
    """Per-tenant replacements of the default limits; None keeps the default."""

    daily_tokens: int | None = None
    storage_bytes: int | None = None
    channels: int | None = None
    daily_questions: int | None = None

    def apply(self, defaults: TenantLimits) -> TenantLimits:
        """The defaults with this override's values put in."""
        values = {}
        for kind in QuotaKind:
            own = getattr(self, kind.value)
            values[kind.value] = defaults.of(kind) if own is None else own
        return TenantLimits(**values)


class ContentType(StrEnum):
    """What a tenant's stored bytes are (rows of tenant_storage_usage)."""

    MEDIA = "media"
    VISION = "vision"
    INDEX = "index"
    POSTS = "posts"


@dataclass(frozen=True, slots=True)
class StorageUsage:
    """A tenant's stored bytes and objects of one content type."""

    tenant_id: int
    content_type: str
    bytes: int
    objects: int
    computed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TokenUsage:
    """A tenant's LLM tokens on one UTC day."""

    day: date
    used: int
    reserved: int
    limit: int  # 0 = unlimited

    @property
    def exhausted(self) -> bool:
        """True when nothing is left to reserve today."""
        return self.limit > 0 and self.used + self.reserved >= self.limit


class TokenLedger(Protocol):
    """Per-tenant, per-UTC-day token counters with atomic reservations (SQL or Redis)."""

    async def try_reserve(self, tenant_id: int, day: date, tokens: int, limit: int) -> bool:
        """Reserve `tokens` unless used + reserved + tokens would exceed `limit` (0 = no limit)."""
        ...

    async def settle(self, tenant_id: int, day: date, reserved: int, actual: int) -> int:
        """Give back a reservation and count `actual` tokens as used; returns the day's used."""
        ...

    async def usage(self, tenant_ids: Sequence[int], day: date) -> dict[int, tuple[int, int]]:
        """(used, reserved) per tenant on a day; tenants without usage are left out."""
        ...


class QuotaRepository(Protocol):
    """Limit overrides, question counts and recorded storage usage (SQL)."""

    async def override(self, tenant_id: int) -> QuotaOverride | None: ...

    async def set_override(self, tenant_id: int, override: QuotaOverride) -> None: ...

    async def questions_since(self, since: datetime) -> dict[int, int]:
        """Questions asked per tenant since a moment."""
        ...

    async def count_question(
        self, tenant_id: int, day: date, day_start: datetime, limit: int
    ) -> tuple[bool, int]:
        """Count one question of the tenant's day if it is below `limit`, atomically.

        Returns (admitted, questions counted today). The day's counter starts from the
        tenant's logged questions since `day_start`.
        """
        ...

    async def storage_usage(self, tenant_id: int | None = None) -> list[StorageUsage]: ...

    async def record_storage_usage(self, items: Sequence[StorageUsage]) -> None: ...

    async def index_bytes_estimate(self, tenant_id: int) -> int:
        """Bytes of post text a tenant's index holds (for servers that do not report sizes)."""
        ...

    async def ingestion_lags(self) -> dict[str, float]:
        """Per channel (username or title): seconds between its newest post and storing it."""
        ...


# --- media ------------------------------------------------------------------------------------


class MediaStatus(StrEnum):
    """Download state of one medium."""

    PENDING = "pending"
    STORED = "stored"
    SKIPPED = "skipped"
    FAILED = "failed"


class SkipReason(StrEnum):
    """Why a medium or a vision analysis was skipped (recorded, and a metric label)."""

    UNSUPPORTED_KIND = "unsupported_kind"  # videos, documents that are not images
    UNSUPPORTED_TYPE = "unsupported_type"  # MIME type not allow-listed
    TOO_LARGE = "too_large"
    NO_SOURCE = "no_source"  # nothing to download from (e.g. a path inside an export)
    UNAVAILABLE = "unavailable"  # the source says it is gone
    STORAGE_QUOTA = "storage_quota"
    BUDGET = "budget"  # the tenant's LLM token budget is used up today


@dataclass(frozen=True, slots=True)
class MediaPlan:
    """What to record for one medium of a post when it is first seen (or changed)."""

    position: int
    kind: str
    source: str | None
    status: MediaStatus
    skip_reason: SkipReason | None = None


@dataclass(frozen=True, slots=True)
class MediaScanItem:
    """A post whose media the tenant has not recorded in this version."""

    tenant_id: int
    post_id: int
    version: int
    media: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class MediaObject:
    """One recorded medium of a post for a tenant."""

    id: int
    tenant_id: int
    post_id: int
    position: int
    kind: str
    source: str | None
    status: MediaStatus
    attempts: int = 0
    storage_key: str | None = None
    sha256: str | None = None
    bytes: int | None = None
    mime_type: str | None = None
    skip_reason: str | None = None


@dataclass(frozen=True, slots=True)
class FetchedMedia:
    """Downloaded bytes and the type the server claimed."""

    data: bytes
    content_type: str | None


class MediaTooLarge(Exception):
    """The medium is larger than allowed (known before or while downloading)."""


class MediaUnavailable(Exception):
    """The source will never give this medium (404, invalid file id, unsupported source)."""


class MediaFetchError(Exception):
    """A download failed for a reason that may pass (network, 5xx, 429)."""


class ImageFetcher(Protocol):
    """Downloads a medium from its source: an http(s) URL or `tg-file:<file_id>`."""

    async def fetch(self, source: str, max_bytes: int) -> FetchedMedia: ...

    async def close(self) -> None: ...


class MediaStore(Protocol):
    """Object storage for media: a directory under DATA_DIR, or an S3 bucket."""

    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes: ...

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> None: ...

    async def usage(self, prefix: str) -> tuple[int, int]:
        """(bytes, objects) stored under a key prefix."""
        ...

    async def close(self) -> None: ...


# --- vision -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VisionImage:
    """One image to show the vision model."""

    data: bytes
    mime_type: str


@dataclass(frozen=True, slots=True)
class VisionContext:
    """What the model is told about the post the images belong to."""

    channel_username: str | None
    channel_title: str
    post_text: str


@dataclass(frozen=True, slots=True)
class VisionReply:
    """The model's reading of a set of images."""

    description: str
    text: str
    tokens: int


class VisionModel(Protocol):
    """An OpenAI-compatible vision model."""

    @property
    def model(self) -> str: ...

    async def describe(self, images: Sequence[VisionImage], context: VisionContext) -> VisionReply:
        """Describe the images together (an album is one call) and read any text in them."""
        ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class VisionGroup:
    """The images of one post for one tenant (album members in other posts folded in)."""

    tenant_id: int
    post_id: int  # the post the result belongs to (the album's first)
    post_ids: list[int]  # every post whose images are in the group
    channel_id: int
    channel_username: str | None
    channel_title: str
    message_id: int
    post_text: str
    grouped_id: str | None
    images: list[MediaObject] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class VisionResult:
    """A stored vision outcome of one post's image set."""

    post_id: int
    image_hash: str
    status: str  # done / skipped / failed
    description: str = ""
    text: str = ""
    skip_reason: str | None = None
    attempts: int = 0
    retry_at: datetime | None = None


class MediaRepository(Protocol):
    """Media objects (the download and vision queues) and vision results (SQL)."""

    async def posts_to_scan(self, limit: int) -> list[MediaScanItem]: ...

    async def record_post_media(
        self, tenant_id: int, post_id: int, version: int, plans: Sequence[MediaPlan]
    ) -> list[MediaPlan]:
        """Record a post's media; returns the plans that were new or changed."""
        ...

    async def pending_downloads(
        self, limit: int, max_attempts: int, after_id: int = 0
    ) -> list[MediaObject]:
        """Media waiting to be downloaded, by id after `after_id` (one pass per run)."""
        ...

    async def stored_source(self, source: str) -> MediaObject | None:
        """Any stored object downloaded from the same source (for another tenant)."""
        ...

    async def mark_stored(
        self, object_id: int, *, key: str, sha256: str, size: int, mime_type: str
    ) -> None: ...

    async def mark_skipped(self, object_id: int, reason: SkipReason, detail: str = "") -> None: ...

    async def mark_fetch_failed(self, object_id: int, error: str, *, final: bool) -> None: ...

    async def tenant_media_bytes(self, tenant_id: int) -> int:
        """Bytes of distinct stored objects of a tenant."""
        ...

    async def vision_queue(self, now: datetime, limit: int) -> list[tuple[int, int]]:
        """(tenant_id, post_id) pairs whose stored images wait for analysis and are ready."""
        ...

    async def vision_group(self, tenant_id: int, post_id: int) -> VisionGroup | None: ...

    async def vision_result(self, post_id: int, image_hash: str) -> VisionResult | None: ...

    async def save_vision_result(
        self,
        *,
        post_id: int,
        tenant_id: int,
        image_hash: str,
        image_count: int,
        status: str,
        description: str = "",
        text: str = "",
        skip_reason: str | None = None,
        error: str | None = None,
        tokens: int = 0,
        model: str | None = None,
        retry_at: datetime | None = None,
    ) -> VisionResult: ...

    async def set_vision_status(
        self,
        tenant_id: int,
        post_ids: Sequence[int],
        status: str,
        retry_at: datetime | None = None,
    ) -> None: ...

    async def vision_usage(self, tenant_id: int) -> tuple[int, int]:
        """(bytes, results) of done vision results of the tenant's channels' posts."""
        ...

    async def vision_texts(self, post_ids: Sequence[int]) -> Mapping[int, str]:
        """The newest vision text of each post, ready to append to its indexed text."""
        ...
