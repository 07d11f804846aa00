"""The dead-letter queue on real Redis and on SQL, and the fallback when Redis dies or hangs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.container import build_container
from core.dlq.models import DEFAULT_MAX_ENTRIES, parse_stream, stream_name
from core.dlq.service import DeadLetterService
from core.interests import service as interests_module
from core.interests.service import INTERESTS_DLQ_STREAM, InterestSync
from core.vision.service import VISION_DLQ_STREAM
from storage.db import create_session_factory
from storage.dlq import FallbackDeadLetterQueue, RedisDeadLetterQueue, SqlDeadLetterQueue
from storage.dlq import fallback as fallback_module
from storage.migrate import upgrade_async
from tests.harness import make_settings
from tests.interest_support import FailingProfiler, ask, own_redis, stream_entries
from tests.quota_support import Clock, make_tenants, migrated
from tests.rag_support import captured_logs, events

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ENTRY_FIELDS = {
    "user_id",
    "tenant_id",
    "error",
    "error_type",
    "at",
    "interests",
    "attempts",
    "last_question_id",
}


async def _users_with_questions(db: object, count: int) -> int:
    """`count` users (ids 1..count) with one question each in one chat; returns the tenant id."""
    uow_factory = db.uow_factory  # type: ignore[attr-defined]
    [tenant] = await make_tenants(uow_factory, -100123)
    for user in range(1, count + 1):
        await ask(uow_factory, tenant, user, f"инфляция и ставка {user}", at=NOW)
    return tenant


def test_stream_names() -> None:
    """Streams are `stream:<job>.failed`; admins may type the job or the full name."""
    assert INTERESTS_DLQ_STREAM == "stream:user_interests.sync.failed"
    assert stream_name("vision") == "stream:vision.failed"
    assert parse_stream("user_interests.sync") == INTERESTS_DLQ_STREAM
    assert parse_stream("stream:vision.failed") == "stream:vision.failed"
    assert DEFAULT_MAX_ENTRIES == 10_000


@pytest.mark.redis
async def test_failing_user_lands_in_the_redis_stream(redis_url: str, sqlite_url: str) -> None:
    """With Redis the failed user is an entry of `stream:user_interests.sync.failed` with every
    field, readable with plain XRANGE; the other users are synced."""
    async with migrated(sqlite_url) as db:
        tenant = await _users_with_questions(db, 3)
        redis_queue = RedisDeadLetterQueue.from_url(redis_url)
        sql_queue = SqlDeadLetterQueue(create_session_factory(db.engine))
        dlq = DeadLetterService(FallbackDeadLetterQueue(redis_queue, sql_queue))
        sync = InterestSync(
            db.uow_factory, FailingProfiler({2}), dead_letters=dlq, clock=Clock(NOW)
        )
        try:
            report = await sync.run()
            assert (report.synced, report.failed, report.dead_lettered) == (2, 1, 1)
            [raw] = await stream_entries(redis_url, INTERESTS_DLQ_STREAM)
            assert raw["user_id"] == "2"
            assert raw["tenant_id"] == str(tenant)
            assert raw["error"] == "profile store rejected user 2"
            assert raw["error_type"] == "RuntimeError"
            assert raw["at"] == NOW.isoformat()
            [entry] = (await dlq.page(INTERESTS_DLQ_STREAM)).entries
            assert set(entry.fields) == ENTRY_FIELDS
            assert entry.fields["user_id"] == 2 and entry.fields["attempts"] == 1
            assert await sql_queue.length(INTERESTS_DLQ_STREAM) == 0
            assert {info.stream: info.length for info in await dlq.overview()} == {
                INTERESTS_DLQ_STREAM: 1
            }
            # a failed retry keeps the entry (same id) with its attempts raised
            dlq.register(INTERESTS_DLQ_STREAM, sync.retry)
            outcome = await dlq.retry(entry.id)
            assert not outcome.ok
            kept = await dlq.show(entry.id)
            assert kept is not None and kept.attempts == 2 and kept.id == entry.id
            assert await dlq.purge(INTERESTS_DLQ_STREAM) == 1
            overview = [(info.stream, info.length) for info in await dlq.overview()]
            assert overview == [(INTERESTS_DLQ_STREAM, 0)]  # retryable streams show up empty
        finally:
            await dlq.close()


@pytest.mark.redis
async def test_redis_stream_is_trimmed_to_about_ten_thousand(redis_url: str) -> None:
    """XADD MAXLEN ~ 10000: after 10,300 entries the stream holds about 10,000, newest kept."""
    queue = RedisDeadLetterQueue.from_url(redis_url)
    stream = stream_name("trim_test")
    try:
        assert queue.max_entries == 10_000
        last = ""
        for number in range(10_300):
            last = await queue.add(stream, {"n": number, "error": "boom"})
        length = await queue.length(stream)
        assert 10_000 <= length < 10_300
        [newest] = await queue.entries(stream, limit=1)
        assert newest.id == last and newest.fields["n"] == 10_299
    finally:
        await queue.purge(stream)
        await queue.close()


async def test_sql_fallback_stores_every_field_and_is_capped(database_url: str) -> None:
    """Without Redis the same entries go to the SQL table, capped per stream (oldest dropped)."""
    async with migrated(database_url) as db:
        await _users_with_questions(db, 4)
        queue = SqlDeadLetterQueue(create_session_factory(db.engine))
        assert queue.max_entries == 10_000
        dlq = DeadLetterService(queue)
        sync = InterestSync(
            db.uow_factory, FailingProfiler({1, 3}), dead_letters=dlq, clock=Clock(NOW)
        )
        report = await sync.run()
        assert (report.synced, report.failed) == (2, 2)
        entries = (await dlq.page(INTERESTS_DLQ_STREAM, limit=10)).entries
        assert [entry.fields["user_id"] for entry in entries] == [3, 1]  # newest first
        assert all(set(entry.fields) == ENTRY_FIELDS for entry in entries)

        capped = SqlDeadLetterQueue(create_session_factory(db.engine), max_entries=50)
        other = stream_name("cap_test")
        for number in range(60):
            await capped.add(other, {"n": number})
        assert await capped.length(other) == 50
        page = await capped.entries(other, offset=0, limit=100)
        assert [letter.fields["n"] for letter in page][:2] == [59, 58]
        assert page[-1].fields["n"] == 10
        assert await capped.length(INTERESTS_DLQ_STREAM) == 2  # other streams untouched


@pytest.mark.slow
async def test_redis_killed_mid_run_sends_the_rest_to_sql(sqlite_url: str) -> None:
    """Redis dies in the middle of a run: later failures go to SQL with a warning, none is lost."""
    with own_redis() as server:
        async with migrated(sqlite_url) as db:
            await _users_with_questions(db, 5)
            seen_in_redis: list[dict[str, str]] = []

            def kill_redis_before(user: int) -> None:
                if user == 3:
                    server.kill()

            profiler = FailingProfiler({1, 3, 5}, before_failure=kill_redis_before)
            redis_queue = RedisDeadLetterQueue.from_url(server.url, timeout=1.0)
            sql_queue = SqlDeadLetterQueue(create_session_factory(db.engine))
            dlq = DeadLetterService(FallbackDeadLetterQueue(redis_queue, sql_queue, timeout=1.0))
            sync = InterestSync(db.uow_factory, profiler, dead_letters=dlq, clock=Clock(NOW))

            original_add = redis_queue.add

            async def add_and_remember(stream: str, entry: Mapping[str, Any]) -> str:
                entry_id = await original_add(stream, entry)
                seen_in_redis.extend(await stream_entries(server.url, stream))
                return entry_id

            redis_queue.add = add_and_remember  # type: ignore[method-assign]
            with captured_logs(fallback_module, interests_module) as logs:
                report = await sync.run()
            assert (report.synced, report.failed, report.dead_lettered) == (2, 3, 3)
            assert [entry["user_id"] for entry in seen_in_redis] == ["1"]
            in_sql = await sql_queue.entries(INTERESTS_DLQ_STREAM, limit=10)
            assert sorted(letter.fields["user_id"] for letter in in_sql) == [3, 5]
            assert all(set(letter.fields) == ENTRY_FIELDS for letter in in_sql)
            warnings = events(logs, "dlq_backend_failed")
            assert warnings and all(w["log_level"] == "warning" for w in warnings)
            assert "add" in {w["operation"] for w in warnings}
            assert "Error" in warnings[0]["error"]
            # reads still work with Redis gone: the SQL entries are listed (Redis skipped)
            assert (await dlq.page(INTERESTS_DLQ_STREAM)).total == 2
            await dlq.close()


@pytest.mark.slow
async def test_hung_redis_never_blocks_the_job(sqlite_url: str) -> None:
    """A Redis that stops answering (SIGSTOP) times out; entries go to SQL; after it comes back,
    both backends together hold every failure (at least once)."""
    with own_redis() as server:
        async with migrated(sqlite_url) as db:
            tenant = await _users_with_questions(db, 3)
            redis_queue = RedisDeadLetterQueue.from_url(server.url, timeout=0.5)
            sql_queue = SqlDeadLetterQueue(create_session_factory(db.engine))
            dlq = DeadLetterService(FallbackDeadLetterQueue(redis_queue, sql_queue, timeout=0.5))
            sync = InterestSync(
                db.uow_factory, FailingProfiler({1}), dead_letters=dlq, clock=Clock(NOW)
            )
            assert (await sync.run()).dead_lettered == 1  # Redis up: goes to the stream
            await ask(db.uow_factory, tenant, 2, "новый вопрос", at=NOW)
            await ask(db.uow_factory, tenant, 3, "новый вопрос", at=NOW)
            sync.profiler.failing.update({2, 3})  # type: ignore[attr-defined]
            server.pause()
            try:
                report = await sync.run()
            finally:
                server.resume()
            assert (report.failed, report.dead_lettered) == (2, 2)
            assert await sql_queue.length(INTERESTS_DLQ_STREAM) == 2
            # a write that timed out may still be carried out once Redis wakes up: at least once
            assert await redis_queue.length(INTERESTS_DLQ_STREAM) >= 1
            letters = (await dlq.page(INTERESTS_DLQ_STREAM, limit=10)).entries
            assert {letter.fields["user_id"] for letter in letters} == {1, 2, 3}
            await dlq.close()


async def test_metrics_scrape_reports_dlq_lengths(tmp_path: Path) -> None:
    """Vision failures reach the container's DLQ, and /metrics shows every stream's length."""
    settings = make_settings(tmp_path)
    await upgrade_async(settings.resolved_database_url)
    container = build_container(settings)
    try:
        sink = container.vision._dead_letters  # what vision writes its failures to
        assert sink is container.dlq
        await sink.add(VISION_DLQ_STREAM, {"tenant_id": 1, "post_id": 2, "error": "boom"})
        text = (await container.metrics.exposition()).decode()
        assert f'tgassist_dlq_entries{{stream="{VISION_DLQ_STREAM}"}} 1.0' in text
        assert f'tgassist_dlq_entries{{stream="{INTERESTS_DLQ_STREAM}"}} 0.0' in text
    finally:
        await container.close()
