"""The fakes speak the real protocols: a real aiogram Bot/Dispatcher and the real openai SDK."""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import openai
import pytest
import pytest_asyncio
from aiogram import Bot, Dispatcher, F, Router
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BotCommand,
    CallbackQuery,
    ChatMemberAdministrator,
    ChatMemberMember,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)

from tests.fakes.bot_api import MAX_TEXT_LENGTH, FakeBotAPI, call_raw
from tests.fakes.fixtures import make_bot, polling
from tests.fakes.llm_api import FakeOpenAI, image_urls, last_user_text

CHAT = 42


class FakeClock:
    """Manual time for the rate limiter, so window edges are deterministic."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest_asyncio.fixture
async def clocked_api() -> AsyncIterator[tuple[FakeBotAPI, FakeClock, Bot]]:
    clock = FakeClock()
    async with FakeBotAPI(clock=clock) as api:
        bot = make_bot(api)
        yield api, clock, bot
        await bot.session.close()


def echo_dispatcher() -> Dispatcher:
    router = Router()

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(f"echo: {message.text}")

    @router.callback_query(F.data == "done")
    async def done(query: CallbackQuery) -> None:
        await query.answer("ok")
        assert isinstance(query.message, Message)
        await query.message.edit_text("finished")

    dp = Dispatcher()
    dp.include_router(router)
    return dp


# --- Bot API: Dispatcher round trips ----------------------------------------------------------


async def test_dispatcher_echoes_a_message_update(bot_api: FakeBotAPI, bot: Bot) -> None:
    """A fed update reaches a real Dispatcher via long polling and its reply is recorded."""
    async with polling(echo_dispatcher(), bot):
        bot_api.add_update(bot_api.message("hello /start", chat_id=CHAT, user_id=CHAT))
        [call] = await bot_api.wait_for("sendMessage", chat_id=CHAT)
    assert call.ok
    assert call.params == {"chat_id": CHAT, "text": "echo: hello /start"}
    assert call.response is not None
    assert call.response["result"]["from"]["id"] == bot_api.bot_user["id"]
    assert bot_api.sent_messages(CHAT) == [call.params]
    first_poll = bot_api.calls("getUpdates")[0].params
    assert first_poll["timeout"] == 10
    assert sorted(first_poll["allowed_updates"]) == ["callback_query", "message"]


async def test_callback_query_answer_edit_and_not_modified(bot_api: FakeBotAPI, bot: Bot) -> None:
    """A button press is answered and edits the bot's message; a repeated edit is refused."""
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Done", callback_data="done")]]
    )
    sent = await bot.send_message(CHAT, "working…", reply_markup=keyboard)
    assert sent.reply_markup is not None
    assert sent.reply_markup.model_dump() == keyboard.model_dump()
    async with polling(echo_dispatcher(), bot):
        bot_api.add_update(bot_api.callback_query("done", chat_id=CHAT, user_id=CHAT))
        await bot_api.wait_for("editMessageText")
    assert bot_api.calls("answerCallbackQuery")[0].params["text"] == "ok"
    [message] = bot_api.bot_messages(CHAT)
    assert message["text"] == "finished"
    assert "reply_markup" not in message  # an edit without reply_markup drops the keyboard
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("finished", chat_id=CHAT, message_id=sent.message_id)


async def test_builders_produce_updates_aiogram_accepts(bot_api: FakeBotAPI) -> None:
    """Every update builder yields a dict that validates as an aiogram Update."""
    first = bot_api.message("hi @someone_else /help@tgassist_test_bot", chat_id=CHAT, user_id=CHAT)
    updates = [
        first,
        bot_api.message(
            "reply", chat_id=CHAT, user_id=CHAT, reply_to=first["message"]["message_id"]
        ),
        bot_api.message("/ask what?", chat_id=-100123, user_id=7, chat_type="supergroup"),
        bot_api.callback_query("x", chat_id=CHAT, user_id=CHAT, message_id=99),
        bot_api.channel_post("post", chat_id=-1001, username="news", title="News"),
        bot_api.channel_post("album", chat_id=-1001, photo=True, media_group_id="g1"),
        bot_api.edited_channel_post("post v2", chat_id=-1001, message_id=1),
        bot_api.my_chat_member(chat_id=-100123, new_status="administrator"),
        bot_api.my_chat_member(
            chat_id=CHAT, user_id=CHAT, old_status="member", new_status="kicked"
        ),
    ]
    for update_id, raw in enumerate(updates, start=1):
        Update.model_validate({**raw, "update_id": update_id})
    assert [e["type"] for e in first["message"]["entities"]] == ["mention", "bot_command"]
    assert updates[1]["message"]["reply_to_message"]["text"] == first["message"]["text"]
    assert updates[5]["channel_post"]["caption"] == "album"
    assert updates[6]["edited_channel_post"]["date"] == updates[4]["channel_post"]["date"]


async def test_get_updates_offset_limit_and_long_poll(bot_api: FakeBotAPI, bot: Bot) -> None:
    """getUpdates confirms below offset, honours limit and waits for updates instead of spinning."""
    ids = [bot_api.add_update(bot_api.message(f"m{i}", user_id=CHAT)) for i in range(3)]
    assert [u.update_id for u in await bot.get_updates(limit=2)] == ids[:2]
    assert [u.update_id for u in await bot.get_updates(offset=ids[1] + 1)] == ids[2:]
    assert bot_api.pending_updates == 1

    started = time.monotonic()
    assert await bot.get_updates(offset=ids[2] + 1, timeout=1) == []
    assert time.monotonic() - started >= 0.9
    assert len(bot_api.calls("getUpdates")) == 3  # one request, not a busy loop

    asyncio.get_running_loop().call_later(0.2, bot_api.add_update, bot_api.message("late"))
    started = time.monotonic()
    [late] = await bot.get_updates(offset=ids[2] + 1, timeout=5)
    assert late.message is not None
    assert late.message.text == "late"
    assert time.monotonic() - started < 2


async def test_commands_are_recorded_and_validated(bot_api: FakeBotAPI, bot: Bot) -> None:
    """setMyCommands is recorded with decoded JSON, served by getMyCommands, and validated."""
    commands = [BotCommand(command="ask", description="Ask a question")]
    assert await bot.set_my_commands(commands)
    [call] = bot_api.calls("setMyCommands")
    assert call.params["commands"] == [{"command": "ask", "description": "Ask a question"}]
    assert [c.command for c in await bot.get_my_commands()] == ["ask"]
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Ask", description="uppercase")])


# --- Bot API: faults and limits ---------------------------------------------------------------


async def test_rate_limits_raise_retry_after(
    clocked_api: tuple[FakeBotAPI, FakeClock, Bot],
) -> None:
    """Per-chat, overall and per-group limits answer 429 with the wait as retry_after."""
    api, clock, bot = clocked_api
    api.rate_limit(overall_per_s=3, per_chat_per_s=1, group_per_min=2)
    await bot.send_message(1, "a")
    with pytest.raises(TelegramRetryAfter) as per_chat:
        await bot.send_message(1, "b")
    assert per_chat.value.retry_after == 1
    await bot.send_message(2, "c")
    await bot.send_message(3, "d")
    with pytest.raises(TelegramRetryAfter):  # 3 messages this second already
        await bot.send_message(4, "e")

    group = -1001234567890
    clock.now += 1.0
    await bot.send_message(group, "f")
    clock.now += 1.5
    await bot.send_message(group, "g")
    clock.now += 1.0
    with pytest.raises(TelegramRetryAfter) as per_group:
        await bot.send_message(group, "h")
    assert per_group.value.retry_after == math.ceil(60 - 2.5)
    assert api.rate_limited == 3
    assert [m["text"] for m in api.sent_messages()] == ["a", "c", "d", "f", "g"]


async def test_forbidden_and_migrated_chats(bot_api: FakeBotAPI, bot: Bot) -> None:
    """forbid() surfaces as TelegramForbiddenError and migrate() as TelegramMigrateToChat."""
    bot_api.forbid(CHAT)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(CHAT, "hi")
    bot_api.migrate(-555, -1009998887776)
    with pytest.raises(TelegramMigrateToChat) as migrated:
        await bot.send_message(-555, "hi")
    assert migrated.value.migrate_to_chat_id == -1009998887776
    await bot.send_message(-1009998887776, "hi again")


async def test_injected_failures_and_delays(bot_api: FakeBotAPI, bot: Bot) -> None:
    """fail_next() answers 5xx for the next calls only; delay() holds the answer back."""
    bot_api.fail_next("sendMessage", status=502, times=2)
    for _ in range(2):
        with pytest.raises(TelegramServerError, match="Bad Gateway"):
            await bot.send_message(CHAT, "x")
    await bot.send_message(CHAT, "x")
    bot_api.delay("sendChatAction", 0.3)
    started = time.monotonic()
    assert await bot.send_chat_action(CHAT, "typing")
    assert time.monotonic() - started >= 0.3
    bot_api.delay("getMe", 1.5)
    with pytest.raises(TelegramNetworkError, match="timeout"):
        await bot.get_me(request_timeout=1)
    bot_api.delay("getMe", 0)


async def test_text_length_limits(bot_api: FakeBotAPI, bot: Bot) -> None:
    """Empty text and text over 4096 characters after entity parsing are rejected with 400."""
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(CHAT, "")
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(CHAT, "<b> </b>", parse_mode="HTML")
    await bot.send_message(CHAT, "я" * MAX_TEXT_LENGTH)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(CHAT, "x" * (MAX_TEXT_LENGTH + 1))
    # Markup and entities do not count: 4096 visible characters in far more HTML is fine.
    sent = await bot.send_message(
        CHAT, "<b>" + "&lt;" * (MAX_TEXT_LENGTH - 1) + "</b>!", parse_mode="HTML"
    )
    with pytest.raises(TelegramBadRequest, match="MESSAGE_TOO_LONG"):
        await bot.edit_message_text(
            "y" * (MAX_TEXT_LENGTH + 1), chat_id=CHAT, message_id=sent.message_id
        )


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("<span>x</span>", 'must have class "tg-spoiler"'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("ё <3 x", 'Unsupported start tag "3" at byte offset 3'),
        ("tail <b", "Unclosed start tag"),
        ("AT&T", 'Unsupported HTML entity "&T;" at byte offset 2'),
        ("Q&A?", 'Unsupported HTML entity "&A;" at byte offset 1'),
        ("fish & chips", 'Character "&" at byte offset 5'),
        ("&#0;", "Invalid numeric entity"),
        ("&nbsp;", 'Unsupported HTML entity "&nbsp;"'),
        ("<br/>", 'Unsupported start tag "br/"'),
        ("<!-- note -->x", 'Unsupported start tag "!--"'),
    ],
)
async def test_malformed_html_is_rejected(
    bot_api: FakeBotAPI, bot: Bot, text: str, error: str
) -> None:
    """Malformed or unsupported HTML fails with Telegram's "can't parse entities" 400."""
    with pytest.raises(TelegramBadRequest, match="can't parse entities") as rejected:
        await bot.send_message(CHAT, text, parse_mode="HTML")
    assert error in rejected.value.message
    assert bot_api.sent_messages() == []


async def test_valid_html_is_accepted_with_entities(bot: Bot) -> None:
    """Supported tags parse into plain text plus entities with UTF-16 offsets."""
    sent = await bot.send_message(
        CHAT,
        '😀 <b>bold <i>both</i></b> <a href="https://e.x/?a=1&amp;b=2">link</a> '
        '<tg-spoiler>s</tg-spoiler> &lt;3 &#33; <span class="tg-spoiler">t</span>\n'
        '<pre><code class="language-python">x = 1</code></pre>'
        "<blockquote expandable>q</blockquote>",
        parse_mode="HTML",
    )
    assert sent.text == "😀 bold both link s <3 ! t\nx = 1q"
    found = [(e.type, e.offset, e.length, e.url or e.language) for e in sent.entities or []]
    assert found == [
        ("bold", 3, 9, None),
        ("italic", 8, 4, None),
        ("text_link", 13, 4, "https://e.x/?a=1&b=2"),
        ("spoiler", 18, 1, None),
        ("spoiler", 25, 1, None),
        ("pre", 27, 5, "python"),
        ("expandable_blockquote", 32, 1, None),
    ]


# --- Bot API: other methods and the raw protocol ---------------------------------------------


async def test_chat_members_chat_info_and_files(bot_api: FakeBotAPI, bot: Bot) -> None:
    """getChatMember/getChatAdministrators follow set_chat_admins; getChat and files work."""
    group = -1001112223334
    bot_api.add_chat(group, "supergroup", title="Readers", username="readers")
    bot_api.set_chat_admins(group, [7], creator_id=8)
    assert isinstance(await bot.get_chat_member(group, 7), ChatMemberAdministrator)
    assert isinstance(await bot.get_chat_member(group, 8), ChatMemberOwner)
    assert isinstance(await bot.get_chat_member(group, 9), ChatMemberMember)
    assert {m.user.id for m in await bot.get_chat_administrators(group)} == {7, 8}
    chat = await bot.get_chat("@readers")
    assert (chat.id, chat.type, chat.title) == (group, "supergroup", "Readers")

    file = bot_api.add_file(b"%PDF-1.7 fake", file_path="documents/report.pdf")
    telegram_file = await bot.get_file(file["file_id"])
    assert telegram_file.file_path == "documents/report.pdf"
    downloaded = await bot.download_file("documents/report.pdf")
    assert downloaded is not None
    assert downloaded.read() == b"%PDF-1.7 fake"


async def test_raw_protocol_bodies_and_unknown_methods(bot_api: FakeBotAPI) -> None:
    """Form, JSON and multipart bodies decode alike; unknown methods and bad tokens fail."""
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    status, body = await call_raw(
        bot_api.base_url,
        "sendmessage",  # method names are case-insensitive
        {"chat_id": "5", "text": "form", "reply_markup": json.dumps(markup)},
    )
    assert (status, body["result"]["reply_markup"]) == (200, markup)
    url = f"{bot_api.base_url}/bot1:t/sendMessage"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json={"chat_id": 5, "text": "json"}) as resp:
            assert resp.status == 200
        form = aiohttp.FormData()
        form.add_field("chat_id", "5")
        form.add_field("text", "multipart")
        form.add_field("document", b"bytes", filename="a.txt")
        async with session.post(url, data=form) as resp:
            assert resp.status == 200
    params = [c.params for c in bot_api.calls("sendMessage")]
    assert [p["chat_id"] for p in params] == [5, 5, 5]
    assert params[2]["document"].data == b"bytes"

    status, body = await call_raw(bot_api.base_url, "sendTelepathy", {"chat_id": "5"})
    assert (status, body["description"]) == (404, "Not Found: method not found")
    status, _ = await call_raw(bot_api.base_url, "getMe", token="not-a-token")
    assert status == 401


async def test_wait_for_times_out_with_a_clear_message(bot_api: FakeBotAPI, bot: Bot) -> None:
    """wait_for raises AssertionError listing what was recorded when the condition never holds."""
    await bot.send_message(CHAT, "only one")
    with pytest.raises(AssertionError, match=r"(?s)matched 1\..*sendMessage 200"):
        await bot_api.wait_for("sendMessage", count=2, timeout=0.1)


# --- fake OpenAI ------------------------------------------------------------------------------


async def test_openai_chat_completion_scripted(
    fake_llm: FakeOpenAI, llm_client: openai.AsyncOpenAI
) -> None:
    """A scripted reply comes back as a ChatCompletion with usage; the request is recorded."""
    fake_llm.reply_with("Answer [1] and [2].")
    completion = await llm_client.chat.completions.create(
        model="fake-chat",
        messages=[
            {"role": "system", "content": "Cite sources."},
            {"role": "user", "content": "What happened?"},
        ],
    )
    assert completion.choices[0].message.content == "Answer [1] and [2]."
    assert completion.usage is not None
    assert completion.usage.completion_tokens == 9
    assert completion.usage.total_tokens > completion.usage.completion_tokens
    assert last_user_text(fake_llm.chat_requests[0]) == "What happened?"


async def test_openai_vision_and_streaming(
    fake_llm: FakeOpenAI, llm_client: openai.AsyncOpenAI
) -> None:
    """Image content parts reach the responder; stream=True yields SSE chunks and usage."""
    completion = await llm_client.chat.completions.create(
        model="fake-chat",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Describe"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                ],
            }
        ],
    )
    assert completion.choices[0].message.content == "echo: Describe [images: 1]"
    assert image_urls(fake_llm.chat_requests[0]) == ["data:image/png;base64,AAAA"]

    stream = await llm_client.chat.completions.create(
        model="fake-chat",
        messages=[{"role": "user", "content": "one two three"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    pieces: list[str] = []
    usage = None
    async for chunk in stream:
        pieces.extend(c.delta.content or "" for c in chunk.choices)
        usage = chunk.usage or usage
    assert "".join(pieces) == "echo: one two three"
    assert usage is not None
    assert usage.completion_tokens == 5


async def test_openai_embeddings_are_deterministic(llm_client: openai.AsyncOpenAI) -> None:
    """Embeddings have the configured size, are unit length, stable and share-word similar."""
    texts = ["central bank raises rates", "the central bank raised rates", "cat videos"]
    first = await llm_client.embeddings.create(model="fake-embed", input=texts)  # base64
    again = await llm_client.embeddings.create(
        model="fake-embed", input=texts, encoding_format="float"
    )
    vectors = [d.embedding for d in first.data]
    assert len(vectors[0]) == 384
    for decoded, plain in zip(vectors, (d.embedding for d in again.data), strict=True):
        assert decoded == pytest.approx(plain, abs=1e-6)

    def cosine(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True))

    assert cosine(vectors[0], vectors[0]) == pytest.approx(1.0, abs=1e-5)
    assert cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2])
    short = await llm_client.embeddings.create(model="fake-embed", input="x", dimensions=64)
    assert len(short.data[0].embedding) == 64
    with pytest.raises(openai.BadRequestError):
        await llm_client.embeddings.create(model="fake-embed", input="")


async def test_openai_faults_surface_as_sdk_errors(
    fake_llm: FakeOpenAI, llm_client: openai.AsyncOpenAI
) -> None:
    """429 becomes RateLimitError with retry-after, 503 InternalServerError, delay a timeout."""
    messages: Any = [{"role": "user", "content": "hi"}]
    fake_llm.fail_next(429, retry_after=2)
    with pytest.raises(openai.RateLimitError) as limited:
        await llm_client.chat.completions.create(model="fake-chat", messages=messages)
    assert limited.value.response.headers["retry-after"] == "2"
    await llm_client.chat.completions.create(model="fake-chat", messages=messages)

    fake_llm.always_fail(503)
    with pytest.raises(openai.InternalServerError):
        await llm_client.embeddings.create(model="fake-embed", input="x")
    fake_llm.always_fail(None)

    fake_llm.delay(1.0)
    with pytest.raises(openai.APITimeoutError):
        await llm_client.with_options(timeout=0.2).chat.completions.create(
            model="fake-chat", messages=messages
        )
    assert [r.status for r in fake_llm.requests] == [429, 200, 503, 0]  # last: still held
