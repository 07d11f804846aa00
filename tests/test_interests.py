"""Interest profiles: salient topics, decay with an injected clock, explicit topics, the sync."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.container import build_container
from core.dlq.service import DeadLetterService
from core.interests.models import Interest, InterestParams, InterestSource, InvalidTopic, TopicKind
from core.interests.service import (
    INTERESTS_DLQ_STREAM,
    InterestProfiler,
    InterestService,
    InterestSync,
    combine_profiles,
)
from core.models import Tenant
from core.rag.ports import QuestionRecord
from core.trends.interests import ProfileInterestScorer
from core.trends.models import Trend
from storage.db import create_session_factory
from storage.dlq import SqlDeadLetterQueue
from storage.migrate import upgrade_async
from tests.harness import make_settings
from tests.interest_support import FailingProfiler, ask, make_channel
from tests.quota_support import Clock, make_tenants, migrated

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _question(text: str, days_ago: float, channels: list[int] | None = None) -> QuestionRecord:
    return QuestionRecord(
        tenant_id=1,
        user_id=7,
        text=text,
        status="answered",
        mode="extractive",
        source_channel_ids=channels or [],
        created_at=NOW - timedelta(days=days_ago),
    )


def test_salient_topics_are_stems_and_whole_entities() -> None:
    """Stop words and question filler go, words are stemmed, names stay whole."""
    profiler = InterestProfiler()
    found = {item.key: item for item in profiler.salient("Что писали про Илон Маск и ставку ЦБ?")}
    assert set(found) == {"илон маск", "ставк", "цб"}
    assert found["илон маск"].label == "Илон Маск"
    assert found["илон маск"].kind == TopicKind.ENTITY
    assert found["цб"].kind == TopicKind.ENTITY
    assert found["ставк"].kind == TopicKind.TERM
    english = {item.key for item in profiler.salient("What did the Bank of England say on rates?")}
    assert english == {"bank england", "rate"}


def test_decayed_weights_explicit_and_implicit() -> None:
    """Each mention halves every half-life; explicit topics weigh more and never decay."""
    params = InterestParams(half_life_days=10, explicit_weight=3.0, channel_weight=0.5)
    profiler = InterestProfiler(params)
    questions = [
        _question("инфляция", 10),
        _question("инфляция и ставка", 0, channels=[5]),
        _question("Илон Маск", 20),
    ]
    built = {item.topic: item for item in profiler.build(questions, {5: "@wire"}, NOW)}
    assert built["инфляц"].weight == pytest.approx(1.0 + 0.5)
    assert built["инфляц"].mentions == 2
    assert built["инфляц"].last_seen_at == NOW
    assert built["ставк"].weight == pytest.approx(1.0)
    assert built["@wire"].weight == pytest.approx(0.5)
    assert built["@wire"].kind == TopicKind.CHANNEL
    assert built["илон маск"].weight == pytest.approx(1.5 * 0.25)
    assert next(item.topic for item in profiler.build(questions, {5: "@wire"}, NOW)) == "инфляц"

    later = NOW + timedelta(days=10)
    assert profiler.current_weight(built["инфляц"], later) == pytest.approx(0.75)
    explicit = Interest("python", "Python", "term", InterestSource.EXPLICIT, 3.0, updated_at=NOW)
    assert profiler.current_weight(explicit, later + timedelta(days=365)) == 3.0
    removed = Interest("x", "x", "term", InterestSource.REMOVED, 0.0, updated_at=NOW)
    assert profiler.current_weight(removed, later) == 0.0

    excluded = profiler.build(questions, {}, NOW, excluded={"инфляц"})
    assert "инфляц" not in {item.topic for item in excluded}
    tiny = InterestProfiler(InterestParams(half_life_days=1, min_weight=0.05))
    assert tiny.build([_question("инфляция", 30)], {}, NOW) == []  # decayed below the minimum


def test_topics_users_type_are_normalised() -> None:
    """`/interests add` text becomes a stemmed key; empty or stop-word-only text is refused."""
    profiler = InterestProfiler()
    assert profiler.topic_key("Machine  Learning") == ("machin learn", "Machine Learning", "topic")
    assert profiler.topic_key("@Durov")[0] == "@durov"
    for bad in ("", "   ", "и или но", "x" * 100):
        with pytest.raises(InvalidTopic):
            profiler.topic_key(bad)


def test_chat_profile_is_the_mean_over_its_people() -> None:
    """A chat's profile averages its people's weights and leaves channels out."""
    service = InterestService(lambda: None, clock=lambda: NOW)  # type: ignore[arg-type,return-value]
    first = service.weighted(
        [
            Interest("ai", "AI", "term", InterestSource.EXPLICIT, 3.0, updated_at=NOW),
            Interest("@wire", "@wire", "channel", InterestSource.IMPLICIT, 1.0, updated_at=NOW),
        ]
    )
    second = service.weighted(
        [Interest("ai", "AI", "term", InterestSource.IMPLICIT, 1.0, updated_at=NOW)]
    )
    assert combine_profiles([first, second, []]) == {"AI": pytest.approx(2.0)}


async def test_sync_stores_profiles_and_dead_letters_a_failing_user(database_url: str) -> None:
    """A user whose sync raises lands in the DLQ with every field; the others are synced;
    the failed user waits for a retry, which syncs them and removes the entry."""
    clock = Clock(NOW)
    async with migrated(database_url) as db:
        [tenant] = await make_tenants(db.uow_factory, -100777)
        wire = await make_channel(db.uow_factory, "wire")
        day = timedelta(days=1)
        await ask(db.uow_factory, tenant, 1, "Что с инфляцией?", at=NOW - 14 * day, channels=[wire])
        await ask(db.uow_factory, tenant, 1, "Инфляция и ставка ЦБ", at=NOW)
        await ask(db.uow_factory, tenant, 2, "Что нового у Tesla?", at=NOW)
        last_of_2 = await ask(db.uow_factory, tenant, 2, "Илон Маск и Tesla", at=NOW)
        await ask(db.uow_factory, tenant, 3, "погода в Москве", at=NOW)
        dlq = DeadLetterService(SqlDeadLetterQueue(create_session_factory(db.engine)))
        profiler = FailingProfiler({2})
        sync = InterestSync(db.uow_factory, profiler, dead_letters=dlq, clock=clock)
        dlq.register(INTERESTS_DLQ_STREAM, sync.retry)

        report = await sync.run()
        assert (report.users, report.synced, report.failed, report.dead_lettered) == (3, 2, 1, 1)
        service = InterestService(db.uow_factory, profiler, clock=clock)
        async with db.uow_factory() as uow:
            first = {item.topic: item.weight for item in await service.profile(uow, 1)}
            assert await service.profile(uow, 2) == []
            third = {item.topic for item in await service.profile(uow, 3)}
        assert first["инфляц"] == pytest.approx(1.0 + 0.5)  # two weeks halve the older mention
        assert first["@wire"] == pytest.approx(0.5 * 0.5)
        assert first["цб"] == pytest.approx(1.5)
        assert {"погод", "москв"} <= third

        [entry] = (await dlq.page(INTERESTS_DLQ_STREAM)).entries
        assert entry.fields == {
            "user_id": 2,
            "tenant_id": tenant,
            "error": "profile store rejected user 2",
            "error_type": "RuntimeError",
            "at": NOW.isoformat(),
            "interests": 0,
            "attempts": 1,
            "last_question_id": last_of_2,
        }
        assert datetime.fromisoformat(entry.fields["at"]).utcoffset() == timedelta(0)

        again = await sync.run()  # nothing new: the failed user waits for a retry
        assert again.users == 0
        assert await dlq.queue.length(INTERESTS_DLQ_STREAM) == 1

        failed_retry = await dlq.retry(entry.id)
        assert (failed_retry.ok, failed_retry.removed, failed_retry.attempts) == (False, False, 2)
        kept = await dlq.show(entry.id)
        assert kept is not None and kept.attempts == 2
        assert kept.fields["user_id"] == 2

        profiler.failing.clear()
        retried = await dlq.retry(entry.id)
        assert (retried.ok, retried.removed) == (True, True)
        assert await dlq.show(entry.id) is None
        async with db.uow_factory() as uow:
            second = {item.topic for item in await service.profile(uow, 2)}
        assert {"tesla", "илон маск"} <= second


async def test_explicit_topics_survive_syncs_and_removed_ones_stay_out(sqlite_url: str) -> None:
    """Added topics stay explicit through syncs; a removed implicit topic does not come back."""
    clock = Clock(NOW)
    async with migrated(sqlite_url) as db:
        [tenant] = await make_tenants(db.uow_factory, 4242)
        await ask(db.uow_factory, tenant, 4242, "инфляция и ставка", at=NOW)
        profiler = InterestProfiler()
        sync = InterestSync(db.uow_factory, profiler, clock=clock)
        service = InterestService(db.uow_factory, profiler, clock=clock)
        await sync.run()
        async with db.uow_factory() as uow:
            added, created = await service.add(uow, 4242, "Инфляция")
            assert created and added.topic == "инфляц"
            _, again = await service.add(uow, 4242, "инфляция")
            assert not again
            assert (await service.remove(uow, 4242, "ставка")) is not None
            assert await service.remove(uow, 4242, "nothing here") is None
        await ask(db.uow_factory, tenant, 4242, "ставка и инфляция снова", at=NOW)
        clock.advance(days=60)
        await sync.run()
        async with db.uow_factory() as uow:
            profile = await service.profile(uow, 4242)
        by_topic = {item.topic: item for item in profile}
        assert "ставк" not in by_topic
        assert by_topic["инфляц"].interest.explicit
        assert by_topic["инфляц"].weight == 3.0
        assert profile[0].topic == "инфляц"  # explicit topics come first

        chat = Tenant(id=tenant, chat_id=4242, kind="private")
        combined = await service.tenant_profile(chat)
        assert combined["Инфляция"] == 3.0
        assert "ставка" not in combined


def _trend(*stems: str) -> Trend:
    return Trend(
        trend_key="k",
        label=" ".join(stems),
        headline="",
        terms=list(stems),
        stems=list(stems),
        score=10.0,
        z=5.0,
        mentions=5,
        baseline=1.0,
        channels=["a", "b", "c"],
        channel_ids=[1, 2, 3],
        posts=[],
        first_seen=NOW,
    )


async def test_trend_alerts_rank_by_the_chat_peoples_interests(tmp_path: Path) -> None:
    """The container's trend scorer raises trends a chat's people care about, lowers others,
    and stays neutral for chats without profiles."""
    settings = make_settings(tmp_path)
    await upgrade_async(settings.resolved_database_url)
    container = build_container(settings)
    try:
        scorer = container.trends.service.interests
        assert isinstance(scorer, ProfileInterestScorer)
        [group, quiet] = await make_tenants(container.uow_factory, -100500, -100600)
        await ask(container.uow_factory, group, 11, "Что с ключевой ставкой ЦБ?")
        await ask(container.uow_factory, group, 12, "ставка и инфляция")
        await container.interests.sync.run()
        async with container.uow_factory() as uow:
            await container.interests.service.add(uow, 12, "Биткоин")
        chat = Tenant(id=group, chat_id=-100500, kind="supergroup")
        rates = await scorer.affinity(chat, _trend("ставк", "цб", "решен"))
        bitcoin = await scorer.affinity(chat, _trend("биткоин", "курс"))
        weather = await scorer.affinity(chat, _trend("погод", "снег"))
        assert rates > bitcoin > 0 > weather
        nobody = Tenant(id=quiet, chat_id=-100600, kind="supergroup")
        assert await scorer.affinity(nobody, _trend("ставк")) == 0.0
    finally:
        await container.close()
