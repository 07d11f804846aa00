"""Questions through the real Dispatcher against the fake Bot API: what the user sees."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from core.errors import IndexUnavailable
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.llm_api import FakeOpenAI
from tests.harness import BotHarness, make_settings
from tests.rag_support import NEWS, Post, seed_channel
from tests.telegram_rules import check_markup

USER = 1001
GROUP = -100555


async def running(tmp_path: Path, bot_api: FakeBotAPI, **overrides: Any) -> BotHarness:
    """Settings for a harness: embedded defaults plus overrides."""
    return BotHarness(make_settings(tmp_path, bot_api, **overrides), bot_api)


@pytest.fixture
async def harness(tmp_path: Path, bot_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    """The whole bot with embedded defaults (SQLite, Qdrant Edge, lexical, no LLM)."""
    async with await running(tmp_path, bot_api) as bot:
        yield bot


async def _seed(
    harness: BotHarness, chat_id: int = USER, posts: list[Any] | None = None, **kw: Any
) -> int:
    tenant_id, _ = await seed_channel(harness.container.uow_factory, chat_id, posts or NEWS, **kw)
    return tenant_id


async def test_not_indexed_yet_says_so_with_channels_and_backlog(harness: BotHarness) -> None:
    """No collection yet: the reply says indexing is not finished, with channels and waiting posts."""
    await _seed(harness)
    [reply] = await harness.send("Какая сейчас ключевая ставка?")
    assert "haven't finished indexing" in reply
    assert "This chat follows 1 channel." in reply
    assert f"Waiting to be indexed: {len(NEWS)} posts." in reply
    assert "t.me" not in reply  # no made-up sources
    [russian] = await harness.send("ключевая ставка", language_code="ru")
    assert "не закончил индексировать" in russian


async def test_a_chat_without_channels_is_told_to_subscribe(harness: BotHarness) -> None:
    """Nothing followed, nothing indexed: the reply points at /subscribe."""
    [reply] = await harness.send("Что нового?")
    assert "follows no channels yet" in reply
    assert "/subscribe" in reply


async def test_empty_collection_is_not_indexed_either(harness: BotHarness) -> None:
    """A collection with zero points gets the same honest reply, never an empty answer."""
    tenant_id = await _seed(harness)
    await harness.container.indexer.index_tenant(tenant_id)
    async with harness.container.uow_factory() as uow:
        [channel] = await uow.channels.subscribed(tenant_id)
    await harness.container.index.delete_channel(tenant_id, channel.channel.id)
    [reply] = await harness.send("Какая ключевая ставка?")
    assert "haven't finished indexing" in reply


async def test_failing_index_check_still_answers_and_failing_search_apologises(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Check raising: the answer comes anyway (fail-open); search raising too: a short apology."""
    tenant_id = await _seed(harness)
    await harness.container.indexer.index_tenant(tenant_id)
    index = harness.container.index

    async def unreachable(*args: object, **kwargs: object) -> Any:
        raise IndexUnavailable("the Qdrant server cannot be reached: timed out")

    monkeypatch.setattr(index, "stats", unreachable)
    [answer] = await harness.send("Какая ключевая ставка?")
    assert '<a href="https://t.me/newsroom/1">[1]</a>' in answer
    monkeypatch.setattr(index, "search", unreachable)
    [apology] = await harness.send("Какая ключевая ставка?")
    assert apology.startswith("😔 Sorry, I couldn't search the posts")
    assert "Qdrant" not in apology  # internals stay in the log


async def test_private_text_is_answered_with_links_typing_and_no_previews(
    harness: BotHarness, bot_api: FakeBotAPI
) -> None:
    """Plain text in a private chat: typing…, then an extractive answer with linked sources."""
    tenant_id = await _seed(harness)
    await harness.container.indexer.index_tenant(tenant_id)
    [reply] = await harness.send("До какого уровня повысили ключевую ставку?")
    assert reply.startswith("📰 <b>The most relevant passages of the posts:</b>")
    assert (
        '<a href="https://t.me/newsroom/1">[1]</a> Центробанк повысил ключевую ставку до 21%.'
        in reply
    )
    assert (
        '<b>Sources</b>\n[1] <a href="https://t.me/newsroom/1">@newsroom · 2024-12-01</a>' in reply
    )
    [sent] = bot_api.sent_messages(USER)
    assert sent["parse_mode"] == "HTML"
    assert (sent.get("link_preview_options") or {}).get("is_disabled") or sent.get(
        "disable_web_page_preview"
    )
    typing = [call for call in bot_api.calls("sendChatAction") if call.chat_id == USER]
    assert typing
    assert typing[0].params["action"] == "typing"
    assert typing[0].at <= bot_api.calls("sendMessage")[-1].at


async def test_commands_win_over_questions(harness: BotHarness) -> None:
    """/help is still /help, and an unknown /command is not taken for a question."""
    await _seed(harness)
    [help_text] = await harness.send("/help")
    assert "/subscribe" in help_text
    harness.api.add_update(harness.api.message("/nonsense", user_id=USER))
    [channels] = await harness.send("/channels")
    assert "Channels of this chat" in channels
    assert len(harness.api.sent_messages(USER)) == 2


async def test_ask_command_usage_filters_and_unknown_channels(harness: BotHarness) -> None:
    """/ask alone explains itself; @channel and 7d filter; a channel the chat does not follow is named."""
    tenant_id = await _seed(harness)
    await harness.container.indexer.index_tenant(tenant_id)
    [usage] = await harness.send("/ask")
    assert "What would you like to know?" in usage and "@channel 7d question" in usage
    [unknown] = await harness.send("/ask @someother ставка")
    assert "does not follow @someother" in unknown
    [old] = await harness.send("/ask @newsroom 7d ключевая ставка")
    assert "found nothing about that in the channels and period you chose" in old
    [filtered] = await harness.send("/ask @newsroom ключевая ставка")
    assert "https://t.me/newsroom/1" in filtered


async def test_groups_answer_mentions_replies_and_ask_only(
    harness: BotHarness, bot_api: FakeBotAPI
) -> None:
    """In a group: chatter is ignored; a mention, a reply to the bot, or /ask is a question."""
    tenant_id = await _seed(harness, GROUP, chat_kind="supergroup")
    await harness.container.indexer.index_tenant(tenant_id)
    group: dict[str, Any] = {"chat_id": GROUP, "chat_type": "supergroup", "title": "Friends"}
    bot_api.add_update(bot_api.message("ключевая ставка выросла, да?", **group))
    [mentioned] = await harness.send("@tgassist_test_bot какая ключевая ставка?", **group)
    assert "https://t.me/newsroom/1" in mentioned
    bot_message = bot_api.bot_messages(GROUP)[-1]["message_id"]
    [replied] = await harness.send("а что со снегом?", reply_to=bot_message, **group)
    assert "https://t.me/newsroom/2" in replied
    [asked] = await harness.send("/ask@tgassist_test_bot метро", **group)
    assert "https://t.me/newsroom/3" in asked
    assert len(bot_api.sent_messages(GROUP)) == 3  # the first message got no reply


async def test_hostile_post_text_is_escaped_and_never_breaks_a_reply(
    harness: BotHarness,
) -> None:
    """HTML, <script>, unmatched tags, entities and a 5,000-character post: escaped, delivered."""
    hostile = [
        Post('Взлом <script>alert("ставка")</script> на сайте банка: ключевая ставка 21%'),
        Post("Ключевая ставка <b>без закрытия <i>тегов и & амперсанд &amp; &#x; <a href='x'>"),
        Post("Ключевая ставка. " + "Очень длинный пост про ставку и рынок. " * 130),
        Post("</b></i></a> Ключевая ставка после закрывающих тегов > < &lt;"),
    ]
    assert len(hostile[2].text) > 5000
    tenant_id = await _seed(harness, posts=[*hostile, *NEWS])
    await harness.container.indexer.index_tenant(tenant_id)
    [reply] = await harness.send("ключевая ставка")
    assert "<script>" not in reply
    assert "&lt;script&gt;" in reply
    assert "&lt;b&gt;без закрытия &lt;i&gt;тегов" in reply
    check_markup(reply)
    assert len(reply) <= 4096


async def test_long_llm_answers_are_split_on_boundaries_with_working_links(
    tmp_path: Path, bot_api: FakeBotAPI, fake_llm: FakeOpenAI
) -> None:
    """A model answer of over 10,000 characters arrives in several valid messages; every citation stays a link."""
    sentence = "Ставку повысили до 21% [1], а банки подняли проценты по вкладам [2]. "
    fake_llm.reply_with("\n\n".join((sentence * 12).strip() for _ in range(10)))
    overrides = {
        "openai_base_url": fake_llm.base_url,
        "openai_api_key": "sk-test-secret",
        "llm_model": "fake-chat",
    }
    async with await running(tmp_path, bot_api, **overrides) as harness:
        tenant_id = await _seed(harness)
        await harness.container.indexer.index_tenant(tenant_id)
        bot_api.add_update(bot_api.message("Какая ключевая ставка?", user_id=USER))
        await bot_api.wait_for(
            lambda call: call.method == "sendMessage" and "<b>Sources</b>" in call.params["text"],
            timeout=10,
        )
    replies = [message["text"] for message in bot_api.sent_messages(USER)]
    assert len(replies) >= 3
    assert all(len(part) <= 4096 for part in replies)
    for part in replies:
        check_markup(part)
    for part in replies[:-1]:
        assert part.endswith(".")  # cut at a sentence or paragraph end, not mid-word
    body = "".join(replies)
    assert body.count('<a href="https://t.me/newsroom/1">[1]</a>') == 12 * 10
    assert "sk-test-secret" not in body
    assert "<b>Sources</b>" in replies[-1]


async def test_llm_failure_falls_back_and_says_so(
    tmp_path: Path, bot_api: FakeBotAPI, fake_llm: FakeOpenAI
) -> None:
    """The model answering 503 every time: the chat gets the extractive answer and is told why."""
    fake_llm.always_fail(503)
    overrides = {
        "openai_base_url": fake_llm.base_url,
        "openai_api_key": "sk-test",
        "llm_max_retries": 0,
    }
    async with await running(tmp_path, bot_api, **overrides) as harness:
        tenant_id = await _seed(harness)
        await harness.container.indexer.index_tenant(tenant_id)
        [reply] = await harness.send("Какая ключевая ставка?")
    assert reply.startswith("⚠️ The AI model did not respond")
    assert '<a href="https://t.me/newsroom/1">[1]</a> Центробанк' in reply


async def test_fast_askers_are_throttled_with_one_friendly_message(
    tmp_path: Path, bot_api: FakeBotAPI
) -> None:
    """Over QUESTION_RATE_LIMIT per window: one friendly notice, then silence; others unaffected."""
    async with await running(
        tmp_path, bot_api, question_rate_limit=2, question_rate_window_seconds=600
    ) as harness:
        tenant_id = await _seed(harness)
        await harness.container.indexer.index_tenant(tenant_id)
        for _ in range(2):
            [answer] = await harness.send("ключевая ставка")
            assert "newsroom/1" in answer
        [notice] = await harness.send("ключевая ставка")
        assert notice.startswith("🐢 You're asking a little fast")
        assert re.search(r"wait (\d+) s", notice)
        harness.api.add_update(harness.api.message("ключевая ставка", user_id=USER))
        [help_text] = await harness.send("/help")  # the flood got no reply; commands still work
        assert "/subscribe" in help_text
        assert len(harness.api.sent_messages(USER)) == 4
        [other] = await harness.send("ключевая ставка", user_id=2002)
        assert "follows no channels" in other
