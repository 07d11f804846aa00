"""Media stores (directory and S3 over HTTP) and storage accounting, exposed on /metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import boto3
import pytest
from moto.server import ThreadedMotoServer

from adapters.metrics import MetricsServer
from app.container import build_container
from core.media.ports import MediaStore
from core.models import PostDraft
from core.quotas.models import ContentType
from jobs.registry import build_jobs
from storage.media import DirectoryMediaStore, S3MediaStore
from storage.migrate import upgrade_async
from tests.harness import make_settings
from tests.quota_support import make_channel_with_posts, make_tenants

BUCKET = "tgassist-media"


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """A real S3-protocol server (moto) on a free local port, for the whole module."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        try:
            yield f"http://{host}:{port}"
        finally:
            server.stop()


@pytest.fixture
def s3_bucket(moto_endpoint: str, request: pytest.FixtureRequest) -> str:
    """A fresh, empty bucket per test."""
    name = f"{BUCKET}-{abs(hash(request.node.nodeid)) % 10**8}"
    client = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket=name)
    return name


@pytest.fixture(params=["directory", "s3"])
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, moto_endpoint: str
) -> AsyncIterator[MediaStore]:
    """Both media stores behind the same port; S3 with tiny pages so pagination is exercised."""
    if request.param == "directory":
        yield DirectoryMediaStore(tmp_path / "media")
        return
    bucket = request.getfixturevalue("s3_bucket")
    s3 = S3MediaStore.from_settings(
        bucket,
        endpoint_url=moto_endpoint,
        region="us-east-1",
        access_key_id="testing",
        secret_access_key="testing",
    )
    s3._page_size = 2
    yield s3
    await s3.close()


async def test_store_contract(store: MediaStore) -> None:
    """Put, get, exists, delete, and usage summed per tenant prefix over every page."""
    for number in range(5):
        await store.put(f"t1/media/ab/{number}.jpg", b"x" * (100 + number), "image/jpeg")
    await store.put("t12/media/cd/a.png", b"y" * 7, "image/png")  # t1 must not count t12
    assert await store.get("t1/media/ab/3.jpg") == b"x" * 103
    assert await store.exists("t1/media/ab/0.jpg")
    assert not await store.exists("t1/media/ab/none.jpg")
    with pytest.raises(FileNotFoundError):
        await store.get("t1/media/ab/none.jpg")
    assert await store.usage("t1/") == (510, 5)
    assert await store.usage("t12/") == (7, 1)
    await store.delete("t1/media/ab/4.jpg")
    assert await store.usage("t1/") == (406, 4)
    assert await store.usage("t99/") == (0, 0)


async def test_directory_store_rejects_escaping_keys(tmp_path: Path) -> None:
    """A key cannot climb out of the media directory."""
    store = DirectoryMediaStore(tmp_path / "media")
    for key in ("../outside", "/etc/passwd", "t1/../../x"):
        with pytest.raises(ValueError, match="invalid media key"):
            await store.put(key, b"", "image/png")


@pytest.mark.parametrize("backend", ["directory", "s3"])
async def test_storage_job_records_usage_and_metrics_expose_it(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, database_url: str
) -> None:
    """`storage-usage` sums each tenant's media prefix, vision, index and posts; /metrics shows it."""
    overrides: dict[str, Any] = {}
    if backend == "s3":
        overrides = {
            "s3_bucket": request.getfixturevalue("s3_bucket"),
            "s3_endpoint_url": request.getfixturevalue("moto_endpoint"),
            "s3_region": "us-east-1",
            "s3_access_key_id": "testing",
            "s3_secret_access_key": "testing",
        }
    settings = make_settings(tmp_path, database_url=database_url, **overrides)
    await upgrade_async(settings.resolved_database_url)
    container = build_container(settings)
    server = MetricsServer(container.metrics, host="127.0.0.1", port=0)
    try:
        first, second = await make_tenants(container.uow_factory, 501, 502)
        drafts = [
            PostDraft(message_id=n, date=datetime(2026, 3, 1, tzinfo=UTC), text=f"пост {n}")
            for n in range(1, 4)
        ]
        await make_channel_with_posts(container.uow_factory, [first], "newsroom", drafts)
        await container.indexer.index_tenant(first)
        store = container.media_store
        await store.put(f"t{first}/media/aa/one.jpg", b"1" * 1000, "image/jpeg")
        await store.put(f"t{first}/media/bb/two.png", b"2" * 500, "image/png")
        await store.put(f"t{second}/media/cc/three.gif", b"3" * 42, "image/gif")

        result = await build_jobs(container)["storage-usage"].run(None)
        assert result["tenants"] == 2
        assert result["failed"] == 0

        async with container.uow_factory() as uow:
            rows = {(u.tenant_id, u.content_type): u for u in await uow.quotas.storage_usage()}
        assert (rows[first, ContentType.MEDIA].bytes, rows[first, ContentType.MEDIA].objects) == (
            1500,
            2,
        )
        assert (rows[second, ContentType.MEDIA].bytes, rows[second, ContentType.MEDIA].objects) == (
            42,
            1,
        )
        assert rows[first, ContentType.POSTS].objects == 3
        assert rows[first, ContentType.INDEX].objects == 3  # points in the tenant's shard
        assert rows[first, ContentType.INDEX].bytes > 0  # the shard's size on disk
        assert rows[second, ContentType.INDEX].objects == 0

        await store.put(f"t{second}/media/dd/four.jpg", b"4" * 8, "image/jpeg")
        await build_jobs(container)["storage-usage"].run(None)  # a re-run updates, never duplicates
        async with container.uow_factory() as uow:
            again = await uow.quotas.storage_usage(second)
        assert len(again) == len({u.content_type for u in again})
        assert {u.content_type: u.bytes for u in again}[ContentType.MEDIA] == 50

        port = await server.start()
        url = f"http://127.0.0.1:{port}/metrics"
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            assert response.status == 200
            text = await response.text()
        assert f'tgassist_tenant_storage_bytes{{tenant="{first}",type="media"}} 1500.0' in text
        assert f'tgassist_tenant_storage_bytes{{tenant="{second}",type="media"}} 50.0' in text
        assert f'tgassist_tenant_storage_objects{{tenant="{first}",type="posts"}} 3.0' in text
        assert f'tgassist_llm_budget_limit_tokens{{tenant="{first}"}} 200000.0' in text
        for name in (
            "tgassist_quota_violations_total",
            "tgassist_vision_outcomes_total",
            "tgassist_question_duration_seconds",
            "tgassist_alerts_sent_total",
            "tgassist_telegram_rate_limited_total",
        ):
            assert f"# TYPE {name.removesuffix('_total')}" in text
    finally:
        await server.stop()
        await container.close()


async def test_two_containers_in_one_process_register_metrics_separately(tmp_path: Path) -> None:
    """Each container has its own registry: building two never fails with duplicate metrics."""
    first = build_container(make_settings(tmp_path / "a"))
    second = build_container(make_settings(tmp_path / "b"))
    try:
        first.metrics.question("ok", 0.2)
        assert b'tgassist_questions_total{status="ok"} 1.0' in await first.metrics.exposition()
        assert b'tgassist_questions_total{status="ok"}' not in await second.metrics.exposition()
    finally:
        await first.close()
        await second.close()
