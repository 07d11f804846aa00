"""Text with NUL characters (valid in Telegram and JSON, refused by PostgreSQL) is stored the same everywhere."""

from __future__ import annotations

from datetime import UTC, datetime

from core.rag.ports import QuestionRecord
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade_async
from storage.repositories import UnitOfWorkFactory


async def test_nul_characters_are_dropped_on_every_backend(database_url: str) -> None:
    """A chat title and a question holding U+0000 are stored without it, on SQLite and PostgreSQL."""
    await upgrade_async(database_url)
    engine = create_engine(database_url)
    uow_factory = UnitOfWorkFactory(create_session_factory(engine))
    try:
        async with uow_factory() as uow:
            tenant = await uow.tenants.get_or_create(-77, "supergroup", "Gro\x00up", "en")
            await uow.questions.add(
                QuestionRecord(
                    tenant_id=tenant.id,
                    user_id=7,
                    text="что\x00 нового?",
                    status="ok",
                    mode="none",
                    latency_ms=1,
                    sources_count=0,
                    source_channel_ids=[],
                    prompt_tokens=0,
                    completion_tokens=0,
                    created_at=datetime(2024, 12, 1, tzinfo=UTC),
                )
            )
            await uow.commit()
        async with uow_factory() as uow:
            [record] = await uow.questions.recent(tenant.id)
            again = await uow.tenants.get_or_create(-77, "supergroup", "Group", "en")
    finally:
        await engine.dispose()
    assert record.text == "что нового?"
    assert again.id == tenant.id
    assert again.title == "Group"
