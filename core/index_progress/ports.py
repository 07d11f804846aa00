"""What the index-progress feature needs from outside: a way to tell the chat."""

from __future__ import annotations

from typing import Protocol

from core.index_progress.models import IndexedNotice


class IndexedNoticeSender(Protocol):
    """Edits the subscribe reply (or sends a message) saying the channel is indexed."""

    async def channel_indexed(self, notice: IndexedNotice, posts: int) -> None:
        """Tell the chat; raising means it did not reach the chat (the notice is kept)."""
        ...
