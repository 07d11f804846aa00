"""The question log on SQLite and PostgreSQL: what is stored, newest first, counted for quotas."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.rag.ports import QuestionRecord
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade_async
from storage.repositories import UnitOfWorkFactory


async def test_questions_are_stored_per_tenant_and_read_back_newest_first(
    database_url: str,
) -> None:
    """Every field survives the round trip; `recent` filters by tenant and time; quotas count them."""
    await upgrade_async(database_url)
    engine = create_engine(database_url)
    uow_factory = UnitOfWorkFactory(create_session_factory(engine))
    start = datetime(2024, 12, 1, 9, 0, tzinfo=UTC)
    try:
        async with uow_factory() as uow:
            mine = await uow.tenants.get_or_create(10, "private", None, "en")
            other = await uow.tenants.get_or_create(-20, "supergroup", "Group", "ru")
            for minute, (tenant, status) in enumerate(
                [(mine, "ok"), (other, "ok"), (mine, "not_indexed"), (mine, "error")]
            ):
                await uow.questions.add(
                    QuestionRecord(
                        tenant_id=tenant.id,
                        user_id=5 if tenant is mine else None,
                        text=f"вопрос {minute}",
                        status=status,
                        mode="llm" if status == "ok" else "none",
                        latency_ms=120 + minute,
                        sources_count=2 if status == "ok" else 0,
                        source_channel_ids=[3, 4] if status == "ok" else [],
                        prompt_tokens=900,
                        completion_tokens=80,
                        created_at=start + timedelta(minutes=minute),
                    )
                )
            await uow.commit()
        async with uow_factory() as uow:
            latest = await uow.questions.recent(mine.id, limit=2)
            since = await uow.questions.recent(mine.id, since=start + timedelta(minutes=1))
            everything = await uow.questions.recent(mine.id)
            counted = await uow.quotas.questions_since(start)
    finally:
        await engine.dispose()
    assert [record.text for record in latest] == ["вопрос 3", "вопрос 2"]
    assert [record.status for record in since] == ["error", "not_indexed"]
    first = everything[-1]
    assert first.id is not None
    assert (first.tenant_id, first.user_id, first.status, first.mode) == (mine.id, 5, "ok", "llm")
    assert (first.latency_ms, first.sources_count, first.source_channel_ids) == (120, 2, [3, 4])
    assert (first.prompt_tokens, first.completion_tokens) == (900, 80)
    assert first.created_at == start
    assert counted == {mine.id: 3, other.id: 1}
