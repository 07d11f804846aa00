"""Media types: download states, plans, stored objects, and the errors of a download."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from core.errors import CoreError


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


class MediaError(CoreError):
    """A medium could not be downloaded; the subclasses say whether trying again may help."""


class MediaTooLarge(MediaError):
    """The medium is larger than allowed (known before or while downloading)."""


class MediaUnavailable(MediaError):
    """The source will never give this medium (404, invalid file id, unsupported source)."""


class MediaFetchError(MediaError):
    """A download failed for a reason that may pass (network, 5xx, 429)."""


@dataclass(frozen=True, slots=True)
class MediaLimits:
    """What may be stored: the largest size and the allow-listed MIME types."""

    max_bytes: int
    allowed_types: Collection[str]


@dataclass(slots=True)
class MediaReport:
    """What one run of the media service did."""

    scanned_posts: int = 0
    stored: int = 0
    skipped: int = 0
    failed: int = 0
    retrying: int = 0

    def as_dict(self) -> dict[str, int]:
        """For job results and logs."""
        return {
            "scanned_posts": self.scanned_posts,
            "stored": self.stored,
            "skipped": self.skipped,
            "failed": self.failed,
            "retrying": self.retrying,
        }
