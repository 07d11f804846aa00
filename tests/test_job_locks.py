"""Job leases: two workers never run the same job at once (lock files, or Redis across machines)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.locks import FileJobLocks, RedisJobLocks
from app.container import build_container
from core.locks import JobLocks
from jobs.base import Job, JobSpec
from jobs.scheduler import run_job
from tests.harness import make_settings
from tests.services import redis_url_or_skip

LockFactory = Callable[[], JobLocks]


@pytest.fixture(params=["files", "redis"])
async def lock_factory(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[LockFactory]:
    """Independent lock clients (as separate workers would have) of one backend."""
    made: list[JobLocks] = []

    if request.param == "files":

        def make() -> JobLocks:
            made.append(FileJobLocks(tmp_path / "locks"))
            return made[-1]

    else:
        url = await redis_url_or_skip()

        def make() -> JobLocks:
            made.append(RedisJobLocks.from_url(url))
            return made[-1]

    yield make
    for locks in made:
        await locks.close()


async def test_second_holder_is_refused_until_the_first_releases(lock_factory: LockFactory) -> None:
    """While one worker holds a job's lease another gets False; after release it gets it."""
    first, second = lock_factory(), lock_factory()
    async with first.hold("trends", 30) as held:
        assert held
        async with second.hold("trends", 30) as other:
            assert not other
        async with second.hold("poll-channels", 30) as unrelated:
            assert unrelated
    async with second.hold("trends", 30) as held_after:
        assert held_after


async def test_redis_lease_is_renewed_while_held_and_expires_after_a_crash(redis_url: str) -> None:
    """A live holder keeps its lease past the TTL; a holder that vanished frees it after the TTL."""
    import redis.asyncio as redis

    first, second = RedisJobLocks.from_url(redis_url), RedisJobLocks.from_url(redis_url)
    try:
        async with first.hold("vision", 1.2) as held:
            assert held
            await asyncio.sleep(2.0)  # longer than the TTL: only renewal keeps it
            async with second.hold("vision", 1.2) as other:
                assert not other
        client = redis.from_url(redis_url)
        await client.set("lock:job:crashed", "someone-gone", px=500)  # as a killed worker leaves it
        async with second.hold("crashed", 1) as taken:
            assert not taken
        await asyncio.sleep(0.7)
        async with second.hold("crashed", 1) as taken_later:
            assert taken_later
        await client.aclose()
    finally:
        await first.close()
        await second.close()


def test_file_lock_is_held_across_processes(tmp_path: Path) -> None:
    """A lock file taken by another process refuses this one, and is free once that process exits."""
    holder_script = (
        "import fcntl, os, sys\n"
        "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "print('holding', flush=True)\n"
        "sys.stdin.readline()\n"
    )
    (tmp_path / "locks").mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", holder_script, str(tmp_path / "locks" / "trends.lock")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdin is not None
    assert holder.stdout.readline().strip() == "holding"

    async def try_lock() -> bool:
        async with FileJobLocks(tmp_path / "locks").hold("trends", 30) as held:
            return held

    try:
        assert asyncio.run(try_lock()) is False
    finally:
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=10)
    assert asyncio.run(try_lock()) is True


@pytest.mark.parametrize("backend", ["files", "redis"])
async def test_two_workers_run_a_job_once_at_a_time(backend: str, tmp_path: Path) -> None:
    """Two workers firing the same job together: one runs it, the other reports it skipped."""
    overrides: dict[str, Any] = {}
    if backend == "redis":
        overrides["redis_url"] = await redis_url_or_skip()
    settings = make_settings(tmp_path, **overrides)
    running = 0
    most_at_once = 0

    async def slow(bot: object = None) -> dict[str, Any]:
        nonlocal running, most_at_once
        running += 1
        most_at_once = max(most_at_once, running)
        await asyncio.sleep(0.3)
        running -= 1
        return {"done": 1}

    job = Job(JobSpec("lock-test", lambda s: 60.0, "sleeps"), slow)
    workers = [build_container(settings), build_container(settings)]
    try:
        results = await asyncio.gather(*(run_job(job, w.job_locks, settings) for w in workers))
        again = await run_job(job, workers[1].job_locks, settings)
    finally:
        for worker in workers:
            await worker.close()
    assert most_at_once == 1
    assert sorted(map(str, results)) == sorted(
        [str({"done": 1}), str({"skipped": "running in another process"})]
    )
    assert again == {"done": 1}
