"""The first hour of a new user, end to end in English and Russian: bare commands ask for their
argument, channels can be picked without typing, unreadable channels say what works instead,
indexing reports when it is done, /trends and /alerts say why they are quiet, /lang, /help."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import set_commands
from bot.texts import TEXTS, plural, t
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.fixtures import make_bot
from tests.fakes.tme import FakeTelegramWeb
from tests.harness import BotHarness, make_settings

NEWS = [f"Новость номер {i}: правительство обсуждает бюджет и выборы" for i in range(1, 26)]
LANGS = ["en", "ru"]
SUBSCRIBED = {"en": "Subscribed to", "ru": "Подписка на"}
GROUP = -100777


@pytest.fixture
async def tme() -> AsyncIterator[FakeTelegramWeb]:
    """A fake t.me: one public channel, one without a web preview, two small ones."""
    async with FakeTelegramWeb() as web:
        web.add_channel("dailynews", "Daily News", NEWS)
        web.add_channel("secretive", "Hidden", ["x"]).private = True
        web.add_channel("single", "Single", ["один пост о погоде"])
        web.add_channel("pair", "Pair", ["первый пост о погоде", "второй пост о погоде"])
        yield web


def _settings(tmp_path: Path, bot_api: FakeBotAPI, tme: FakeTelegramWeb, **extra: Any) -> Any:
    return make_settings(
        tmp_path, bot_api, telegram_web_base=tme.base_url, backfill_posts=25, **extra
    )


@pytest.fixture
async def harness(
    tmp_path: Path, bot_api: FakeBotAPI, tme: FakeTelegramWeb
) -> AsyncIterator[BotHarness]:
    """The whole bot with embedded defaults; user 4242 is one of its admins."""
    async with BotHarness(_settings(tmp_path, bot_api, tme, admin_ids="4242"), bot_api) as running:
        yield running


def _last(harness: BotHarness, chat_id: int) -> dict[str, Any]:
    """The params of the last message the bot sent to a chat."""
    return harness.api.sent_messages(chat_id)[-1]


async def _tenant_id(harness: BotHarness, chat_id: int) -> int:
    async with harness.container.uow_factory() as uow:
        tenant = await uow.tenants.by_chat_id(chat_id)
    assert tenant is not None
    return tenant.id


# --- bare commands ----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
async def test_bare_subscribe_asks_and_the_pasted_name_subscribes(
    harness: BotHarness, lang: str
) -> None:
    """Bare /subscribe asks with a channel picker; the @name pasted next is subscribed to."""
    [prompt] = await harness.send("/subscribe", language_code=lang)
    assert prompt == TEXTS[lang]["subscribe_prompt"]
    keyboard = _last(harness, 1001)["reply_markup"]["keyboard"]
    picker = keyboard[0][0]["request_chat"]
    assert picker["chat_is_channel"] is True and picker["request_username"] is True
    [reply] = await harness.send("@dailynews", language_code=lang)
    assert SUBSCRIBED[lang] in reply
    assert _last(harness, 1001)["reply_markup"] == {"remove_keyboard": True}
    [listing] = await harness.send("/channels", language_code=lang)
    assert "Daily News" in listing


@pytest.mark.parametrize("lang", LANGS)
async def test_cancel_leaves_the_prompt(harness: BotHarness, lang: str) -> None:
    """/cancel leaves; the next @name is then only offered, not subscribed to."""
    await harness.send("/subscribe", language_code=lang)
    [cancelled] = await harness.send("/cancel", language_code=lang)
    assert cancelled == TEXTS[lang]["cancelled"]
    [offer] = await harness.send("@dailynews", language_code=lang)
    assert offer == TEXTS[lang]["subscribe_offer"].format(name="@dailynews")
    [nothing] = await harness.send("/cancel", language_code=lang)
    assert nothing == TEXTS[lang]["nothing_to_cancel"]
    [listing] = await harness.send("/channels", language_code=lang)
    assert listing == TEXTS[lang]["no_channels"]


@pytest.mark.parametrize("lang", LANGS)
async def test_bare_subscribe_in_a_group_works_in_privacy_mode(
    harness: BotHarness, lang: str
) -> None:
    """In a group the prompt is a selective ForceReply to the admin; the reply to it subscribes."""
    harness.api.add_chat(GROUP, "supergroup", title="Team")
    harness.api.set_chat_admins(GROUP, [42])
    group: dict[str, Any] = {"chat_id": GROUP, "chat_type": "supergroup", "language_code": lang}
    [prompt] = await harness.send("/subscribe", user_id=42, **group)
    assert prompt == TEXTS[lang]["subscribe_prompt_group"]
    sent = _last(harness, GROUP)
    assert sent["reply_markup"]["force_reply"] is True and sent["reply_markup"]["selective"]
    assert "reply_parameters" in sent  # a reply to the admin's command: selective targets them
    prompt_id = harness.api.bot_messages(GROUP)[-1]["message_id"]
    [reply] = await harness.send("t.me/dailynews", user_id=42, reply_to=prompt_id, **group)
    assert SUBSCRIBED[lang] in reply
    [usage] = await harness.send("/subscribe", user_id=7, **group)  # a member: the usage only
    assert usage == TEXTS[lang]["subscribe_usage"]


async def test_a_prompt_in_a_forum_topic_waits_in_that_topic(harness: BotHarness) -> None:
    """A bare /subscribe in a forum topic keeps its prompt for that topic (where `--workers` routes
    the answer); the admin's reply there subscribes."""
    harness.api.add_chat(GROUP, "supergroup", title="Forum")
    harness.api.set_chat_admins(GROUP, [42])
    topic: dict[str, Any] = {
        "chat_id": GROUP,
        "chat_type": "supergroup",
        "message_thread_id": 5,
        "is_topic_message": True,
    }
    [prompt] = await harness.send("/subscribe", user_id=42, **topic)
    assert prompt == TEXTS["en"]["subscribe_prompt_group"]
    fsm = harness.dispatcher.fsm
    in_topic = fsm.get_context(harness.bot, chat_id=GROUP, user_id=42, thread_id=5)
    whole_chat = fsm.get_context(harness.bot, chat_id=GROUP, user_id=42)
    assert await in_topic.get_state() is not None and await whole_chat.get_state() is None
    prompt_id = harness.api.bot_messages(GROUP)[-1]["message_id"]
    [reply] = await harness.send("t.me/dailynews", user_id=42, reply_to=prompt_id, **topic)
    assert SUBSCRIBED["en"] in reply
    assert await in_topic.get_state() is None


async def test_prompts_wait_in_redis_when_configured(
    tmp_path: Path, bot_api: FakeBotAPI, tme: FakeTelegramWeb, redis_url: str
) -> None:
    """With REDIS_URL the prompt's state lives in Redis (shared by bot replicas) and works."""
    import redis.asyncio as redis

    settings = _settings(tmp_path, bot_api, tme, redis_url=redis_url)
    async with BotHarness(settings, bot_api) as harness:
        await harness.send("/subscribe", language_code="ru")
        client = redis.from_url(redis_url)
        try:
            keys = [key.decode() async for key in client.scan_iter("fsm:*")]
        finally:
            await client.aclose()
        assert any(key.endswith(":state") for key in keys), keys
        [reply] = await harness.send("@dailynews", language_code="ru")
        assert SUBSCRIBED["ru"] in reply


@pytest.mark.parametrize("lang", LANGS)
async def test_unsubscribe_with_nothing_followed_explains(harness: BotHarness, lang: str) -> None:
    """/unsubscribe in a chat that follows nothing says so and how to follow a channel."""
    [reply] = await harness.send("/unsubscribe", language_code=lang)
    assert reply == TEXTS[lang]["unsubscribe_nothing"]


@pytest.mark.parametrize("lang", LANGS)
async def test_bare_ask_takes_the_next_message_as_the_question(
    harness: BotHarness, lang: str
) -> None:
    """Bare /ask asks; the next message is answered from the posts."""
    await harness.send("/subscribe @dailynews", language_code=lang)
    await harness.settle()
    [prompt] = await harness.send("/ask", language_code=lang)
    assert prompt == TEXTS[lang]["ask_prompt"]
    [answer] = await harness.send("бюджет правительства", language_code=lang)
    assert TEXTS[lang]["ask_extractive_header"] in answer and "t.me/dailynews/" in answer


@pytest.mark.parametrize("lang", LANGS)
async def test_bare_interests_add_takes_the_next_message_as_the_topic(
    harness: BotHarness, lang: str
) -> None:
    """/interests add without a topic asks for it; the next message is added."""
    [prompt] = await harness.send("/interests add", language_code=lang)
    assert prompt == TEXTS[lang]["interests_add_prompt"]
    [added] = await harness.send("космос", language_code=lang)
    assert added == TEXTS[lang]["interests_added"].format(label="космос")


async def test_bare_interests_add_in_a_group_asks_in_private(harness: BotHarness) -> None:
    """Interests are personal: `/interests add` typed in a group asks in the private chat, and
    the topic sent there is added."""
    harness.api.add_chat(GROUP, "supergroup", title="Team")
    await harness.send("/start", user_id=55, language_code="ru")  # the user has a private chat
    [note] = await harness.send(
        "/interests add", chat_id=GROUP, user_id=55, chat_type="supergroup", language_code="ru"
    )
    assert "/interests" in note
    assert harness.api.sent_messages(55)[-1]["text"] == TEXTS["ru"]["interests_add_prompt"]
    [added] = await harness.send("космос", user_id=55, language_code="ru")
    assert added == TEXTS["ru"]["interests_added"].format(label="космос")


@pytest.mark.parametrize("lang", LANGS)
async def test_arguments_split_on_any_whitespace(harness: BotHarness, lang: str) -> None:
    """A newline or a tab after the command separates the argument like a space does."""
    [reply] = await harness.send("/subscribe\n@dailynews", language_code=lang)
    assert SUBSCRIBED[lang] in reply
    await harness.settle()
    [answer] = await harness.send("/ask\nбюджет правительства", language_code=lang)
    assert "t.me/dailynews/" in answer
    [added] = await harness.send("/interests add\tкосмос", language_code=lang)
    assert added == TEXTS[lang]["interests_added"].format(label="космос")


# --- picking a channel without typing ---------------------------------------------------------


def _service_message(harness: BotHarness, lang: str, **fields: Any) -> dict[str, Any]:
    """A private message update without text, carrying `fields` (chat_shared, a forward...)."""
    update = harness.api.message("-", language_code=lang)
    message = update["message"]
    message.pop("text")
    message.pop("entities", None)
    message.update(fields)
    return update


@pytest.mark.parametrize("lang", LANGS)
async def test_channel_picked_with_the_button_is_subscribed(harness: BotHarness, lang: str) -> None:
    """The chat_shared message of the picker button subscribes to the chosen channel."""
    await harness.send("/subscribe", language_code=lang)
    shared = {"request_id": 1, "chat_id": -1001234567890, "username": "dailynews", "title": "DN"}
    [reply] = await harness.send_update(_service_message(harness, lang, chat_shared=shared))
    assert SUBSCRIBED[lang] in reply


async def test_post_forwarded_to_the_prompt_subscribes(harness: BotHarness) -> None:
    """A post forwarded while the bot asks "which channel?" names the channel to follow."""
    await harness.send("/subscribe", language_code="ru")
    origin = {
        "type": "channel",
        "date": 1_700_000_000,
        "message_id": 1,
        "chat": {"id": -1001234567891, "type": "channel", "title": "S", "username": "single"},
    }
    forward = _service_message(harness, "ru", text="один пост о погоде", forward_origin=origin)
    [reply] = await harness.send_update(forward)
    assert SUBSCRIBED["ru"] in reply and "Single" in reply


@pytest.mark.parametrize("lang", LANGS)
async def test_forwarded_post_and_pasted_link_offer_a_subscribe_button(
    harness: BotHarness, lang: str
) -> None:
    """A post forwarded from a channel, or a pasted t.me link, gets "Subscribe to @name?"."""
    origin = {
        "type": "channel",
        "date": 1_700_000_000,
        "message_id": 5,
        "chat": {"id": -1001234567890, "type": "channel", "title": "DN", "username": "DailyNews"},
    }
    forward = _service_message(harness, lang, text="Новость номер 5", forward_origin=origin)
    [offer] = await harness.send_update(forward)
    assert offer == TEXTS[lang]["subscribe_offer"].format(name="@dailynews")
    [button] = _last(harness, 1001)["reply_markup"]["inline_keyboard"][0]
    calls = await harness.press(button["callback_data"], language_code=lang)
    assert "answerCallbackQuery" in [call["method"] for call in calls]
    await harness.api.wait_for(
        lambda call: call.method == "sendMessage" and SUBSCRIBED[lang] in call.params["text"]
    )
    [link_offer] = await harness.send("https://t.me/single/1", language_code=lang)
    assert link_offer == TEXTS[lang]["subscribe_offer"].format(name="@single")
    [question] = await harness.send("что нового?", language_code=lang)  # plain text: a question
    assert TEXTS[lang]["subscribe_offer"].split("{")[0] not in question


# --- channels without a web preview -----------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
async def test_unreadable_channel_says_what_works_instead(harness: BotHarness, lang: str) -> None:
    """No web preview: the reason in the user's language, the admin deep link and the import."""
    [reply] = await harness.send("/subscribe @secretive", language_code=lang)
    assert TEXTS[lang]["reason_no_preview"] in reply
    assert "tgassist import result.json --chat 1001" in reply
    [[button]] = _last(harness, 1001)["reply_markup"]["inline_keyboard"]
    assert button["url"] == "https://t.me/tgassist_test_bot?startchannel&admin=manage_chat"
    if lang == "ru":  # nothing of the core's English reason leaks into the Russian reply
        assert "web preview" not in reply and "public" not in reply
    [bad] = await harness.send("/subscribe https://example.com/x", language_code=lang)
    assert TEXTS[lang]["reason_not_telegram"] in bad
    [invite] = await harness.send("/subscribe t.me/+AbCdEf", language_code=lang)
    assert TEXTS[lang]["reason_invite_link"] in invite


@pytest.mark.parametrize("lang", LANGS)
async def test_remembered_unreadable_channel_keeps_its_reason(
    harness: BotHarness, lang: str, tme: FakeTelegramWeb
) -> None:
    """Asked again within the negative cache's TTL, the refusal keeps its own localized reason."""
    tme.add_channel("plainpage", "Plain", []).body = b"<html><body>no posts here</body></html>"
    [first] = await harness.send("/subscribe @plainpage", language_code=lang)
    assert TEXTS[lang]["reason_not_a_channel"] in first
    fetches = len(tme.requests)
    [again] = await harness.send("/subscribe @plainpage", language_code=lang)
    assert len(tme.requests) == fetches  # answered from the cache, t.me not asked again
    assert TEXTS[lang]["reason_not_a_channel"] in again
    assert TEXTS[lang]["reason_no_preview"] not in again


# --- indexing progress ------------------------------------------------------------------------


def _notice(lang: str, posts: int) -> str:
    forms = {"en": f"{posts} posts indexed — ask me", "ru": f"проиндексировано {posts} постов"}
    return forms[lang]


@pytest.mark.parametrize("lang", LANGS)
async def test_subscribe_reply_is_edited_once_when_indexed(harness: BotHarness, lang: str) -> None:
    """The subscribe reply becomes "✅ @name: 25 posts indexed — ask me", exactly once."""
    await harness.send("/subscribe @dailynews", language_code=lang)
    reply_id = harness.api.bot_messages(1001)[-1]["message_id"]
    [edit] = await harness.api.wait_for("editMessageText", chat_id=1001)
    assert edit.params["message_id"] == reply_id
    assert (
        edit.params["text"].startswith("✅ @dailynews:")
        and _notice(lang, 25) in edit.params["text"]
    )
    harness.container.background_indexer.kick(await _tenant_id(harness, 1001))
    await harness.settle()
    assert len(harness.api.calls("editMessageText")) == 1


async def test_notice_survives_a_restart(
    tmp_path: Path, bot_api: FakeBotAPI, tme: FakeTelegramWeb
) -> None:
    """A notice not sent before the process stopped is sent once by the next process."""
    settings = _settings(tmp_path, bot_api, tme)
    async with BotHarness(settings, bot_api) as first:
        first.container.index_progress.sender = None  # as if it stopped before telling the chat
        await first.send("/subscribe @dailynews", language_code="ru")
        await first.settle()
        assert bot_api.calls("editMessageText") == []
    async with BotHarness(settings, bot_api) as second:
        [edit] = await bot_api.wait_for("editMessageText", chat_id=1001)
        assert _notice("ru", 25) in edit.params["text"]
        await second.settle()
        assert await second.container.index_progress.tenants_waiting() == []
    assert len(bot_api.calls("editMessageText")) == 1


@pytest.mark.parametrize("lang", LANGS)
async def test_channels_show_backlog_and_answers_say_posts_still_wait(
    harness: BotHarness, lang: str
) -> None:
    """/channels lists posts waiting and the last indexing error; an answer notes the backlog."""
    await harness.send("/subscribe @dailynews", language_code=lang)
    await harness.settle()
    await harness.container.background_indexer.stop()  # the next channel stays waiting
    await harness.send("/subscribe @pair", language_code=lang)
    tenant_id = await _tenant_id(harness, 1001)
    async with harness.container.uow_factory() as uow:
        pending = await uow.posts.pending_for_index(tenant_id, 10)
        await uow.posts.mark_index_error(tenant_id, [p.document.post_id for p in pending], "boom")
        await uow.commit()
    [listing] = await harness.send("/channels", language_code=lang)
    waiting = {"en": "waiting to be indexed: 2 posts", "ru": "ждут индексации: 2 поста"}[lang]
    assert waiting in listing and t(lang, "channel_index_error") in listing
    assert "boom" not in listing  # the stored error is for logs; the chat reads its own language
    [answer] = await harness.send("бюджет правительства", language_code=lang)
    assert answer.splitlines()[0] == t(lang, "still_indexing", pending=2)
    assert "t.me/dailynews/" in answer


@pytest.mark.parametrize(
    ("failure", "kind"), [("status", "unavailable"), ("private", "no_preview")]
)
@pytest.mark.parametrize("lang", LANGS)
async def test_channels_show_poll_errors_in_the_chats_language(
    harness: BotHarness, tme: FakeTelegramWeb, lang: str, failure: str, kind: str
) -> None:
    """A failed poll is listed by /channels as its localized reason, never the core's English."""
    await harness.send("/subscribe @dailynews", language_code=lang)
    await harness.settle()
    if failure == "status":
        tme.channels["dailynews"].status = 503
    else:
        tme.channels["dailynews"].private = True  # t.me now redirects: no preview any more
    async with harness.container.uow_factory() as uow:
        channel = await uow.channels.by_username("dailynews")
    assert channel is not None
    result = await harness.container.poller.poll_channel(channel)
    assert result.error is not None
    async with harness.container.uow_factory() as uow:
        stored = await uow.channels.by_username("dailynews")
    assert stored is not None and stored.last_error and stored.last_error_kind == kind
    [listing] = await harness.send("/channels", language_code=lang)
    assert t(lang, "channel_error", reason=t(lang, f"reason_{kind}")) in listing
    assert stored.last_error not in listing
    if lang == "ru":  # no English reason inside the Russian reply
        for english in ("503", "preview", "t.me did not", "HTTP"):
            assert english not in listing
    tme.channels["dailynews"].status = 200
    tme.channels["dailynews"].private = False
    await harness.container.poller.poll_channel(stored)  # a success clears the error
    [again] = await harness.send("/channels", language_code=lang)
    assert t(lang, "channel_error", reason=t(lang, f"reason_{kind}")) not in again


# --- quiet trends -----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
async def test_trends_and_alerts_say_why_they_are_quiet(
    harness: BotHarness, tme: FakeTelegramWeb, lang: str
) -> None:
    """Too few channels, then too little history (and when there will be), then no burst."""
    await harness.send("/subscribe @dailynews", language_code=lang)
    [few] = await harness.send("/trends", language_code=lang)
    expected = {"en": "at least 3 channels", "ru": "хотя бы 3 канала"}[lang]
    assert expected in few and {"en": "follows 1", "ru": "подписан на 1"}[lang] in few
    [alerts] = await harness.send("/alerts", language_code=lang)
    assert TEXTS[lang]["alerts_state_on"] in alerts
    assert TEXTS[lang]["alerts_never_checked"].format(minutes="15") in alerts
    assert expected in alerts

    recent = datetime.now(UTC) - timedelta(hours=3)
    for name in ("fresh1", "fresh2", "fresh3"):
        tme.add_channel(name, name, ["свежая новость"], start=recent)
        await harness.send(f"/subscribe @{name}", language_code=lang)
    for name in ("dailynews",):
        await harness.send(f"/unsubscribe @{name}", language_code=lang)
    [young] = await harness.send("/trends", language_code=lang)
    ready = (recent + timedelta(hours=1) + timedelta(hours=6) + timedelta(days=2)).strftime(
        "%Y-%m-%d %H:%M"
    )
    assert ready in young and {"en": "2 days", "ru": "2 дней"}[lang] in young


@pytest.mark.parametrize("lang", LANGS)
async def test_trends_say_no_burst_after_a_check(
    harness: BotHarness, tme: FakeTelegramWeb, lang: str
) -> None:
    """With enough channels and history, /trends says the last check found no burst."""
    for name in ("dailynews", "single", "pair"):
        await harness.send(f"/subscribe @{name}", language_code=lang)
    [unchecked] = await harness.send("/trends", language_code=lang)
    assert unchecked == TEXTS[lang]["trends_quiet_not_checked"].format(minutes="15")
    await harness.container.trends.service.refresh()
    [quiet] = await harness.send("/trends", language_code=lang)
    assert {"en": "in the last 6 h", "ru": "за последние 6 ч"}[lang] in quiet
    [alerts] = await harness.send("/alerts", language_code=lang)
    assert TEXTS[lang]["alerts_ready"] in alerts
    assert TEXTS[lang]["alerts_last_check"].split("{")[0] in alerts


# --- language and help ------------------------------------------------------------------------


async def test_lang_is_stored_per_chat(harness: BotHarness) -> None:
    """/lang ru makes an English client's chat Russian; in groups only admins may change it."""
    [usage] = await harness.send("/lang")
    assert "/lang en" in usage and "English" in usage
    [done] = await harness.send("/lang ru")
    assert done == TEXTS["ru"]["lang_set"]
    [help_text] = await harness.send("/help")
    assert "<b>Команды</b>" in help_text
    [back] = await harness.send("/lang en", language_code="ru")
    assert back == TEXTS["en"]["lang_set"]
    harness.api.add_chat(GROUP, "supergroup", title="Team")
    harness.api.set_chat_admins(GROUP, [42])
    [refused] = await harness.send("/lang ru", chat_id=GROUP, user_id=7, chat_type="supergroup")
    assert refused == TEXTS["en"]["lang_admins_only"]


@pytest.mark.parametrize("lang", LANGS)
async def test_help_explains_groups_and_admin_commands(harness: BotHarness, lang: str) -> None:
    """/help says how to ask in groups; only the bot's admins see /quota and /dlq."""
    [user_help] = await harness.send("/help", language_code=lang)
    assert "@tgassist_test_bot" in user_help and "/ask" in user_help
    assert "/quota" not in user_help and "/dlq" not in user_help
    [admin_help] = await harness.send("/help", user_id=4242, language_code=lang)
    assert "/quota" in admin_help and "/dlq" in admin_help


@pytest.mark.parametrize("lang", LANGS)
async def test_counts_use_plurals(harness: BotHarness, lang: str) -> None:
    """Counts read naturally: 1 пост, 2 поста, 25 постов."""
    for name in ("single", "pair", "dailynews"):
        await harness.send(f"/subscribe @{name}", language_code=lang)
    [listing] = await harness.send("/channels", language_code=lang)
    expected = {
        "en": ["Single</a> — 1 post,", "Pair</a> — 2 posts,", "Daily News</a> — 25 posts,"],
        "ru": ["Single</a> — 1 пост,", "Pair</a> — 2 поста,", "Daily News</a> — 25 постов,"],
    }[lang]
    for line in expected:
        assert line in listing


def test_plural_forms() -> None:
    """Russian one/few/many by the last digits (11–14 are many), English one/other."""
    forms = ("пост", "поста", "постов")
    cases = {1: "пост", 2: "поста", 4: "поста", 5: "постов", 11: "постов", 12: "постов"}
    cases |= {21: "пост", 22: "поста", 111: "постов", 101: "пост", 0: "постов"}
    for count, form in cases.items():
        assert plural("ru", count, forms) == form, count
    assert [plural("en", n, ("post", "posts")) for n in (0, 1, 2)] == ["posts", "post", "posts"]


async def test_commands_and_descriptions_set_in_both_languages(bot_api: FakeBotAPI) -> None:
    """Start-up publishes commands, description and short description in English and Russian."""
    bot = make_bot(bot_api)
    try:
        await set_commands(bot)
    finally:
        await bot.session.close()
    for field in ("description", "short_description"):
        english, russian = bot_api.bot_texts[(field, "")], bot_api.bot_texts[(field, "ru")]
        assert english and russian and english != russian
    assert "Telegram" in bot_api.bot_texts[("short_description", "ru")]
    menus = [call.params["commands"] for call in bot_api.calls("setMyCommands")]
    assert all({"lang", "cancel"} <= {item["command"] for item in menu} for menu in menus)


@pytest.mark.parametrize("command", ["/subscribe", "/ask"])
async def test_bare_command_of_an_anonymous_admin_explains_instead_of_failing(
    harness: BotHarness, command: str
) -> None:
    """A bare command sent on behalf of the group (an anonymous admin: no user to wait for) gets a
    plain explanation, not the error reply; /cancel has nothing to cancel (found by fuzzing)."""
    harness.api.add_chat(GROUP, "supergroup", title="Team")
    group: dict[str, Any] = {"chat_id": GROUP, "chat_type": "supergroup"}
    [reply] = await harness.send_update(_anonymous(harness.api.message(command, **group)))
    assert reply not in {TEXTS[lang]["error"] for lang in LANGS}
    assert "/" in reply  # it says how to send the command instead
    [cancelled] = await harness.send_update(_anonymous(harness.api.message("/cancel", **group)))
    assert cancelled in {TEXTS[lang]["nothing_to_cancel"] for lang in LANGS}


def _anonymous(update: dict[str, Any]) -> dict[str, Any]:
    """The update as Telegram sends an anonymous admin's message: from the chat, no user."""
    message = update["message"]
    del message["from"]
    message["sender_chat"] = dict(message["chat"])
    return update
