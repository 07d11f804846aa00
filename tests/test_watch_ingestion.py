"""Watch hits from every way posts arrive: polling a public channel and `tgassist import`
(channel_post is in test_watches.py); posts stored before a watch never trigger it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jobs.registry import build_jobs
from tests.cli import run_cli
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.tme import FakeTelegramWeb
from tests.harness import BotHarness, make_settings
from tests.polling_support import HandClock
from tests.watch_support import hits

USER = 7501


@pytest.fixture
async def tme() -> AsyncIterator[FakeTelegramWeb]:
    """A fake t.me with one channel that already mentions the watched words."""
    async with FakeTelegramWeb() as web:
        web.add_channel("alpha", "Alpha", ["Ключевая ставка осталась прежней", "Погода"])
        yield web


@pytest.fixture
async def harness(
    tmp_path: Path, bot_api: FakeBotAPI, tme: FakeTelegramWeb
) -> AsyncIterator[BotHarness]:
    """The whole bot reading the fake t.me, its poller on a clock moved by hand."""
    settings = make_settings(
        tmp_path, bot_api, telegram_web_base=tme.base_url, poll_jitter_seconds=0
    )
    async with BotHarness(settings, bot_api) as running:
        running.container.poller._clock = HandClock(datetime.now(UTC))
        yield running


async def test_polled_posts_are_matched_by_the_poll_job(
    harness: BotHarness, tme: FakeTelegramWeb
) -> None:
    """New posts the poll job reads are matched and sent in the same run; old ones never."""
    [subscribed] = await harness.send("/subscribe @alpha", chat_id=USER, user_id=USER)
    assert "Subscribed" in subscribed
    await harness.send('/watch "ключевая ставка"', chat_id=USER, user_id=USER)
    tme.add_post("alpha", "ЦБ повысил ключевую ставку до 21%")
    tme.add_post("alpha", "Курс рубля вырос")
    clock = harness.container.poller._clock
    assert isinstance(clock, HandClock)
    clock.now += timedelta(minutes=11)
    result = await build_jobs(harness.container)["poll-channels"].run(harness.bot)
    assert result["new_posts"] == 2
    [hit] = hits(harness.api, USER)
    assert "<b>ключевую</b> <b>ставку</b>" in hit["text"] and "https://t.me/alpha/3" in hit["text"]
    assert "осталась прежней" not in hit["text"]  # stored before the watch existed


async def test_imported_posts_are_matched_and_sent_by_the_bot(
    harness: BotHarness,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`tgassist import` matches what it stores; the running bot's messages job sends the hit."""
    await harness.send("/watch нефть -газ", chat_id=USER, user_id=USER)
    messages = [
        {"id": n, "type": "message", "date": "2024-12-01T10:00:00",
         "date_unixtime": str(1733047200 + n), "text": text}
        for n, text in enumerate(["Нефть подорожала на 3%", "Нефть и газ дешевеют"], start=1)
    ]  # fmt: skip
    export = tmp_path / "result.json"
    document = {"name": "Рынки", "type": "public_channel", "id": 1555000333, "messages": messages}
    export.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    result = await asyncio.to_thread(
        run_cli, monkeypatch, capsys, tmp_path, "import", str(export), "--chat", str(USER), "--json"
    )
    assert result.code == 0, result.err
    sent = await build_jobs(harness.container)["messages"].run(harness.bot)
    assert sent["sent"] == 1
    [hit] = hits(harness.api, USER)
    assert "<b>Нефть</b> подорожала" in hit["text"] and "https://t.me/c/1555000333/1" in hit["text"]
