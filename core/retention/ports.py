"""Ports of the retention feature: what removing deleted posts and old question logs touches."""

from __future__ import annotations

from typing import Protocol

from core.channels.ports import ChannelRepository
from core.ports import PostRepository, Transaction
from core.rag.ports import QuestionRepository


class RetentionUnitOfWork(Transaction, Protocol):
    """Posts marked deleted, who follows their channels, and the question log."""

    @property
    def posts(self) -> PostRepository: ...

    @property
    def channels(self) -> ChannelRepository: ...

    @property
    def questions(self) -> QuestionRepository: ...
