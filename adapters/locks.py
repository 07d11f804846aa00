"""Job leases: Redis (`SET NX PX` + renewal) across machines, or lock files on one machine."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import structlog

from core.extras import require

log = structlog.get_logger(__name__)

# Only the holder whose token matches may renew or release the lease.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisJobLocks:
    """Leases in Redis: shared by every worker that uses the same Redis."""

    def __init__(self, client: Any, *, prefix: str = "lock:job:") -> None:
        self._client = client
        self._prefix = prefix
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    @classmethod
    def from_url(cls, url: str) -> RedisJobLocks:
        """Leases on the Redis at `url`."""
        redis = require("redis.asyncio", "redis")
        return cls(redis.from_url(url, socket_timeout=5, socket_connect_timeout=5))

    @contextlib.asynccontextmanager
    async def hold(self, name: str, ttl_seconds: float) -> AsyncIterator[bool]:
        """Try the lease; while held, renew it every third of its TTL."""
        key = self._prefix + name
        token = secrets.token_hex(16)
        ttl_ms = max(1000, int(ttl_seconds * 1000))
        if not await self._client.set(key, token, nx=True, px=ttl_ms):
            yield False
            return
        renewer = asyncio.create_task(self._keep(key, token, ttl_ms))
        try:
            yield True
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
            try:
                await self._release(keys=[key], args=[token])
            except Exception as error:  # the TTL frees it anyway
                log.warning("job_lock_release_failed", lock=name, error=repr(error))

    async def _keep(self, key: str, token: str, ttl_ms: int) -> None:
        while True:
            await asyncio.sleep(ttl_ms / 3000)
            try:
                if not await self._renew(keys=[key], args=[token, ttl_ms]):
                    log.warning("job_lock_lost", lock=key)
                    return
            except Exception as error:  # keep trying while the lease has time left
                log.warning("job_lock_renew_failed", lock=key, error=repr(error))

    async def close(self) -> None:
        """Close the Redis connection pool."""
        await self._client.aclose()


class FileJobLocks:
    """Leases as `flock`ed files under a directory: one machine, any number of processes.

    The kernel drops a lock when its process dies, so the TTL is not needed here.
    """

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    @contextlib.asynccontextmanager
    async def hold(self, name: str, ttl_seconds: float) -> AsyncIterator[bool]:
        """Try the lock file of `name` without blocking."""
        self._directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._directory / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    async def close(self) -> None:
        """Nothing to release."""
