"""Ports of the vision feature: the vision model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from core.channels.ports import ChannelRepository
from core.media.ports import MediaRepository
from core.ports import PostRepository, Transaction
from core.vision.models import VisionContext, VisionImage, VisionReply


class VisionModel(Protocol):
    """An OpenAI-compatible vision model."""

    @property
    def model(self) -> str: ...

    async def describe(self, images: Sequence[VisionImage], context: VisionContext) -> VisionReply:
        """Describe the images together (an album is one call) and read any text in them."""
        ...

    async def close(self) -> None: ...


class VisionUnitOfWork(Transaction, Protocol):
    """What image analysis reads and writes."""

    @property
    def channels(self) -> ChannelRepository: ...

    @property
    def media(self) -> MediaRepository: ...

    @property
    def posts(self) -> PostRepository: ...
