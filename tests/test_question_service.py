"""The question service on real SQLite and Qdrant Edge: indexation states, retrieval, extractive answers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event

import core.rag.service
from app.container import Container, build_container
from core.errors import IndexUnavailable
from core.ports import SearchFilter, SearchHit
from core.rag.models import AnswerMode, AnswerStatus, Problem
from core.rag.ports import QuestionRecord
from core.rag.service import QuestionService
from storage.migrate import upgrade_async
from tests.harness import make_settings
from tests.rag_support import NEWS, Post, captured_logs, events, seed_channel


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[Container]:
    """The real container with embedded defaults (SQLite, Qdrant Edge, lexical)."""
    settings = make_settings(tmp_path)
    await upgrade_async(settings.resolved_database_url)
    container = build_container(settings)
    yield container
    await container.close()


async def _recorded(app: Container, tenant_id: int) -> list[QuestionRecord]:
    await app.questions.question_log.flush()  # the log is written in batches
    async with app.uow_factory() as uow:
        return await uow.questions.recent(tenant_id)


async def test_no_collection_means_not_indexed_with_the_backlog(app: Container) -> None:
    """Posts stored but never indexed: not_indexed with channels and waiting posts, recorded."""
    tenant_id, _ = await seed_channel(app.uow_factory, 10, NEWS)
    assert await app.index.stats(tenant_id) is None
    answer = await app.questions.ask(tenant_id, "какая ключевая ставка?", user_id=7)
    assert answer.status is AnswerStatus.NOT_INDEXED
    assert (answer.channels, answer.pending_posts) == (1, len(NEWS))
    assert answer.sources == []
    assert answer.text == ""
    [record] = await _recorded(app, tenant_id)
    assert (record.status, record.user_id, record.sources_count) == ("not_indexed", 7, 0)


async def test_empty_collection_means_not_indexed(app: Container) -> None:
    """A collection that exists but holds no points is not searchable either."""
    tenant_id, channel = await seed_channel(app.uow_factory, 11, NEWS[:3])
    await app.indexer.index_tenant(tenant_id)
    await app.index.delete_channel(tenant_id, channel.id)
    stats = await app.index.stats(tenant_id)
    assert stats is not None
    assert stats.points_count == 0
    answer = await app.questions.ask(tenant_id, "ключевая ставка")
    assert answer.status is AnswerStatus.NOT_INDEXED
    assert answer.channels == 1


async def test_failing_index_check_is_logged_and_the_question_goes_on(
    app: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stats call raising does not block the answer (fail-open) and leaves a warning."""
    tenant_id, _ = await seed_channel(app.uow_factory, 12, NEWS)
    await app.indexer.index_tenant(tenant_id)

    async def unreachable(tenant: int) -> None:
        raise IndexUnavailable("the Qdrant server cannot be reached: timed out")

    monkeypatch.setattr(app.index, "stats", unreachable)
    with captured_logs(core.rag.service) as logs:
        answer = await app.questions.ask(tenant_id, "какая ключевая ставка?")
    assert answer.status is AnswerStatus.OK
    assert answer.sources[0].post.url == "https://t.me/newsroom/1"
    [warning] = events(logs, "index_check_failed")
    assert warning["log_level"] == "warning"
    assert "timed out" in warning["error"]


async def test_failing_search_after_failing_check_is_an_error_with_traceback(
    app: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Check and query both failing: status error, the traceback logged, nothing made up."""
    tenant_id, _ = await seed_channel(app.uow_factory, 13, NEWS)

    async def down(*args: object, **kwargs: object) -> list[SearchHit]:
        raise IndexUnavailable("connection refused")

    monkeypatch.setattr(app.index, "stats", down)
    monkeypatch.setattr(app.index, "search", down)
    with captured_logs(core.rag.service) as logs:
        answer = await app.questions.ask(tenant_id, "ключевая ставка")
    assert answer.status is AnswerStatus.ERROR
    assert answer.text == ""
    assert answer.sources == []
    assert "connection refused" in answer.error_detail
    [failure] = events(logs, "question_search_failed")
    assert failure["log_level"] == "error"
    assert failure["exc_info"] is True
    [record] = await _recorded(app, tenant_id)
    assert record.status == "error"


async def test_an_empty_backlog_is_remembered_briefly_and_a_backlog_never(app: Container) -> None:
    """Nothing waiting is not counted again for 10 s (no backlog query); then the new backlog
    is noted (questions asked at once share one count), and counted again on the next answer."""
    now = [datetime(2024, 12, 5, 12, 0, tzinfo=UTC)]
    service = QuestionService(app.uow_factory, app.index, clock=lambda: now[0])
    tenant_id, _ = await seed_channel(app.uow_factory, 16, NEWS)
    await app.indexer.index_tenant(tenant_id)
    counted: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if "post_index_state" in statement:
            counted.append(statement)

    event.listen(app.engine.sync_engine, "before_cursor_execute", record)
    try:
        assert (await service.ask(tenant_id, "ключевая ставка")).pending_posts == 0
        assert len(counted) == 1
        more = [Post(text, message_id=200 + n) for n, text in enumerate(NEWS[:2])]
        await seed_channel(app.uow_factory, 16, more)
        assert (await service.ask(tenant_id, "ключевая ставка")).pending_posts == 0
        assert len(counted) == 1  # remembered: not counted again
        now[0] += timedelta(seconds=10)
        together = await asyncio.gather(*(service.ask(tenant_id, "ставка") for _ in range(3)))
        assert [answer.pending_posts for answer in together] == [2, 2, 2]
        assert len(counted) == 2
        assert (await service.ask(tenant_id, "ключевая ставка")).pending_posts == 2
        assert len(counted) == 3
    finally:
        event.remove(app.engine.sync_engine, "before_cursor_execute", record)
        await service.close()


async def test_a_search_with_many_hits_answers_without_counting_the_index(
    app: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten or more hits show the index has posts: no stats call; a question with few hits
    still checks (and an empty chat is still "not indexed")."""
    posts = [f"Снегопад в городе номер {n}: дороги расчищают." for n in range(12)]
    tenant_id, _ = await seed_channel(app.uow_factory, 17, posts)
    await app.indexer.index_tenant(tenant_id)
    calls: list[int] = []
    real_stats = app.index.stats

    async def stats(tenant: int) -> object:
        calls.append(tenant)
        return await real_stats(tenant)

    monkeypatch.setattr(app.index, "stats", stats)
    answer = await app.questions.ask(tenant_id, "снегопад")
    assert answer.status is AnswerStatus.OK and answer.sources
    assert calls == []
    assert (await app.questions.ask(tenant_id, "ключевая ставка")).status is AnswerStatus.OK
    assert calls == [tenant_id]  # no hit: the index is checked, it has posts
    empty, _ = await seed_channel(app.uow_factory, 18, posts, username="other")
    assert (await app.questions.ask(empty, "снегопад")).status is AnswerStatus.NOT_INDEXED


async def test_a_small_index_warns_and_answers(app: Container) -> None:
    """Under ten indexed posts: a warning in the log, and an answer all the same."""
    tenant_id, _ = await seed_channel(app.uow_factory, 14, NEWS[:3])
    await app.indexer.index_tenant(tenant_id)
    with captured_logs(core.rag.service) as logs:
        answer = await app.questions.ask(tenant_id, "ключевая ставка центробанка")
    assert answer.status is AnswerStatus.OK
    assert answer.sources
    [warning] = events(logs, "index_small")
    assert warning["log_level"] == "warning"
    assert warning["points"] == 3
    with captured_logs(core.rag.service) as logs:
        more = [Post(text, message_id=100 + n) for n, text in enumerate(NEWS[3:])]
        await seed_channel(app.uow_factory, 14, more)
        await app.indexer.index_tenant(tenant_id)
        await app.questions.ask(tenant_id, "ключевая ставка")
    assert not events(logs, "index_small")


async def test_extractive_answer_quotes_the_matching_sentences_and_is_recorded(
    app: Container,
) -> None:
    """Without an LLM: the best sentences of the top posts, each numbered and linked, logged per tenant."""
    tenant_id, channel = await seed_channel(app.uow_factory, 15, NEWS)
    await app.indexer.index_tenant(tenant_id)
    answer = await app.questions.ask(tenant_id, "До скольки повысили ключевую ставку?", user_id=5)
    assert answer.status is AnswerStatus.OK
    assert answer.mode is AnswerMode.EXTRACTIVE
    first = answer.sources[0]
    assert (first.number, first.post.url, first.post.message_id) == (
        1,
        "https://t.me/newsroom/1",
        1,
    )
    assert first.snippet.startswith("Центробанк повысил ключевую ставку до 21%.")
    assert "Аналитики ждали" not in first.snippet  # the sentence without the question's words
    assert answer.text.startswith("[1] Центробанк повысил ключевую ставку до 21%.")
    [record] = await _recorded(app, tenant_id)
    assert (record.status, record.mode, record.user_id) == ("ok", "extractive", 5)
    assert record.sources_count == len(answer.sources)
    assert record.source_channel_ids == [channel.id]
    assert record.latency_ms == answer.latency_ms
    assert (record.prompt_tokens, record.completion_tokens) == (0, 0)


async def test_album_members_are_one_post(app: Container) -> None:
    """An album's members collapse into one source carrying the caption's text."""
    posts: list[Post | str] = [
        Post("", message_id=20, album="g1"),
        Post(
            "Фотографии нового ледокола «Арктика» на верфи в Петербурге", message_id=21, album="g1"
        ),
        Post("Ледокол «Арктика» вышел в море на ходовые испытания", message_id=30),
        *NEWS,
    ]
    tenant_id, _ = await seed_channel(app.uow_factory, 16, posts)
    await app.indexer.index_tenant(tenant_id)
    outcome = await app.questions.search(tenant_id, "ледокол Арктика", limit=5)
    messages = [source.post.message_id for source in outcome.results]
    assert 30 in messages
    album = [source for source in outcome.results if source.post.message_id in (20, 21)]
    assert len(album) == 1
    assert "ледокол" in album[0].snippet.lower()


async def test_the_same_story_in_two_channels_is_one_hit_with_two_sources(
    app: Container,
) -> None:
    """A near-duplicate from another channel joins the first hit's sources instead of a second hit."""
    story = "Роскосмос перенёс запуск ракеты «Союз» с Байконура на завтра из-за сильного ветра"
    tenant_id, _ = await seed_channel(app.uow_factory, 17, [story, *NEWS])
    await seed_channel(
        app.uow_factory,
        17,
        ["Срочно: " + story + ". Подписывайтесь!", "Запуск ракеты «Ангара» прошёл успешно"],
        username=None,
        title="Без имени",
        telegram_id=-1001234567890,
    )
    await app.indexer.index_tenant(tenant_id)
    outcome = await app.questions.search(tenant_id, "почему перенесли запуск Союза", limit=5)
    first = outcome.results[0]
    urls = {ref.url for ref in first.refs}
    assert urls == {"https://t.me/newsroom/1", "https://t.me/c/1234567890/1"}
    assert all(ref.url not in urls for source in outcome.results[1:] for ref in source.refs)
    assert any(source.post.url == "https://t.me/c/1234567890/2" for source in outcome.results)


async def test_channel_and_recency_filters(app: Container) -> None:
    """`@channel` keeps one channel's posts, `7d` only the last week's; unknown names are refused."""
    now = datetime.now(UTC)
    tenant_id, _ = await seed_channel(
        app.uow_factory,
        18,
        [
            Post("Снегопад парализовал движение в Москве", age=timedelta(days=1)),
            Post("Снегопад в Москве: старая новость", age=timedelta(days=30)),
            *NEWS,
        ],
        now=now,
    )
    await seed_channel(
        app.uow_factory,
        18,
        ["Снегопад в Петербурге: коммунальщики не справляются"],
        username="spbnews",
        title="СПб",
        now=now,
    )
    await app.indexer.index_tenant(tenant_id)
    everything = await app.questions.search(tenant_id, "снегопад", limit=10)
    assert len(everything.results) == 3
    only_spb = await app.questions.search(tenant_id, "@SPBnews снегопад", limit=10)
    assert [s.post.channel for s in only_spb.results] == ["spbnews"]
    recent = await app.questions.search(tenant_id, "7d снегопад", limit=10)
    assert {(s.post.channel, s.post.message_id) for s in recent.results} == {
        ("newsroom", 1),
        ("spbnews", 1),
    }
    both = await app.questions.search(tenant_id, "7д @newsroom снегопад", limit=10)
    assert [(s.post.channel, s.post.message_id) for s in both.results] == [("newsroom", 1)]
    unknown = await app.questions.ask(tenant_id, "@nosuchchannel снегопад")
    assert unknown.status is AnswerStatus.INVALID
    assert unknown.problem is Problem.UNKNOWN_CHANNEL
    assert unknown.problem_detail == "nosuchchannel"
    assert await _recorded(app, tenant_id) == []  # bad input changes nothing


async def test_empty_question_is_invalid_and_not_recorded(app: Container) -> None:
    """Only filters, or nothing at all, is not a question."""
    tenant_id, _ = await seed_channel(app.uow_factory, 19, NEWS)
    for text in ("", "   ", "7d", "@newsroom 24h"):
        answer = await app.questions.ask(tenant_id, text)
        assert answer.status is AnswerStatus.INVALID
        assert answer.problem is Problem.EMPTY
    assert await _recorded(app, tenant_id) == []


async def test_a_chat_only_sees_its_own_channels(app: Container) -> None:
    """Another chat's channels never reach this chat's answers."""
    mine, _ = await seed_channel(app.uow_factory, 20, NEWS)
    theirs, _ = await seed_channel(
        app.uow_factory,
        21,
        ["Секретный рецепт борща от шеф-повара"],
        username="cooking",
        title="Кухня",
    )
    await app.indexer.index_all()
    answer = await app.questions.ask(mine, "рецепт борща")
    assert all(source.post.channel != "cooking" for source in answer.sources)
    assert (await app.questions.ask(theirs, "рецепт борща")).sources[0].post.channel == "cooking"


async def test_search_honours_the_filter_the_index_receives(
    app: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The recency window reaches the index as a `since` bound of the right age."""
    tenant_id, _ = await seed_channel(app.uow_factory, 22, NEWS)
    await app.indexer.index_tenant(tenant_id)
    seen: list[SearchFilter | None] = []
    real = app.index.search

    async def spy(
        tenant: int, query: str, *, limit: int = 10, filters: SearchFilter | None = None
    ) -> list[SearchHit]:
        seen.append(filters)
        return await real(tenant, query, limit=limit, filters=filters)

    monkeypatch.setattr(app.index, "search", spy)
    before = datetime.now(UTC)
    await app.questions.search(tenant_id, "24h ставка")
    [given] = seen
    assert given is not None
    assert given.since is not None
    assert given.channel_ids is None
    assert timedelta(hours=23, minutes=59) <= before - given.since <= timedelta(hours=24)
