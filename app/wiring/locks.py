"""Wiring of job leases: Redis when REDIS_URL is set (several workers), else lock files."""

from __future__ import annotations

from app.settings import Settings
from core.locks import JobLocks


def build_job_locks(settings: Settings) -> JobLocks:
    """Job leases in Redis when REDIS_URL is set (several workers), else lock files in DATA_DIR."""
    if settings.redis_url:
        from adapters.locks import RedisJobLocks

        return RedisJobLocks.from_url(settings.redis_url)
    from adapters.locks import FileJobLocks

    return FileJobLocks(settings.data_dir / "locks")
