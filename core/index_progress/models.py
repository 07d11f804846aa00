"""What the index-progress feature passes around."""

from __future__ import annotations

from dataclasses import dataclass

from core.models import Channel


@dataclass(frozen=True, slots=True)
class IndexedNotice:
    """A subscribe reply waiting to be edited into "✅ @name: N posts indexed"."""

    tenant_id: int
    chat_id: int
    language: str
    channel: Channel
    message_id: int


@dataclass(frozen=True, slots=True)
class ChannelBacklog:
    """A channel's posts the chat's index still lacks, and the last indexing error among them."""

    pending: int = 0
    last_error: str | None = None
