"""Dead-letter queue backends: a Redis stream, a SQL table, and Redis with a SQL fallback."""

from storage.dlq.fallback import FallbackDeadLetterQueue
from storage.dlq.redis import RedisDeadLetterQueue
from storage.dlq.sql import SqlDeadLetterQueue

__all__ = ["FallbackDeadLetterQueue", "RedisDeadLetterQueue", "SqlDeadLetterQueue"]
