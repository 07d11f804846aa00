"""Posts of every kind read from the preview reach answers; a failing older page loses nothing read.

Through the real Dispatcher, the fake Bot API and a fake t.me serving pages shaped like the real
ones (`tests/data/tme/kinds.html`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import core.channels.polling as polling
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.tme import FakeTelegramWeb
from tests.harness import BotHarness, make_settings
from tests.rag_support import captured_logs, events

KINDS = Path(__file__).parent / "data" / "tme" / "kinds.html"


@pytest.fixture
async def tme() -> AsyncIterator[FakeTelegramWeb]:
    """@tchantest serves the page of every post kind; @longnews fails on its older pages."""
    async with FakeTelegramWeb() as web:
        web.add_channel("tchantest", "tchan's test channel", []).body = KINDS.read_bytes()
        longnews = web.add_channel("longnews", "Long News", [f"заметка {i}" for i in range(1, 31)])
        longnews.older_status = 502
        yield web


@pytest.fixture
async def harness(
    tmp_path: Path, bot_api: FakeBotAPI, tme: FakeTelegramWeb
) -> AsyncIterator[BotHarness]:
    """The whole bot with embedded defaults (SQLite, Qdrant Edge, lexical, no LLM)."""
    settings = make_settings(tmp_path, bot_api, telegram_web_base=tme.base_url, backfill_posts=50)
    async with BotHarness(settings, bot_api) as running:
        yield running


@pytest.mark.parametrize(
    ("question", "cited"),
    [
        ("Which mascot for the meetup badge, capybara or axolotl?", "https://t.me/tchantest/99"),
        ("Where is Mannings Venetian?", "https://t.me/tchantest/98"),
        ("AUD-20130329-WA0000 portadosfundos", "https://t.me/tchantest/12"),
    ],
)
async def test_poll_venue_and_file_posts_answer_questions(
    harness: BotHarness, question: str, cited: str
) -> None:
    """A poll's options, a venue's name and a file's name are searchable and cited in answers."""
    [subscribed] = await harness.send("/subscribe @tchantest")
    assert (
        "Read 19 " in subscribed
    )  # every post with an id and a date; the service message is not one
    await harness.settle()

    [answer] = await harness.send(question)

    assert f'href="{cited}"' in answer


async def test_failing_older_page_keeps_what_was_read(harness: BotHarness) -> None:
    """The older page answers 502: the subscribe succeeds with the newest page and logs why."""
    with captured_logs(polling) as logs:
        [reply] = await harness.send("/subscribe @longnews")

    assert "Subscribed" in reply and "20" in reply  # one page of 20 posts
    [partial] = events(logs, "channel_read_partial")
    assert (partial["username"], partial["before"], partial["kept"]) == ("longnews", 11, 20)
    assert "502" in partial["reason"]
    [listing] = await harness.send("/channels")
    assert "20" in listing
