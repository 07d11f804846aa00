"""Cheaper answers: the question log written in batches off the answer path, cached tenants."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.batching import BatchWriter
from core.rag.ports import QuestionRecord
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade_async
from storage.models import QuestionRow, UserRow
from storage.repositories import UnitOfWorkFactory
from tests.cli import cli_database_url, start_cli_process, stop_cli_process
from tests.fakes.bot_api import FakeBotAPI
from tests.harness import BotHarness, make_settings

SECRET = "AAH-very-secret-token-part-0123456789abcdefgh"


async def _logged_texts(engine: AsyncEngine) -> list[str]:
    async with create_session_factory(engine)() as session:
        return list(await session.scalars(select(QuestionRow.text).order_by(QuestionRow.id)))


def _question_writer(uow_factory: UnitOfWorkFactory, **limits: int) -> BatchWriter[QuestionRecord]:
    async def store(records: list[QuestionRecord]) -> None:
        async with uow_factory() as uow:
            await uow.questions.add_many(records)
            await uow.commit()

    return BatchWriter(store, name="question-log", **limits)


def _record(tenant_id: int, number: int) -> QuestionRecord:
    return QuestionRecord(tenant_id=tenant_id, text=f"q{number}", status="ok", mode="extractive")


@dataclass
class LogDatabase:
    engine: AsyncEngine
    uow_factory: UnitOfWorkFactory
    tenant_id: int


@pytest.fixture
async def log_db(database_url: str) -> AsyncIterator[LogDatabase]:
    """A migrated database (SQLite and PostgreSQL) with one tenant."""
    await upgrade_async(database_url)
    engine = create_engine(database_url)
    uow_factory = UnitOfWorkFactory(create_session_factory(engine))
    try:
        async with uow_factory() as uow:
            tenant = await uow.tenants.get_or_create(42, "private", None, "en")
            await uow.commit()
        yield LogDatabase(engine, uow_factory, tenant.id)
    finally:
        await engine.dispose()


async def test_log_is_written_after_the_answer_and_all_of_it_on_close(log_db: LogDatabase) -> None:
    """Submitting stores nothing yet (no write on the answer path); close stores every record in order."""
    writer = _question_writer(log_db.uow_factory, max_batch=4)
    for number in range(25):
        await writer.submit(_record(log_db.tenant_id, number))
    assert await _logged_texts(log_db.engine) == []
    await writer.close()
    assert await _logged_texts(log_db.engine) == [f"q{number}" for number in range(25)]
    await writer.submit(_record(log_db.tenant_id, 99))  # after close: stored at once
    assert (await _logged_texts(log_db.engine))[-1] == "q99"


async def test_full_queue_makes_askers_wait_instead_of_losing_records(log_db: LogDatabase) -> None:
    """With a queue of 3, 40 concurrent questions all end up in the log, none dropped."""
    writer = _question_writer(log_db.uow_factory, max_queue=3, max_batch=2)
    await asyncio.gather(*(writer.submit(_record(log_db.tenant_id, n)) for n in range(40)))
    await writer.flush()
    assert sorted(await _logged_texts(log_db.engine)) == sorted(f"q{n}" for n in range(40))
    await writer.close()


async def test_clean_stop_of_the_bot_process_keeps_every_question(
    tmp_path: Path, bot_api: FakeBotAPI
) -> None:
    """`tgassist bot` answers 15 questions, gets SIGTERM, and the log holds all 15 afterwards."""
    process = await start_cli_process(
        tmp_path,
        "bot",
        BOT_TOKEN=f"{bot_api.bot_user['id']}:{SECRET}",
        TELEGRAM_API_BASE=bot_api.base_url,
        QUOTA_DAILY_QUESTIONS="0",
    )
    try:
        await bot_api.wait_for("getUpdates", timeout=60)
        for number in range(15):
            user = 900 + number
            bot_api.add_update(bot_api.message(f"вопрос {number}", chat_id=user, user_id=user))
        await bot_api.wait_for("sendMessage", count=15, timeout=60)
    finally:
        logs = await stop_cli_process(process)
    assert process.returncode == 0, logs[-3000:]
    engine = create_engine(cli_database_url(tmp_path))
    try:
        logged = await _logged_texts(engine)
    finally:
        await engine.dispose()
    assert sorted(logged) == sorted(f"вопрос {number}" for number in range(15))


@contextmanager
def _statements(engine: AsyncEngine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def test_a_known_chat_asks_without_tenant_or_user_writes(
    tmp_path: Path, bot_api: FakeBotAPI
) -> None:
    """The second question of a chat reads and writes no tenant or user row; /alerts off is seen at once."""
    settings = make_settings(tmp_path, bot_api)
    async with BotHarness(settings, bot_api) as harness:
        await harness.send("первый вопрос", chat_id=321, user_id=321)
        with _statements(harness.container.engine) as seen:
            await harness.send("второй вопрос", chat_id=321, user_id=321)
        assert not [sql for sql in seen if "tenants" in sql or "users" in sql], seen
        await harness.container.user_contacts.flush()
        async with harness.container.uow_factory() as uow:
            stored = await uow.session.scalar(select(UserRow.first_name).where(UserRow.id == 321))
        assert stored is not None  # the user's first contact was written, in the background
        await harness.send("/alerts off", chat_id=321, user_id=321)
        [state] = await harness.send("/alerts", chat_id=321, user_id=321)
        assert "<b>off</b>" in state
