"""Dense vectors off the ingest path: the embed queue and job, once per post, model changes, coverage.

Embeddings come from the fake OpenAI-compatible server (real HTTP; it records every input), the
index is real Qdrant Edge, the database SQLite or PostgreSQL; the last test runs the bundled e5.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.container import Container, build_container
from core.ingest.service import ExportImporter
from core.models import PostDraft
from storage.migrate import upgrade_async
from tests.cli import run_cli_process
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.llm_api import FakeOpenAI
from tests.harness import BotHarness, make_settings

NEWS_A = [
    "Центробанк повысил ключевую ставку до 21 процента",
    "В Москве открыли новую станцию метро на Большой кольцевой линии",
    "Синоптики обещают снегопад и гололёд в выходные",
    "",  # a photo without a caption: stored, searchable by nothing, needs no vector
]
NEWS_B = [
    "Курс доллара на бирже превысил 100 рублей",
    "Учёные создали батарею, которая заряжается за пять минут",
    "Сборная по хоккею обыграла Канаду",
]
TEXTED = sum(1 for text in NEWS_A + NEWS_B if text)


def _export(path: Path, channel_id: int, texts: list[str]) -> Path:
    """A Telegram Desktop export of one channel (a blank text is a photo post)."""
    messages = []
    for n, text in enumerate(texts, start=1):
        message: dict[str, Any] = {
            "id": n,
            "type": "message",
            "date": f"2024-12-01T10:0{n}:00",
            "date_unixtime": str(1733047200 + 60 * n),
            "text": text,
        }
        if not text:
            message["photo"] = "photos/photo_1.jpg"
        messages.append(message)
    export = {"name": f"Channel {channel_id}", "type": "public_channel", "id": channel_id}
    path.write_text(json.dumps({**export, "messages": messages}), encoding="utf-8")
    return path


@pytest.fixture
def exports(tmp_path: Path) -> Path:
    """A folder with two channels' exports: 7 posts, 6 with text."""
    folder = tmp_path / "exports"
    folder.mkdir()
    _export(folder / "a.json", 111, NEWS_A)
    _export(folder / "b.json", 222, NEWS_B)
    return folder


def _embedding_env(fake_llm: FakeOpenAI, model: str = "fake-embed") -> dict[str, Any]:
    return {
        "embeddings": "openai",
        "openai_base_url": fake_llm.base_url,
        "openai_api_key": "test",
        "embedding_model": model,
    }


def _passages(fake_llm: FakeOpenAI) -> list[str]:
    """Every text the fake server embedded as a passage (queries are single short inputs)."""
    inputs: list[str] = []
    for body in fake_llm.embedding_requests:
        raw = body["input"]
        inputs.extend(raw if isinstance(raw, list) else [raw])
    return inputs


async def _container(tmp_path: Path, **overrides: Any) -> Container:
    settings = make_settings(tmp_path, **overrides)
    await upgrade_async(settings.resolved_database_url)
    return build_container(settings)


async def _import(container: Container, chat_id: int, exports: Path) -> int:
    """Store and index the exports for a chat, as `tgassist import` does; the tenant id."""
    tenant_id, _ = await container.importer.store(chat_id, ExportImporter.parse([exports]))
    await container.indexer.index_tenant(tenant_id)
    return tenant_id


async def _dense_points(container: Container, tenant_id: int) -> int:
    stats = await container.index.stats(tenant_id)
    assert stats is not None
    return int(stats.extra["dense_points"])  # type: ignore[call-overload]


async def test_import_is_searchable_at_once_and_the_embed_job_adds_vectors(
    tmp_path: Path, exports: Path, fake_llm: FakeOpenAI
) -> None:
    """`tgassist import` embeds nothing; search works at once; `jobs run embed` fills coverage."""
    env = {
        "EMBEDDINGS": "openai",
        "OPENAI_BASE_URL": fake_llm.base_url,
        "OPENAI_API_KEY": "test",
        "EMBEDDING_MODEL": "fake-embed",
    }

    async def cli(*argv: str) -> Any:
        result = await asyncio.to_thread(run_cli_process, tmp_path, *argv, **env)
        assert result.code == 0, result.err
        return result

    imported = (await cli("import", str(exports), "--chat", "5", "--json")).json()
    assert imported["inserted"] == 7 and imported["indexed"] == 7
    assert _passages(fake_llm) == []  # nothing embedded on the ingest path

    found = (await cli("search", "ключевую ставку", "--chat", "5", "--json")).json()
    assert "ставку" in found["results"][0]["snippet"]

    before = (await cli("channels", "--chat", "5", "--json")).json()
    assert before["dense"] == {
        "model": "openai:fake-embed:384",
        "ready": 0,
        "total": 7,
        "coverage": 0.0,
    }
    assert [row["dense_ready"] for row in before["channels"]] == [0, 0]
    assert before["pending_index"] == 0 and before["channels"][0]["posts"] == 4

    ran = (await cli("jobs", "run", "embed", "--json")).json()
    assert ran["result"]["embedded"] == TEXTED and ran["result"]["blank"] == 1
    assert ran["result"]["points"] == TEXTED and ran["result"]["pending"] == 0
    assert sorted(_passages(fake_llm)[-TEXTED:]) == sorted(t for t in NEWS_A + NEWS_B if t)

    after = (await cli("channels", "--chat", "5", "--json")).json()
    assert after["dense"]["ready"] == 7 and after["dense"]["coverage"] == 1.0
    assert [row["dense_ready"] for row in after["channels"]] == [4, 3]
    text = (await cli("channels", "--chat", "5")).out
    assert "dense vectors (openai:fake-embed:384): 7 of 7 posts (100.0%)" in text

    again = (await cli("jobs", "run", "embed", "--json")).json()
    assert again["result"]["embedded"] == 0 and again["result"]["batches"] == 0


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_each_post_is_embedded_once_for_every_chat_and_every_reindex(
    tmp_path: Path, exports: Path, fake_llm: FakeOpenAI, database_url: str
) -> None:
    """Three chats follow the same channels: one model call per post, and every chat's index
    gets the vectors; re-indexing and a chat that arrives later reuse them."""
    container = await _container(tmp_path, database_url=database_url, **_embedding_env(fake_llm))
    try:
        tenants = [await _import(container, chat, exports) for chat in (1, 2, 3)]
        assert container.embedding is not None
        assert await container.embedding.pending() == 7
        report = await container.embedding.drain()
        assert (report.embedded, report.blank, report.points) == (TEXTED, 1, 3 * TEXTED)
        assert len(_passages(fake_llm)) == TEXTED
        for tenant_id in tenants:
            assert await _dense_points(container, tenant_id) == TEXTED

        # Re-index one chat from scratch: its points come back with their stored vectors.
        async with container.uow_factory() as uow:
            for channel in await uow.channels.subscribed(tenants[0]):
                await container.index.delete_channel(tenants[0], channel.channel.id)
                await uow.posts.forget_index_state(tenants[0], channel.channel.id)
            await uow.commit()
        assert await container.indexer.index_tenant(tenants[0]) == 7
        assert await _dense_points(container, tenants[0]) == TEXTED

        late = await _import(container, 4, exports)
        assert await _dense_points(container, late) == TEXTED
        coverage, by_channel = await container.embedding.coverage(late)
        assert (coverage.ready, coverage.total, sorted(by_channel.values())) == (7, 7, [3, 4])
        assert len(_passages(fake_llm)) == TEXTED  # not one more call
    finally:
        await container.close()


async def test_a_new_model_reembeds_in_the_background_while_search_keeps_working(
    tmp_path: Path, exports: Path, fake_llm: FakeOpenAI
) -> None:
    """After EMBEDDING_MODEL changes, questions are answered (lexically) from the first moment;
    the embed job computes the new vectors and fills the index."""
    first = await _container(tmp_path, **_embedding_env(fake_llm, "fake-embed"))
    try:
        tenant_id = await _import(first, 1, exports)
        assert first.embedding is not None
        await first.embedding.drain()
    finally:
        await first.close()
    second = await _container(tmp_path, **_embedding_env(fake_llm, "fake-embed-2"))
    try:
        assert second.embedding is not None
        coverage, _ = await second.embedding.coverage(tenant_id)
        assert (coverage.model, coverage.ready) == ("openai:fake-embed-2:384", 0)
        outcome = await second.questions.search(tenant_id, "станция метро")
        assert outcome.results and "метро" in outcome.results[0].snippet
        assert await _dense_points(second, tenant_id) == 0
        calls = len(_passages(fake_llm))
        report = await second.embedding.drain()
        assert report.embedded == TEXTED and len(_passages(fake_llm)) == calls + TEXTED
        assert await _dense_points(second, tenant_id) == TEXTED
        assert [body["model"] for body in fake_llm.embedding_requests][-1] == "fake-embed-2"
    finally:
        await second.close()


async def test_only_a_changed_text_is_embedded_again(
    tmp_path: Path, exports: Path, fake_llm: FakeOpenAI
) -> None:
    """A new post version with the same text reuses its vector; an edited text is re-embedded."""
    container = await _container(tmp_path, **_embedding_env(fake_llm))
    try:
        tenant_id = await _import(container, 1, exports)
        assert container.embedding is not None
        await container.embedding.drain()
        async with container.uow_factory() as uow:
            [channel, _] = await uow.channels.subscribed(tenant_id)
        calls = len(_passages(fake_llm))
        await _edit_first_post(container, channel.channel.id, NEWS_A[0])  # same text
        reused = await container.embedding.drain()
        assert (reused.reused, reused.embedded) == (1, 0)
        await _edit_first_post(container, channel.channel.id, "Ставку снова повысили до 23%")
        edited = await container.embedding.drain()
        assert (edited.reused, edited.embedded) == (0, 1)
        assert _passages(fake_llm)[calls:] == ["Ставку снова повысили до 23%"]
    finally:
        await container.close()


async def _edit_first_post(container: Container, channel_id: int, text: str) -> None:
    """A new version of message 1 (an edit date makes it one even with the same text)."""
    draft = PostDraft(
        message_id=1,
        date=datetime(2024, 12, 1, 10, 1, tzinfo=UTC),
        text=text,
        edit_date=datetime.now(UTC),
    )
    async with container.uow_factory() as uow:
        stored = await uow.posts.upsert_many(channel_id, [draft])
        await uow.commit()
    assert stored.updated == 1


async def test_embedding_gives_way_to_answers_in_progress(
    tmp_path: Path, exports: Path, fake_llm: FakeOpenAI
) -> None:
    """While a question is being answered the embed job waits before its next batch."""
    container = await _container(tmp_path, **_embedding_env(fake_llm))
    try:
        await _import(container, 1, exports)
        assert container.embedding is not None
        with container.foreground.working():
            drain = asyncio.create_task(container.embedding.drain())
            await asyncio.sleep(0.5)
            assert _passages(fake_llm) == []
        report = await asyncio.wait_for(drain, 10)
        assert report.embedded == TEXTED
    finally:
        await container.close()


@pytest.fixture
async def embedding_bot(
    tmp_path: Path, bot_api: FakeBotAPI, fake_llm: FakeOpenAI
) -> AsyncIterator[BotHarness]:
    """The whole bot with dense vectors from the fake embeddings endpoint."""
    async with BotHarness(
        make_settings(tmp_path, bot_api, **_embedding_env(fake_llm)), bot_api
    ) as h:
        yield h


async def test_channels_command_shows_dense_coverage(
    embedding_bot: BotHarness, exports: Path
) -> None:
    """/channels says how many posts can be found by meaning yet, in both languages."""
    await _import(embedding_bot.container, 1001, exports)  # the fake user's private chat
    [before] = await embedding_bot.send("/channels")
    assert "Search by meaning: 0% of posts ready (0 of 7)" in before
    assert embedding_bot.container.embedding is not None
    await embedding_bot.container.embedding.drain()
    [after] = await embedding_bot.send("/channels")
    assert "Search by meaning: 100% of posts ready (7 of 7)" in after
    [russian] = await embedding_bot.send("/channels", language_code="ru")
    assert "Поиск по смыслу: готово 100% постов (7 из 7)" in russian


async def test_nothing_found_before_the_vectors_exist_says_meaning_search_is_coming(
    embedding_bot: BotHarness, exports: Path
) -> None:
    """A question no post shares a word with, asked before the embed job ran, is told that
    search by meaning is still being prepared and how far it is; once it ran, no such note."""
    await _import(embedding_bot.container, 1001, exports)
    question = "What happened to the American currency?"
    [before] = await embedding_bot.send(question)
    assert "I found nothing about that" in before
    assert "Search by meaning is still being prepared (0%, 0 of 7 posts)" in before
    [russian] = await embedding_bot.send("Что там с заокеанскими деньгами?", language_code="ru")
    assert "Поиск по смыслу ещё готовится (0%, 0 из 7 постов)" in russian
    assert embedding_bot.container.embedding is not None
    await embedding_bot.container.embedding.drain()
    [after] = await embedding_bot.send(question)
    assert "still being prepared" not in after
    assert "t.me/" in after  # found by meaning now, with its source


@pytest.mark.slow
async def test_bundled_model_finds_a_paraphrase_once_the_vectors_exist(
    tmp_path: Path, exports: Path
) -> None:
    """With the local e5 model a question sharing no word with its post is answered once the
    embed job ran; before it, search still works by words."""
    container = await _container(tmp_path, embeddings="local")
    try:
        tenant_id = await _import(container, 1, exports)
        question = "американская валюта подорожала"
        assert (await container.questions.search(tenant_id, question)).results == []
        assert (await container.questions.search(tenant_id, "доллар")).results
        assert container.embedding is not None
        await container.embedding.drain()
        [top, *_] = (await container.questions.search(tenant_id, question)).results
        assert "доллара" in top.snippet
    finally:
        await container.close()
