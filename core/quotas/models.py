"""Quota types: limits, overrides, token and storage usage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


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
