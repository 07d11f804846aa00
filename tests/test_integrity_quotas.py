"""Daily question limits under concurrency, through the real Dispatcher (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import event

from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.tme import FakeTelegramWeb
from tests.harness import BotHarness, make_settings
from tests.integrity_support import group_following_news

GROUP = -100888
ADMIN = 4001
ASKERS = list(range(4101, 4109))


async def test_the_question_limit_is_read_then_act(
    tmp_path: Path, bot_api: FakeBotAPI, news_tme: FakeTelegramWeb, database_url: str
) -> None:
    """Eight members ask at once with a daily limit of 3: exactly five hear the limit."""
    settings = make_settings(
        tmp_path,
        bot_api,
        telegram_web_base=news_tme.base_url,
        database_url=database_url,
        quota_daily_questions=3,
    )
    async with BotHarness(settings, bot_api) as harness:
        await group_following_news(harness, GROUP, "supergroup", ADMIN)
        for user in ASKERS:
            bot_api.add_update(
                bot_api.message(
                    "/ask правительство бюджет", chat_id=GROUP, user_id=user, chat_type="supergroup"
                )
            )
        await bot_api.wait_for(
            lambda call: call.method == "sendMessage" and call.ok and call.chat_id == GROUP,
            count=1 + len(ASKERS),
            timeout=60,
        )
        answers = [m["text"] for m in bot_api.sent_messages(GROUP)[1:]]
        limited = [text for text in answers if "questions for today" in text]
        assert len(limited) == len(ASKERS) - 3, answers


async def test_every_question_counts_todays_questions_of_all_tenants(
    tmp_path: Path, bot_api: FakeBotAPI, news_tme: FakeTelegramWeb
) -> None:
    """Checking a chat's question limit reads that chat's questions only, never every
    tenant's (it is on the path of every answer)."""
    settings = make_settings(
        tmp_path, bot_api, telegram_web_base=news_tme.base_url, quota_daily_questions=50
    )
    async with BotHarness(settings, bot_api) as harness:
        await group_following_news(harness, GROUP, "supergroup", ADMIN)
        statements: list[str] = []

        def record(*args: Any) -> None:
            statements.append(str(args[2]))

        engine = harness.container.engine.sync_engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            [answer] = await harness.send(
                "/ask правительство бюджет", chat_id=GROUP, user_id=ADMIN, chat_type="supergroup"
            )
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert "t.me/dailynews" in answer
        counting = [s for s in statements if re.search(r"FROM questions\b", s)]
        assert counting, statements
        for statement in counting:
            assert "GROUP BY questions.tenant_id" not in statement, statement
            assert re.search(r"questions\.tenant_id = ", statement), statement
