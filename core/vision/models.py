"""Vision types: images shown to the model, its replies, stored results."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from core.media.models import MediaObject


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


@dataclass(slots=True)
class VisionReport:
    """What one run of the vision job did."""

    analysed: int = 0
    reused: int = 0
    skipped_budget: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        """For job results and logs."""
        return {
            "analysed": self.analysed,
            "reused": self.reused,
            "skipped_budget": self.skipped_budget,
            "failed": self.failed,
        }
