"""SQLAlchemy 2.0 ORM models; the schema itself is owned by the Alembic migrations."""

from storage.models import dlq, embeddings, integrity, interests, quotas, trends
from storage.models.base import Base, BigId, UTCDateTime
from storage.models.core import (
    ChannelRow,
    PostIndexStateRow,
    PostRow,
    QuestionRow,
    SubscriptionRow,
    TenantRow,
    UserRow,
)

__all__ = [
    "Base",
    "BigId",
    "ChannelRow",
    "PostIndexStateRow",
    "PostRow",
    "QuestionRow",
    "SubscriptionRow",
    "TenantRow",
    "UTCDateTime",
    "UserRow",
    "dlq",
    "embeddings",
    "integrity",
    "interests",
    "quotas",
    "trends",
]
