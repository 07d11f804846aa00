"""Vision analysis against a fake OpenAI-compatible server: albums, budget, idempotency, DLQ."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select, update

from adapters.vision import OpenAIVisionModel
from app.container import Container, build_container
from core.models import MediaRef, PostDraft
from core.quotas.service import BudgetGate
from core.vision.service import VISION_DLQ_STREAM, VisionService
from jobs.registry import build_jobs
from jobs.scheduler import build_scheduler
from storage.budget import SqlTokenLedger
from storage.db import create_session_factory
from storage.migrate import upgrade_async
from storage.models import ChannelRow, PostRow
from storage.models.quotas import MediaObjectRow, VisionResultRow
from tests.fakes.llm_api import FakeOpenAI, image_urls, last_user_text
from tests.harness import make_settings
from tests.quota_support import Clock, limits, make_channel_with_posts, make_tenants

IMAGES = {
    "/one.png": b"\x89PNG\r\n\x1a\n" + b"1" * 64,
    "/two.jpg": b"\xff\xd8\xff\xe0" + b"2" * 64,
    "/three.png": b"\x89PNG\r\n\x1a\n" + b"3" * 64,
}
SEEN = {"description": "A red lighthouse on a rocky coast at dawn", "text": "MAYAK 2026"}


@pytest.fixture
async def image_url() -> AsyncIterator[str]:
    """A local HTTP server of three distinct images."""

    async def serve(request: web.Request) -> web.Response:
        return web.Response(body=IMAGES[request.path], content_type="application/octet-stream")

    app = web.Application()
    app.router.add_get("/{name}", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


@pytest.fixture
async def container(
    tmp_path: Path, fake_llm: FakeOpenAI, database_url: str
) -> AsyncIterator[Container]:
    """The app's container (SQLite and PostgreSQL) with the fake server as vision model."""
    fake_llm.reply_with(json.dumps(SEEN))
    settings = make_settings(
        tmp_path,
        openai_base_url=fake_llm.base_url,
        openai_api_key="sk-test",
        vision_model="fake-vision",
        database_url=database_url,
    )
    await upgrade_async(settings.resolved_database_url)
    built = build_container(settings)
    yield built
    await built.close()


def album(base: str, message_id: int = 1) -> PostDraft:
    """A post with an album of three photos."""
    return PostDraft(
        message_id=message_id,
        date=datetime(2026, 3, 1, tzinfo=UTC),
        text="Фото дня",
        media=[MediaRef("photo", url=f"{base}{path}") for path in IMAGES],
        grouped_id="album-1",
    )


class RecordingDLQ:
    """A dead-letter sink that keeps what it is given."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, dict[str, Any]]] = []

    async def add(self, stream: str, entry: dict[str, Any]) -> None:
        self.entries.append((stream, entry))


def vision_service(
    container: Container,
    fake_llm: FakeOpenAI,
    *,
    clock: Clock,
    daily_tokens: int = 100_000,
    dead_letters: RecordingDLQ | None = None,
) -> tuple[VisionService, BudgetGate]:
    """A vision service on the container's database and store, with its own clock and budget."""
    ledger = SqlTokenLedger(create_session_factory(container.engine))
    gate = BudgetGate(
        container.uow_factory,
        ledger,
        limits(daily_tokens=daily_tokens),
        clock=clock,
        cache_seconds=0,
    )
    model = OpenAIVisionModel.create(
        "fake-vision", base_url=fake_llm.base_url, api_key="sk-test", timeout=5
    )
    service = VisionService(
        container.uow_factory,
        container.media_store,
        model,
        gate,
        dead_letters=dead_letters,
        clock=clock,
        max_retries=2,
        retry_delay=0.01,
    )
    return service, gate


async def _rows(container: Container, model: Any) -> list[Any]:
    async with container.uow_factory() as uow:
        return list(await uow.session.scalars(select(model).order_by(model.id)))


async def test_album_is_described_once_with_the_username_from_the_database(
    container: Container, fake_llm: FakeOpenAI, image_url: str
) -> None:
    """Three album photos go in one request; the stored result makes the post findable."""
    [tenant] = await make_tenants(container.uow_factory, 701)
    channel = await make_channel_with_posts(
        container.uow_factory, [tenant], "harbor", [album(image_url)]
    )
    async with container.uow_factory() as uow:  # renamed since ingestion: only a join knows
        await uow.session.execute(
            update(ChannelRow).where(ChannelRow.id == channel).values(username="harbor_daily")
        )
        await uow.commit()

    result = await build_jobs(container)["vision"].run(None)

    assert result["enabled"] is True
    assert result["analysed"] == 1
    assert result["stored"] == 3
    [request] = fake_llm.chat_requests
    assert request["model"] == "fake-vision"
    assert len(image_urls(request)) == 3
    assert all(url.startswith("data:image/") for url in image_urls(request))
    assert "@harbor_daily" in last_user_text(request)
    assert "Фото дня" in last_user_text(request)
    [row] = await _rows(container, VisionResultRow)
    assert (row.status, row.image_count, row.description, row.text) == (
        "done",
        3,
        SEEN["description"],
        SEEN["text"],
    )
    assert {media.vision_status for media in await _rows(container, MediaObjectRow)} == {"done"}
    assert (await container.budget_gate.token_usage(tenant)).used == row.tokens > 0

    await container.indexer.index_tenant(tenant)
    hits = await container.index.search(tenant, "lighthouse", limit=3)
    assert [hit.document.message_id for hit in hits] == [1]
    assert "MAYAK 2026" in hits[0].document.text


async def test_video_is_described_through_its_thumbnail(
    container: Container, fake_llm: FakeOpenAI, image_url: str
) -> None:
    """A web-preview video's thumbnail is its picture: downloaded, described, searchable."""
    [tenant] = await make_tenants(container.uow_factory, 705)
    video = PostDraft(
        message_id=18,
        date=datetime(2026, 3, 1, tzinfo=UTC),
        text="Video by telegram camera",
        media=[MediaRef("video", thumbnail_url=f"{image_url}/two.jpg")],
    )
    await make_channel_with_posts(container.uow_factory, [tenant], "harbor", [video])

    result = await build_jobs(container)["vision"].run(None)

    assert (result["analysed"], result["stored"]) == (1, 1)
    [request] = fake_llm.chat_requests
    assert len(image_urls(request)) == 1
    [media] = await _rows(container, MediaObjectRow)
    assert (media.kind, media.source, media.status) == ("video", f"{image_url}/two.jpg", "stored")
    await container.indexer.index_tenant(tenant)
    hits = await container.index.search(tenant, "lighthouse", limit=3)
    assert [hit.document.message_id for hit in hits] == [18]


async def test_rerun_and_other_tenants_reuse_the_result(
    container: Container, fake_llm: FakeOpenAI, image_url: str
) -> None:
    """Idempotent per (post, image hash): a re-run and a second subscriber cost no request."""
    first, second = await make_tenants(container.uow_factory, 711, 712)
    await make_channel_with_posts(
        container.uow_factory, [first, second], "harbor", [album(image_url)]
    )
    await container.media.run()
    report = await container.vision.run()
    assert (report.analysed, report.reused) == (1, 1)
    again = await container.vision.run()
    assert (again.analysed, again.reused) == (0, 0)
    assert len(fake_llm.chat_requests) == 1
    assert len(await _rows(container, VisionResultRow)) == 1
    assert (await container.budget_gate.token_usage(second)).used == 0  # the first paid


async def test_exhausted_budget_skips_until_the_next_utc_day(
    container: Container, fake_llm: FakeOpenAI, image_url: str
) -> None:
    """Over budget: skipped with reason `budget`, no request; retried after UTC midnight."""
    clock = Clock(datetime(2026, 3, 1, 22, 0, tzinfo=UTC))
    service, gate = vision_service(container, fake_llm, clock=clock, daily_tokens=5000)
    [tenant] = await make_tenants(container.uow_factory, 721)
    await make_channel_with_posts(container.uow_factory, [tenant], "harbor", [album(image_url)])
    await container.media.run()
    await (await gate.reserve(tenant, 4990)).commit()  # questions used the day's budget

    report = await service.run()
    assert report.skipped_budget == 1
    assert fake_llm.chat_requests == []
    [row] = await _rows(container, VisionResultRow)
    assert (row.status, row.skip_reason) == ("skipped", "budget")
    assert row.retry_at == datetime(2026, 3, 2, tzinfo=UTC)

    clock.advance(hours=1, minutes=59)  # still the same UTC day: not retried
    assert (await service.run()).skipped_budget == 0
    assert fake_llm.chat_requests == []

    clock.advance(minutes=2)
    assert (await service.run()).analysed == 1
    assert len(fake_llm.chat_requests) == 1
    [row] = await _rows(container, VisionResultRow)
    assert row.status == "done"
    assert row.skip_reason is None


async def test_estimate_larger_than_what_is_left_is_a_budget_skip(
    container: Container, fake_llm: FakeOpenAI, image_url: str
) -> None:
    """Not exhausted, but three images' estimate does not fit: skipped for budget, not attempted."""
    service, _gate = vision_service(container, fake_llm, clock=Clock(), daily_tokens=2000)
    [tenant] = await make_tenants(container.uow_factory, 731)
    await make_channel_with_posts(container.uow_factory, [tenant], "harbor", [album(image_url)])
    await container.media.run()
    assert (await service.run()).skipped_budget == 1
    assert fake_llm.chat_requests == []


async def test_failures_after_retries_go_to_the_dlq(
    container: Container, fake_llm: FakeOpenAI, image_url: str
) -> None:
    """Three failed attempts: marked failed, reservation released, one entry in stream:vision.failed."""
    dlq = RecordingDLQ()
    service, gate = vision_service(container, fake_llm, clock=Clock(), dead_letters=dlq)
    [tenant] = await make_tenants(container.uow_factory, 741)
    await make_channel_with_posts(container.uow_factory, [tenant], "harbor", [album(image_url)])
    await container.media.run()
    fake_llm.always_fail(503)

    report = await service.run()

    assert report.failed == 1
    assert len(fake_llm.chat_requests) == 3
    [(stream, entry)] = dlq.entries
    assert stream == VISION_DLQ_STREAM == "stream:vision.failed"
    assert entry["tenant_id"] == tenant
    assert entry["channel"] == "harbor"
    assert entry["images"] == 3
    assert entry["attempts"] == 3
    assert entry["error_type"] == "InternalServerError"
    [row] = await _rows(container, VisionResultRow)
    assert row.status == "failed"
    usage = await gate.token_usage(tenant)
    assert (usage.used, usage.reserved) == (0, 0)
    fake_llm.clear_faults()
    assert (await service.run()).analysed == 0  # failed posts wait for a DLQ retry


async def test_without_a_vision_model_the_job_is_off_and_says_so(tmp_path: Path) -> None:
    """No VISION_MODEL: no scheduled vision job, and `jobs run vision` explains why.

    The start-up notice itself is checked on a real `tgassist run` in test_metrics_process.
    """
    settings = make_settings(tmp_path)
    await upgrade_async(settings.resolved_database_url)
    container = build_container(settings)
    try:
        assert not container.vision.enabled
        scheduler = build_scheduler(build_jobs(container).values(), container.job_locks, settings)
        assert "vision" not in {job.id for job in scheduler.get_jobs()}
        assert "storage-usage" in {job.id for job in scheduler.get_jobs()}
        result = await build_jobs(container)["vision"].run(None)
        assert result["enabled"] is False
        assert "VISION_MODEL" in result["reason"]
    finally:
        await container.close()


async def test_dlq_retry_analyses_a_failed_post(
    container: Container, fake_llm: FakeOpenAI, image_url: str
) -> None:
    """`retry` (what a DLQ retry calls) re-runs a failed post once the model answers again."""
    dlq = RecordingDLQ()
    service, _gate = vision_service(container, fake_llm, clock=Clock(), dead_letters=dlq)
    [tenant] = await make_tenants(container.uow_factory, 751)
    await make_channel_with_posts(container.uow_factory, [tenant], "harbor", [album(image_url)])
    await container.media.run()
    fake_llm.always_fail(500)
    await service.run()
    fake_llm.clear_faults()
    [(_, entry)] = dlq.entries
    assert await service.retry(entry["tenant_id"], entry["post_id"])
    [row] = await _rows(container, VisionResultRow)
    assert (row.status, row.description) == ("done", SEEN["description"])
    assert {media.vision_status for media in await _rows(container, MediaObjectRow)} == {"done"}


async def test_album_members_stored_as_separate_posts_make_one_result(
    container: Container, fake_llm: FakeOpenAI, image_url: str
) -> None:
    """Posts sharing a grouped_id are one album: one request, one result on the first post."""
    [tenant] = await make_tenants(container.uow_factory, 761)
    members = [
        PostDraft(
            message_id=10 + number,
            date=datetime(2026, 3, 1, tzinfo=UTC),
            text="",
            media=[MediaRef("photo", url=f"{image_url}{path}")],
            grouped_id="g-77",
        )
        for number, path in enumerate(IMAGES)
    ]
    await make_channel_with_posts(container.uow_factory, [tenant], "harbor", members)
    await container.media.run()
    report = await container.vision.run()
    assert report.analysed == 1
    [request] = fake_llm.chat_requests
    assert len(image_urls(request)) == 3
    [row] = await _rows(container, VisionResultRow)
    async with container.uow_factory() as uow:
        first = await uow.session.scalar(select(PostRow.id).where(PostRow.message_id == 10))
    assert row.post_id == first
    assert row.image_count == 3
    assert {media.vision_status for media in await _rows(container, MediaObjectRow)} == {"done"}
