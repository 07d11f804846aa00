"""Retention: deleted posts and old question logs are removed by `tgassist jobs run retention`."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from storage.models import PostRow, QuestionRow
from tests.cli import run_cli_process
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.fixtures import NEWS
from tests.fakes.tme import FakeTelegramWeb
from tests.harness import BotHarness, make_settings

GONE = 9  # the post the channel deletes


async def test_no_retention_deleted_posts_and_old_question_logs_stay_forever(
    tmp_path: Path, bot_api: FakeBotAPI, news_tme: FakeTelegramWeb
) -> None:
    """A post gone from the preview leaves the database and the chat's index, a question log
    older than RETENTION_QUESTION_DAYS goes, today's stays."""
    settings = make_settings(tmp_path, bot_api, telegram_web_base=news_tme.base_url)
    async with BotHarness(settings, bot_api) as harness:
        await harness.send("/subscribe @dailynews")
        await harness.send("бюджет налоги")  # today's question, logged
        await harness.settle()
        container = harness.container
        async with container.uow_factory() as uow:
            tenant = await uow.tenants.by_chat_id(1001)
            channel = await uow.channels.by_username("dailynews")
            assert tenant is not None and channel is not None
            uow.session.add(
                QuestionRow(
                    tenant_id=tenant.id,
                    text="old question",
                    status="ok",
                    created_at=datetime.now(UTC) - timedelta(days=100),
                )
            )
            await uow.commit()
        del news_tme.channels["dailynews"].posts[GONE]
        result = await container.poller.poll_channel(channel)
        assert result.error is None
        stats = await container.index.stats(tenant.id)
        assert stats is not None and stats.points_count == len(NEWS)

    ran = await asyncio.to_thread(
        run_cli_process,
        tmp_path,
        "jobs",
        "run",
        "retention",
        "--json",
        RETENTION_QUESTION_DAYS="30",
    )
    assert ran.code == 0, ran.err
    assert '"deleted_posts": 1' in ran.out and '"questions": 1' in ran.out

    async with BotHarness(settings, bot_api) as harness:
        container = harness.container
        async with container.uow_factory() as uow:
            session = uow.session
            messages = set(await session.scalars(select(PostRow.message_id)))
            questions = list(await session.scalars(select(QuestionRow.text)))
        assert messages == set(range(1, len(NEWS) + 1)) - {GONE}
        assert questions == ["бюджет налоги"]
        stats = await container.index.stats(tenant.id)
        assert stats is not None and stats.points_count == len(NEWS) - 1
