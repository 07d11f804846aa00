"""The DLQ as Redis streams: `XADD stream:<job>.failed MAXLEN ~ 10000 * field value ...`.

String fields are stored as they are (readable with `redis-cli XRANGE`); other values as JSON,
named in the `_json` field so they come back with their types. Streams are append-only, so a
failed retry's changes (attempts, error) live in the hash `<stream>:changes` under the entry id
and the entry keeps its id and place.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from core.dlq.models import DEFAULT_MAX_ENTRIES, DeadLetter
from core.extras import require

STREAMS_KEY = "dlq:streams"  # a set of every stream that ever had an entry
_JSON_FIELDS = "_json"
_STREAM_ID = re.compile(r"^\d{1,20}-\d{1,20}$")


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def encode(entry: Mapping[str, Any]) -> dict[str, str]:
    """Flat stream fields: strings as they are, everything else as JSON (listed in `_json`)."""
    fields: dict[str, str] = {}
    typed: list[str] = []
    for key, value in entry.items():
        if key == _JSON_FIELDS:
            continue
        if isinstance(value, str):
            fields[key] = value
        else:
            fields[key] = json.dumps(value, ensure_ascii=False, default=str)
            typed.append(key)
    if typed:
        fields[_JSON_FIELDS] = ",".join(typed)
    return fields


def decode(raw: Mapping[Any, Any]) -> dict[str, Any]:
    """The entry `encode` was given."""
    fields = {_text(key): _text(value) for key, value in raw.items()}
    typed = [name for name in fields.pop(_JSON_FIELDS, "").split(",") if name]
    entry: dict[str, Any] = dict(fields)
    for key in typed:
        if key in entry:
            try:
                entry[key] = json.loads(fields[key])
            except ValueError:
                entry[key] = fields[key]
    return entry


def _created_at(entry_id: str) -> datetime:
    millis = int(entry_id.split("-", 1)[0])
    return datetime.fromtimestamp(millis / 1000, tz=UTC)


class RedisDeadLetterQueue:
    """Dead letters in Redis streams, each capped at about `max_entries` (`MAXLEN ~`)."""

    def __init__(self, client: Any, *, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self._redis = client
        self.max_entries = max_entries

    @classmethod
    def from_url(
        cls, url: str, *, max_entries: int = DEFAULT_MAX_ENTRIES, timeout: float = 2.0
    ) -> RedisDeadLetterQueue:
        """A queue on its own client that gives up quickly when Redis does not answer."""
        redis = require("redis.asyncio", "redis")
        client = redis.from_url(
            url, socket_connect_timeout=timeout, socket_timeout=timeout, retry_on_timeout=False
        )
        return cls(client, max_entries=max_entries)

    @staticmethod
    def owns(entry_id: str) -> bool:
        """Whether an id looks like one of this backend's (a stream id)."""
        return _STREAM_ID.match(entry_id) is not None

    @staticmethod
    def _changes_key(stream: str) -> str:
        return f"{stream}:changes"

    async def add(self, stream: str, entry: Mapping[str, Any]) -> str:
        """XADD with approximate trimming; remembers the stream's name."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.xadd(stream, encode(entry), maxlen=self.max_entries, approximate=True)
            pipe.sadd(STREAMS_KEY, stream)
            entry_id, _ = await pipe.execute()
        return _text(entry_id)

    async def streams(self) -> dict[str, int]:
        """Every known stream that holds entries, with its length."""
        names = sorted(_text(name) for name in await self._redis.smembers(STREAMS_KEY))
        if not names:
            return {}
        async with self._redis.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.xlen(name)
            lengths = await pipe.execute()
        return {name: int(length) for name, length in zip(names, lengths, strict=True) if length}

    async def length(self, stream: str) -> int:
        """XLEN."""
        return int(await self._redis.xlen(stream))

    async def entries(self, stream: str, *, offset: int = 0, limit: int = 10) -> list[DeadLetter]:
        """XREVRANGE, newest first, with changes of failed retries applied."""
        if limit <= 0:
            return []
        rows = await self._redis.xrevrange(stream, "+", "-", count=offset + limit)
        return await self._letters(stream, rows[offset:])

    async def _letters(self, stream: str, rows: list[Any]) -> list[DeadLetter]:
        if not rows:
            return []
        ids = [_text(entry_id) for entry_id, _ in rows]
        changes = await self._redis.hmget(self._changes_key(stream), ids)
        letters = []
        for (entry_id, raw), changed in zip(rows, changes, strict=True):
            fields = decode(raw)
            if changed:
                fields.update(json.loads(_text(changed)))
            letters.append(
                DeadLetter(_text(entry_id), stream, fields, _created_at(_text(entry_id)))
            )
        return letters

    async def get(self, entry_id: str, stream: str | None = None) -> DeadLetter | None:
        """XRANGE id id in the given stream, or in every known one."""
        if not self.owns(entry_id):
            return None
        names = (
            [stream]
            if stream
            else sorted(_text(name) for name in await self._redis.smembers(STREAMS_KEY))
        )
        for name in names:
            rows = await self._redis.xrange(name, entry_id, entry_id)
            if rows:
                return (await self._letters(name, rows))[0]
        return None

    async def update(self, entry: DeadLetter, changes: Mapping[str, Any]) -> None:
        """Keep the changes next to the stream (entries of a stream cannot change)."""
        key = self._changes_key(entry.stream)
        previous = await self._redis.hget(key, entry.id)
        merged = json.loads(_text(previous)) if previous else {}
        merged.update(changes)
        await self._redis.hset(key, entry.id, json.dumps(merged, ensure_ascii=False, default=str))

    async def remove(self, entry: DeadLetter) -> bool:
        """XDEL, and forget its changes."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.xdel(entry.stream, entry.id)
            pipe.hdel(self._changes_key(entry.stream), entry.id)
            deleted, _ = await pipe.execute()
        return bool(deleted)

    async def purge(self, stream: str) -> int:
        """Drop the stream and its changes."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xlen(stream)
            pipe.delete(stream, self._changes_key(stream))
            pipe.srem(STREAMS_KEY, stream)
            length, _, _ = await pipe.execute()
        return int(length)

    async def close(self) -> None:
        """Close the client."""
        await self._redis.aclose()
