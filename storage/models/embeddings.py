"""Dense vectors of posts, one per post and model, shared by every chat that follows the channel."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utc_now
from storage.models.base import Base


class PostEmbeddingRow(Base):
    """A post's vector for one model; an older `version` than the post's means pending."""

    __tablename__ = "post_embeddings"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    model: Mapped[str] = mapped_column(String(128), primary_key=True)
    text_hash: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    # float32 little-endian; NULL for a post without text, which needs no vector.
    vector: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
