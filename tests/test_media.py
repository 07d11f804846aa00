"""Post images into the media store: downloaded once, within size, type and storage limits."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import select
from yarl import URL

from adapters.media_fetch import TELEGRAM_CDN_HOSTS, host_allowed
from app.container import Container, build_container
from core.media.models import MediaStatus, SkipReason
from core.media.service import plan_media, sniff_image_type
from core.models import MediaRef, PostDraft, SourceKind
from core.quotas.models import QuotaOverride
from storage.migrate import upgrade_async
from storage.models.quotas import MediaObjectRow
from tests.fakes.bot_api import FakeBotAPI
from tests.harness import make_settings
from tests.quota_support import make_channel_with_posts, make_tenants

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
JPEG = b"\xff\xd8\xff\xe0" + b"\x01" * 300


@dataclass
class ImageServer:
    """A local HTTP server of images that counts requests per path."""

    url: str
    hits: Counter[str]


@asynccontextmanager
async def _serving(
    handler: Callable[[web.Request], Awaitable[web.Response]], *, host_name: str = "127.0.0.1"
) -> AsyncIterator[str]:
    """Serve GET /{name} with `handler` on 127.0.0.1; yields the base URL under `host_name`."""
    app = web.Application()
    app.router.add_get("/{name}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://{host_name}:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def images() -> AsyncIterator[ImageServer]:
    """Serves /a.png, /b.jpg, a too large /big.jpg, a text /page, a 404 and a failing /flaky."""
    hits: Counter[str] = Counter()
    bodies = {
        "/a.png": (PNG, "image/png"),
        "/b.jpg": (JPEG, "image/jpeg"),
        "/big.jpg": (JPEG + b"\x00" * 5000, "image/jpeg"),
        "/page": (b"<html>", "image/png"),
    }

    async def serve(request: web.Request) -> web.Response:
        hits[request.path] += 1
        if request.path == "/flaky":
            return web.Response(status=503)
        if request.path not in bodies:
            return web.Response(status=404)
        body, kind = bodies[request.path]
        return web.Response(body=body, content_type=kind)

    async with _serving(serve) as url:
        yield ImageServer(url, hits)


@pytest.fixture
async def container(
    tmp_path: Path, bot_api: FakeBotAPI, database_url: str
) -> AsyncIterator[Container]:
    """The app's container on SQLite and PostgreSQL, a 4 KB image limit and the fake Bot API."""
    settings = make_settings(tmp_path, bot_api, media_max_bytes=4096, database_url=database_url)
    await upgrade_async(settings.resolved_database_url)
    built = build_container(settings)
    yield built
    await built.close()


def _post(message_id: int, *media: MediaRef, grouped_id: str | None = None) -> PostDraft:
    return PostDraft(
        message_id=message_id,
        date=datetime(2026, 3, 1, tzinfo=UTC),
        text=f"post {message_id}",
        media=list(media),
        grouped_id=grouped_id,
    )


async def _objects(container: Container) -> list[MediaObjectRow]:
    async with container.uow_factory() as uow:
        rows = await uow.session.scalars(
            select(MediaObjectRow).order_by(
                MediaObjectRow.tenant_id, MediaObjectRow.post_id, MediaObjectRow.position
            )
        )
        return list(rows)


def test_sniffing_trusts_bytes_not_names() -> None:
    """Image types come from magic bytes; anything else is not an image."""
    assert sniff_image_type(PNG) == "image/png"
    assert sniff_image_type(JPEG) == "image/jpeg"
    assert sniff_image_type(b"GIF89a....") == "image/gif"
    assert sniff_image_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff_image_type(b"<html>") is None


def test_plan_skips_what_cannot_or_may_not_be_stored() -> None:
    """Known sizes and types are checked before any download; other media are recorded as skipped."""
    from core.media.models import MediaLimits

    limits = MediaLimits(1000, {"image/jpeg"})
    plans = plan_media(
        [
            {"kind": "photo", "url": "https://cdn.example/a.jpg"},
            {"kind": "video", "url": "https://cdn.example/v.mp4"},
            {"kind": "video", "thumbnail_url": "https://cdn.example/v_thumb.jpg"},
            {"kind": "photo", "url": "photos/photo_1.jpg"},
            {"kind": "photo", "file_id": "F", "file_size": 5000},
            {"kind": "document", "file_id": "D", "mime_type": "image/tiff"},
        ],
        limits,
    )
    assert [(p.status, p.skip_reason) for p in plans] == [
        (MediaStatus.PENDING, None),
        (MediaStatus.SKIPPED, SkipReason.UNSUPPORTED_KIND),
        (MediaStatus.PENDING, None),  # a video's thumbnail is its picture
        (MediaStatus.SKIPPED, SkipReason.NO_SOURCE),
        (MediaStatus.SKIPPED, SkipReason.TOO_LARGE),
        (MediaStatus.SKIPPED, SkipReason.UNSUPPORTED_TYPE),
    ]
    assert plans[2].source == "https://cdn.example/v_thumb.jpg"
    assert plans[4].source == "tg-file:F"


async def test_media_are_downloaded_once_and_skipped_with_reasons(
    container: Container, images: ImageServer, bot_api: FakeBotAPI
) -> None:
    """Web-preview URLs and Bot API files are stored per tenant; others get a recorded reason."""
    bot_api.add_file(JPEG + b"admin", file_id="admin-photo")
    first, second = await make_tenants(container.uow_factory, 601, 602)
    url = images.url
    await make_channel_with_posts(
        container.uow_factory,
        [first, second],
        "pictures",
        [
            _post(
                1,
                MediaRef("photo", url=f"{url}/a.png"),
                MediaRef("photo", url=f"{url}/b.jpg"),
                grouped_id="album",
            ),
            _post(2, MediaRef("video", url=f"{url}/clip.mp4")),
            _post(3, MediaRef("photo", url=f"{url}/big.jpg")),
            _post(4, MediaRef("photo", url=f"{url}/page")),
            _post(5, MediaRef("photo", url="photos/photo_5.jpg")),
            _post(6, MediaRef("photo", file_id="admin-photo", mime_type="image/jpeg")),
            _post(7, MediaRef("photo", url=f"{url}/gone.jpg")),
            _post(8, MediaRef("photo", url=f"{url}/flaky")),
        ],
    )
    report = await container.media.run()
    assert report.scanned_posts == 16  # eight posts for each of two tenants
    for reason in ("too_large", "unsupported_kind", "no_source", "unsupported_type"):
        skipped = container.metrics.registry.get_sample_value(
            "tgassist_vision_outcomes_total", {"outcome": "skipped", "reason": reason}
        )
        assert skipped == 2.0  # one image of each kind, for each of two tenants
    rows = await _objects(container)
    outcome = {
        (row.tenant_id, row.source.rsplit("/", 1)[-1] if row.source else None): (
            row.status,
            row.skip_reason,
        )
        for row in rows
    }
    for tenant in (first, second):
        assert outcome[tenant, "a.png"] == ("stored", None)
        assert outcome[tenant, "b.jpg"] == ("stored", None)
        assert outcome[tenant, "tg-file:admin-photo"] == ("stored", None)
        assert outcome[tenant, "clip.mp4"] == ("skipped", "unsupported_kind")
        assert outcome[tenant, "big.jpg"] == ("skipped", "too_large")
        assert outcome[tenant, "page"] == ("skipped", "unsupported_type")
        assert outcome[tenant, None] == ("skipped", "no_source")
        assert outcome[tenant, "gone.jpg"] == ("skipped", "unavailable")
        assert outcome[tenant, "flaky"] == ("pending", None)  # retried next run
    # Downloaded once from the source; the second tenant got a copy from the store.
    assert images.hits["/a.png"] == 1
    assert images.hits["/b.jpg"] == 1
    assert len(bot_api.calls("getFile")) == 1
    stored = [row for row in rows if row.status == "stored"]
    assert all((row.storage_key or "").startswith(f"t{row.tenant_id}/media/") for row in stored)
    assert await container.media_store.get(stored[0].storage_key or "") == PNG
    assert await container.media_store.usage(f"t{first}/") == (len(PNG) + 2 * len(JPEG) + 5, 3)

    await container.media.run()
    await container.media.run()  # the third failure is final
    flaky = [
        row for row in await _objects(container) if row.source and row.source.endswith("/flaky")
    ]
    assert {(row.status, row.attempts) for row in flaky} == {("failed", 3)}
    assert images.hits["/flaky"] == 6
    assert images.hits["/a.png"] == 1  # nothing stored is fetched again


async def test_storage_limit_skips_new_media(container: Container, images: ImageServer) -> None:
    """A tenant over its storage limit gets new media skipped with reason storage_quota."""
    tenant, roomy = await make_tenants(container.uow_factory, 611, 612)
    await container.budget_gate.set_override(tenant, QuotaOverride(storage_bytes=len(PNG) + 10))
    await make_channel_with_posts(
        container.uow_factory,
        [tenant, roomy],
        "gallery",
        [
            _post(1, MediaRef("photo", url=f"{images.url}/a.png")),
            _post(2, MediaRef("photo", url=f"{images.url}/b.jpg")),
        ],
    )
    await container.media.run()
    reasons = {
        (row.tenant_id, row.post_id): (row.status, row.skip_reason)
        for row in await _objects(container)
    }
    assert sorted(reasons[key] for key in reasons if key[0] == tenant) == [
        ("skipped", "storage_quota"),
        ("stored", None),
    ]
    assert {reasons[key] for key in reasons if key[0] == roomy} == {("stored", None)}


async def test_edited_album_records_only_new_media(
    container: Container, images: ImageServer
) -> None:
    """An album that grows keeps its stored members and adds the new one as pending."""
    [tenant] = await make_tenants(container.uow_factory, 621)
    channel = await make_channel_with_posts(
        container.uow_factory,
        [tenant],
        "albums",
        [_post(1, MediaRef("photo", url=f"{images.url}/a.png"), grouped_id="g")],
        source=SourceKind.BOT_ADMIN,
    )
    await container.media.run()
    async with container.uow_factory() as uow:
        await uow.posts.upsert_many(
            channel,
            [
                _post(
                    1,
                    MediaRef("photo", url=f"{images.url}/a.png"),
                    MediaRef("photo", url=f"{images.url}/b.jpg"),
                    grouped_id="g",
                )
            ],
        )
        await uow.commit()
    report = await container.media.run()
    assert report.stored == 1
    assert [row.status for row in await _objects(container)] == ["stored", "stored"]
    assert images.hits["/a.png"] == 1


@pytest.fixture
async def elsewhere() -> AsyncIterator[ImageServer]:
    """Another image server, reached as `localhost` (a host the CDN list does not name)."""
    hits: Counter[str] = Counter()

    async def serve(request: web.Request) -> web.Response:
        hits[request.path] += 1
        return web.Response(body=PNG + b"internal", content_type="image/png")

    async with _serving(serve, host_name="localhost") as url:
        yield ImageServer(url, hits)


async def test_media_fetch_follows_no_redirect_off_the_allowed_hosts(
    tmp_path: Path, bot_api: FakeBotAPI, images: ImageServer, elsewhere: ImageServer
) -> None:
    """Media fetch followed redirects to any host: now only allowed hosts are fetched, redirects included."""
    settings = make_settings(tmp_path, bot_api, media_max_bytes=4096)
    await upgrade_async(settings.resolved_database_url)
    container = build_container(settings)
    redirects = {
        "/hop.png": f"{elsewhere.url}/secret.png",  # off the allowed hosts
        "/inside.png": f"{images.url}/a.png",  # to another allowed host (same address)
        "/loop.png": "/loop.png",
    }

    async def redirect(request: web.Request) -> web.Response:
        images.hits[request.path] += 1
        raise web.HTTPFound(redirects[request.path])

    try:
        async with _serving(redirect) as hops:
            [tenant] = await make_tenants(container.uow_factory, 603)
            await make_channel_with_posts(
                container.uow_factory,
                [tenant],
                "redirecting",
                [
                    _post(1, MediaRef("photo", url=f"{hops}/hop.png")),
                    _post(2, MediaRef("photo", url=f"{hops}/inside.png")),
                    _post(3, MediaRef("photo", url=f"{elsewhere.url}/direct.png")),
                    _post(4, MediaRef("photo", url=f"{hops}/loop.png")),
                ],
            )
            await container.media.run()
            outcome = {
                (row.source or "").rsplit("/", 1)[-1]: (row.status, row.skip_reason)
                for row in await _objects(container)
            }
    finally:
        await container.close()
    assert sum(elsewhere.hits.values()) == 0, elsewhere.hits  # never reached
    assert outcome["hop.png"] == ("skipped", "unavailable")
    assert outcome["direct.png"] == ("skipped", "unavailable")
    assert outcome["loop.png"] == ("skipped", "unavailable")
    assert outcome["inside.png"] == ("stored", None)
    assert images.hits["/loop.png"] == 4  # the first request and three redirects, no more


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://cdn4.telesco.pe/file/abc.jpg", True),
        ("https://cdn1.cdn-telegram.org/file/abc.jpg", True),
        ("https://CDN5.Telegram-CDN.org./file/abc.jpg", True),
        ("https://cdn4.telesco.pe.evil.example/file/abc.jpg", False),
        ("https://telesco.pe.example/abc.jpg", False),
        ("https://169.254.169.254/latest/meta-data", False),
        ("file:///etc/passwd", False),
        ("ftp://cdn4.telesco.pe/abc.jpg", False),
    ],
)
def test_media_hosts_are_telegrams_cdn_only(url: str, allowed: bool) -> None:
    """The default host list lets Telegram's CDN hosts through and nothing that merely looks like them."""
    assert host_allowed(URL(url), TELEGRAM_CDN_HOSTS) is allowed
