"""Property-based fuzzing of the real Dispatcher with generated and mutated Telegram updates.

One bot (BotHarness: real Dispatcher, long polling against the fake Bot API, real SQLite) serves
every example of a test; hypothesis draws updates — odd unicode, texts over 4096 characters,
HTML-looking input, unknown and mangled commands, garbage callback data, every chat type,
edited messages, channel posts, missing optional fields — and each example checks that the
update was handled without reaching the error router and that every request the bot made is
one Telegram accepts (tests/telegram_rules.py and the fake's own HTML parser). In webhook mode
the same updates arrive as HTTP POSTs: with a forged secret they are refused and change nothing.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, MutableMapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from aiogram.types import Update
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import bot.routers.errors as errors_module
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.tme import FakeTelegramWeb
from tests.harness import BotHarness, make_settings
from tests.rag_support import captured_logs, seed_channel
from tests.telegram_rules import InvalidForTelegram, check_calls, check_html

ADMIN = 4242
GROUP_ADMIN = 42
PRIVATE_USERS = (1001, 1002, ADMIN, GROUP_ADMIN)
GROUPS = ((-100500, "supergroup"), (-1001777000111, "supergroup"), (-500, "group"))
CHANNEL_ID = -1001234567890
CHANNEL_USERNAME = "fuzzchannel"
BOT_USERNAME = "tgassist_test_bot"
WEBHOOK_SECRET = "fuzz-webhook-secret_0123456789abcdefghij"

# Posts the seeded chats can retrieve: their text flows back into answers and must stay escaped.
HOSTILE_POSTS = [
    "Ставка <b>21%</b> & рекорд </i> <script>alert(1)</script> &amp;lt; &#0; &bogus;",
    "Ставка " + "очень длинный пост " * 400,
    "‮RTL override‬ ставка \u200b\u200d zero width 👩🏽‍🚀 ставка ﷽",
    'Ставка <a href="javascript:alert(1)">click</a> [1] [2] <pre>',
    "Ставка\n\n\n" + "\n".join(f"строка {n} <>&" for n in range(300)),
]

ODD = [
    "",
    " ",
    "\n",
    "\u200b",
    "\u202e",
    "\ufeff",
    "\u0301",
    "👩🏽‍🚀",
    "𝕳𝖊𝖑𝖑𝖔",
    "﷽",
    "<",
    ">",
    "&",
    "&amp;",
    "&#0;",
    "&#x110000;",
    "<b>",
    "</b>",
    "<i><b>",
    "<a href='x'>",
    "<script>",
    "<!--",
    "]]>",
    '"',
    "'",
    "\\",
    "%s",
    "{name}",
    "{0}",
    "@",
    "@@",
    "/",
    "//",
    "\x00",
    "\x1b[31m",
    "\t",
    "\r\n",
    "ставка",
    "ключевая",
    "7d",
    "30d",
    "-1",
    "99999999999999999999999999",
    "-100999999999999999999999",
    "1e309",
    "NaN",
]
COMMANDS = [
    "start",
    "help",
    "subscribe",
    "unsubscribe",
    "channels",
    "ask",
    "trends",
    "alerts",
    "quota",
    "dlq",
    "interests",
    "settings",
    "admin",
    "Start",
    "ASK",
    "x" * 40,
    "подписка",
]
CHANNEL_ARGS = [
    "@dailynews",
    "dailynews",
    "https://t.me/dailynews",
    "https://t.me/s/dailynews",
    "t.me/s/dailynews/5",
    f"@{CHANNEL_USERNAME}",
    str(CHANNEL_ID),
    "-1009999999999",
    "https://t.me/c/1234567890/1",
    "https://t.me/+AbCdEf",
    "https://t.me/joinchat/x",
    "https://t.me/s/../../etc/passwd",
    "t.me/s/dailynews?before=1#x",
    "https://evil.example/dailynews",
    "file:///etc/passwd",
    "@a",
    "@" + "a" * 40,
    "@nosuchchannel",
    "@flaky",
    "@secretive",
    "on",
    "off",
    "вкл",
    "ON",
    "on off",
    "-9223372036854775809",
]
CALLBACK_DATA = [
    "",
    "unsub",
    "unsub:",
    "unsub:1",
    "unsub:2",
    "unsub:-1",
    "unsub:abc",
    "unsub:99999999999999999999999",
    "unsub:1:2",
    "trmute",
    "trmute:",
    "trmute:nonexistent",
    "trmute:" + "k" * 56,
    "troff",
    "troff:",
    "troff:1",
    "dlq:retry:1",
    ":::",
    "\u202e",
    "x" * 64,
]


def _text(max_size: int = 60) -> st.SearchStrategy[str]:
    """Odd unicode: any code point Telegram can carry (no lone surrogates), plus known troublemakers."""
    characters = st.characters(exclude_categories=["Cs"])
    return st.one_of(
        st.text(characters, max_size=max_size),
        st.lists(st.sampled_from(ODD), max_size=8).map("".join),
        st.lists(st.one_of(st.sampled_from(ODD), st.text(characters, max_size=6)), max_size=10).map(
            " ".join
        ),
    )


def _huge_text() -> st.SearchStrategy[str]:
    """Texts around and far over Telegram's 4096 characters, cheap to generate."""
    return st.builds(
        lambda piece, times, tail: (piece or "я") * times + tail,
        _text(12),
        st.integers(min_value=300, max_value=3000),
        _text(10),
    )


def _command_text() -> st.SearchStrategy[str]:
    mention = st.sampled_from(
        ["", f"@{BOT_USERNAME}", "@other_bot", "@", "@" + BOT_USERNAME.upper()]
    )
    argument = st.one_of(
        st.just(""),
        st.sampled_from(CHANNEL_ARGS),
        _text(40),
        st.builds(lambda a, b: f"{a} {b}", st.sampled_from(CHANNEL_ARGS), _text(20)),
        _huge_text(),
    )
    return st.builds(
        lambda name, at, arg, sep: f"/{name}{at}{sep}{arg}" if arg else f"/{name}{at}",
        st.sampled_from(COMMANDS),
        mention,
        argument,
        st.sampled_from([" ", "  ", "\n", "\t"]),
    )


def _message_text() -> st.SearchStrategy[str]:
    return st.one_of(
        _command_text(),
        _command_text(),
        _text(),
        _huge_text(),
        st.builds(lambda t: f"@{BOT_USERNAME} {t}", _text(40)),
        st.builds(lambda t: f"ставка {t}", _text(30)),
    )


@dataclass
class MessageSpec:
    """A message from a user; `chat` is a private user id or one of GROUPS."""

    text: str | None
    user_id: int
    chat: tuple[int, str] | None  # None: the user's private chat
    language_code: str | None
    edited: bool = False
    reply_to_bot: bool = False
    drop: frozenset[str] = frozenset()  # optional fields removed after building
    entities: str | list[dict[str, Any]] = "auto"  # auto, none, or arbitrary entities
    caption_photo: bool = False
    sender_chat: bool = False


@dataclass
class CallbackSpec:
    """A button press with arbitrary data, possibly without its message."""

    data: str
    user_id: int
    chat: tuple[int, str] | None
    language_code: str | None
    inaccessible: bool = False


@dataclass
class ChannelPostSpec:
    """A post (or edit) in the channel where the bot is admin."""

    text: str | None
    edited: bool
    photo: bool
    album: str | None
    entities: list[dict[str, Any]] = field(default_factory=list)


Spec = MessageSpec | CallbackSpec | ChannelPostSpec

_languages = st.sampled_from([None, "en", "ru", "uk", "zz", "", "en-US", "pt-br"])
_chats = st.one_of(st.none(), st.none(), st.sampled_from(GROUPS))  # private twice as often
_rarely = st.sampled_from([False, False, False, False, True])
_users = st.sampled_from(PRIVATE_USERS)


_garbage_entities = st.lists(
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["bot_command", "mention", "url", "bold", "hashtag"]),
            "offset": st.integers(min_value=0, max_value=12),
            "length": st.integers(min_value=0, max_value=12),
        }
    ),
    min_size=1,
    max_size=3,
)


def _message_specs(text: st.SearchStrategy[str | None]) -> st.SearchStrategy[MessageSpec]:
    return st.builds(
        MessageSpec,
        text=text,
        user_id=_users,
        chat=_chats,
        language_code=_languages,
        edited=_rarely,
        reply_to_bot=st.booleans(),
        drop=st.frozensets(st.sampled_from(["from", "entities", "chat.username", "chat.title"])),
        entities=st.one_of(st.sampled_from(["auto", "auto", "none"]), _garbage_entities),
        caption_photo=_rarely,
        sender_chat=_rarely,
    )


_callback_data = st.one_of(
    st.sampled_from(CALLBACK_DATA),
    st.builds(
        lambda prefix, rest: prefix + rest,
        st.sampled_from(["unsub:", "trmute:", "troff:", "unsub:1", "dlq:"]),
        _text(40),
    ),
    _text(64),
)
_callback_specs = st.builds(
    CallbackSpec,
    data=_callback_data,
    user_id=_users,
    chat=_chats,
    language_code=_languages,
    inaccessible=_rarely,
)
_channel_specs = st.builds(
    ChannelPostSpec,
    text=st.one_of(_text(200), _huge_text(), st.none()),
    edited=_rarely,
    photo=st.booleans(),
    album=st.one_of(st.none(), st.sampled_from(["1", "2"])),
    entities=st.lists(
        st.fixed_dictionaries(
            {
                "type": st.sampled_from(["url", "text_link", "bold", "mention", "hashtag"]),
                "offset": st.integers(min_value=0, max_value=5000),
                "length": st.integers(min_value=0, max_value=5000),
            }
        ).map(lambda e: {**e, "url": "https://example.com/x"} if e["type"] == "text_link" else e),
        max_size=3,
    ),
)
_KINDS: dict[str, st.SearchStrategy[Any]] = {
    "command": _message_specs(_command_text()),
    "text": _message_specs(st.one_of(_message_text(), st.none())),
    "callback": _callback_specs,
    "channel": _channel_specs,
}
# Explicit weights: hypothesis alone favours the simplest branch.
SPECS: st.SearchStrategy[Spec] = st.sampled_from(
    ["command"] * 4 + ["text"] * 3 + ["callback"] * 2 + ["channel"]
).flatmap(_KINDS.__getitem__)


class UpdateTracker:
    """Wraps Dispatcher.feed_update (which polling calls) to know when each update is done."""

    def __init__(self, harness: BotHarness) -> None:
        self._done: dict[int, asyncio.Event] = {}
        self.escaped: list[BaseException] = []
        dispatcher = harness.dispatcher
        original = dispatcher.feed_update

        async def feed_update(bot: Bot, update: Update, **kwargs: Any) -> Any:
            try:
                return await original(bot, update, **kwargs)
            except BaseException as error:
                self.escaped.append(error)
                raise
            finally:
                self._event(update.update_id).set()

        dispatcher.feed_update = feed_update  # type: ignore[method-assign]

    def _event(self, update_id: int) -> asyncio.Event:
        return self._done.setdefault(update_id, asyncio.Event())

    async def wait(self, update_id: int, timeout: float = 10.0) -> None:
        await asyncio.wait_for(self._event(update_id).wait(), timeout)


class _ErrorRecords(logging.Handler):
    """Collects stdlib log records at ERROR and above (aiogram logs failures there)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def _error_records() -> Iterator[_ErrorRecords]:
    handler = _ErrorRecords()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


@dataclass
class FuzzBot:
    """The running bot plus what the checks need."""

    harness: BotHarness
    tracker: UpdateTracker
    logs: list[MutableMapping[str, Any]]
    errors: _ErrorRecords
    feed: Callable[[Spec], Awaitable[None]]


def build_update(api: FakeBotAPI, spec: Spec) -> dict[str, Any]:
    """Turn a drawn spec into an Update dict the way Telegram would send it (then mutate it)."""
    if isinstance(spec, ChannelPostSpec):
        kwargs: dict[str, Any] = {
            "chat_id": CHANNEL_ID,
            "username": CHANNEL_USERNAME,
            "title": "Fuzz <channel> & co",
            "photo": spec.photo or None,
            "media_group_id": spec.album,
            "entities": spec.entities or None,
        }
        text = spec.text if spec.text is not None or spec.photo else "."
        if spec.edited:
            return api.edited_channel_post(text, message_id=1, **kwargs)
        return api.channel_post(text, **kwargs)
    if isinstance(spec, CallbackSpec):
        chat_id, chat_type = spec.chat or (spec.user_id, "private")
        if chat_type != "private":
            api.add_chat(chat_id, chat_type, title="Group <&>")
        # Buttons hang under the bot's own messages: its latest one, or one it sent long ago.
        sent = api.sent_messages(chat_id)
        update = api.callback_query(
            spec.data,
            chat_id=chat_id,
            user_id=spec.user_id,
            message_id=None if sent else 1_000_000,
            chat_type=chat_type,
            language_code=spec.language_code,
        )
        if spec.inaccessible:  # a message too old for the bot to see
            message = update["callback_query"]["message"]
            update["callback_query"]["message"] = {
                "chat": message["chat"],
                "message_id": message["message_id"],
                "date": 0,
            }
        return update
    chat_id, chat_type = spec.chat or (spec.user_id, "private")
    overrides: dict[str, Any] = {}
    if spec.reply_to_bot:
        overrides["reply_to_message"] = {
            "message_id": 1,
            "date": 0,
            "chat": {"id": chat_id, "type": chat_type},
            "from": {"id": api.bot_user["id"], "is_bot": True, "first_name": "TgAssist"},
            "text": "earlier answer",
        }
    if spec.sender_chat and chat_type != "private":
        overrides["sender_chat"] = {"id": chat_id, "type": chat_type, "title": "Anonymous"}
    entities: list[dict[str, Any]] | None = None
    if spec.entities == "none":
        entities = []
    elif isinstance(spec.entities, list):  # offsets past the end or inside a character
        entities = spec.entities
    text = spec.text if spec.text is not None else ""
    update = api.message(
        text,
        chat_id=chat_id,
        user_id=spec.user_id,
        chat_type=chat_type,
        language_code=spec.language_code,
        entities=entities,
        title="Group <&>" if chat_type != "private" else None,
        **overrides,
    )
    message = update["message"]
    if spec.text is None or spec.caption_photo:  # media without text, or text as a caption
        message.pop("text", None)
        if spec.text is not None:
            message["caption"] = spec.text
            if "entities" in message:
                message["caption_entities"] = message.pop("entities")
        message["photo"] = [
            {"file_id": "p1", "file_unique_id": "u1", "width": 90, "height": 90},
        ]
    for name in spec.drop:
        if name == "from" and chat_type != "private" and "sender_chat" in message:
            message.pop("from", None)
        elif name == "entities":
            message.pop("entities", None)
        elif name.startswith("chat."):
            message["chat"].pop(name.removeprefix("chat."), None)
    if chat_type != "private" and "title" not in message["chat"]:
        message["chat"]["title"] = "Untitled"  # required by Telegram for groups
    if spec.edited:
        message["edit_date"] = message["date"] + 1
        return {"edited_message": message}
    return update


@pytest.fixture
async def tme() -> AsyncIterator[FakeTelegramWeb]:
    """A fake t.me: one readable channel with hostile posts, one private, one failing."""
    async with FakeTelegramWeb() as web:
        web.add_channel("dailynews", "Daily <News> & \u202eco", HOSTILE_POSTS)
        web.add_channel("secretive", "Hidden", ["x"]).private = True
        web.add_channel("flaky", "Flaky", ["y"]).status = 502
        yield web


@asynccontextmanager
async def _running_fuzz_bot(
    tmp_path: Path, bot_api: FakeBotAPI, tme: FakeTelegramWeb, *, webhook: bool
) -> AsyncIterator[FuzzBot]:
    """One running bot (polling, or serving its webhook); chats 1001 and the supergroup follow hostile posts."""
    webhook_settings: dict[str, Any] = (
        {
            "webhook_url": "http://127.0.0.1:1",
            "webhook_secret": WEBHOOK_SECRET,
            "webhook_host": "127.0.0.1",
            "webhook_port": 0,
        }
        if webhook
        else {}
    )
    settings = make_settings(
        tmp_path,
        bot_api,
        telegram_web_base=tme.base_url,
        admin_ids=frozenset({ADMIN}),
        backfill_posts=10,
        max_channels_per_chat=3,
        question_rate_limit=1000,
        **webhook_settings,
    )
    bot_api.add_chat(-100500, "supergroup", title="Team <&>")
    bot_api.set_chat_admins(-100500, [GROUP_ADMIN])
    async with BotHarness(settings, bot_api, webhook=webhook) as harness:
        for chat_id, kind in ((1001, "private"), (-100500, "supergroup")):
            tenant_id, _ = await seed_channel(
                harness.container.uow_factory,
                chat_id,
                HOSTILE_POSTS,
                username="hostile",
                title="Hostile <b>channel</b> &amp;",
                chat_kind=kind,
            )
            await harness.container.indexer.index_tenant(tenant_id)
        tracker = UpdateTracker(harness)
        update_ids = itertools.count(1)

        async def feed(spec: Spec) -> None:
            bot.logs.clear()  # each example is judged on its own
            bot.errors.records.clear()
            tracker.escaped.clear()
            update = build_update(bot_api, spec)
            Update.model_validate(update | {"update_id": 0})  # Telegram-shaped, or a test bug
            before = len(bot_api.calls())
            kind = next(iter(update))
            if webhook:
                update_id = next(update_ids)
                assert await harness.post_update(update | {"update_id": update_id}) == 200
                await tracker.wait(update_id)
            elif kind in harness.dispatcher.resolve_used_update_types():
                await tracker.wait(bot_api.add_update(update))
            else:  # Telegram withholds types no handler asked for; feed them anyway
                await harness.dispatcher.feed_raw_update(harness.bot, update | {"update_id": 0})
            await harness.settle()
            check_calls(bot_api.calls()[before:])

        # Objects an earlier test dropped (an unclosed aiohttp session logs an error when it is
        # collected) are collected now, so that GC running mid-example cannot blame this bot.
        gc.collect()
        with captured_logs(errors_module) as logs, _error_records() as errors:
            bot = FuzzBot(harness, tracker, logs, errors, feed)
            yield bot


@pytest.fixture
async def fuzz_bot(
    tmp_path: Path, bot_api: FakeBotAPI, tme: FakeTelegramWeb
) -> AsyncIterator[FuzzBot]:
    """One long-polling bot for all examples of a test."""
    async with _running_fuzz_bot(tmp_path, bot_api, tme, webhook=False) as bot:
        yield bot


@pytest.fixture
async def webhook_fuzz_bot(
    tmp_path: Path, bot_api: FakeBotAPI, tme: FakeTelegramWeb
) -> AsyncIterator[FuzzBot]:
    """One bot serving its webhook (real HTTP, the secret required) for all examples of a test."""
    async with _running_fuzz_bot(tmp_path, bot_api, tme, webhook=True) as bot:
        yield bot


def _assert_clean(bot: FuzzBot) -> None:
    failures = [entry for entry in bot.logs if entry.get("log_level") == "error"]
    assert not failures, f"reached the error router: {failures[-1]}"
    assert not bot.errors.records, [r.getMessage() for r in bot.errors.records][-3:]
    assert not bot.tracker.escaped, bot.tracker.escaped


FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(spec=st.one_of(_KINDS["command"], _KINDS["text"]))
@example(  # the bot's admin asking about a chat id beyond 64 bits
    spec=MessageSpec(
        text="/quota 99999999999999999999", user_id=ADMIN, chat=None, language_code="en"
    )
)
@example(  # found by fuzzing: an admin's 4,000-character entry id echoed back in full
    spec=MessageSpec(text="/dlq " + "0" * 4080, user_id=ADMIN, chat=None, language_code=None)
)
@example(  # found by fuzzing: a link urlsplit cannot parse
    spec=MessageSpec(text="/subscribe [", user_id=1001, chat=None, language_code="en")
)
@example(  # found by fuzzing: an entity starting inside a surrogate pair
    spec=MessageSpec(
        text="00\U00010000",
        user_id=1001,
        chat=GROUPS[0],
        language_code=None,
        entities=[{"type": "bot_command", "offset": 3, "length": 999}],
    )
)
@example(  # found by fuzzing: /interests as a photo caption in a group
    spec=MessageSpec(
        text="/interests",
        user_id=1001,
        chat=(-100500, "supergroup"),
        language_code=None,
        caption_photo=True,
    )
)
async def test_generated_messages_are_handled_and_every_reply_is_valid(
    fuzz_bot: FuzzBot, spec: Spec
) -> None:
    """Generated messages (commands, text, media, edits, any chat) never fail; replies are valid."""
    await fuzz_bot.feed(spec)
    _assert_clean(fuzz_bot)


@settings(FUZZ, max_examples=150)
@given(spec=_callback_specs)
@example(  # found by fuzzing: a channel id beyond 64 bits
    spec=CallbackSpec(data="unsub:9223372036854775808", user_id=1001, chat=None, language_code=None)
)
async def test_garbage_callback_queries_are_handled(fuzz_bot: FuzzBot, spec: Spec) -> None:
    """Button presses with arbitrary data, in any chat, by anyone, are handled without an error."""
    await fuzz_bot.feed(spec)
    _assert_clean(fuzz_bot)


@settings(FUZZ, max_examples=100)
@given(spec=_channel_specs)
async def test_generated_channel_posts_are_ingested_without_error(
    fuzz_bot: FuzzBot, spec: Spec
) -> None:
    """Channel posts and edits with odd text, media and broken entities are stored without an error."""
    await fuzz_bot.feed(spec)
    _assert_clean(fuzz_bot)


@settings(FUZZ, max_examples=60)
@given(specs=st.lists(SPECS, min_size=2, max_size=6))
async def test_sequences_of_updates_leave_the_bot_working(
    fuzz_bot: FuzzBot, specs: list[Spec]
) -> None:
    """Updates in sequence (state accumulates), then /help still answers normally."""
    for spec in specs:
        await fuzz_bot.feed(spec)
    _assert_clean(fuzz_bot)
    [reply] = await fuzz_bot.harness.send("/help", user_id=1002)
    assert "/subscribe" in reply


# Secrets a forger might send: none, wrong, almost right, non-ASCII, oversized, the right one padded.
_FORGED_SECRETS = st.one_of(
    st.sampled_from(
        [None, "", "x", WEBHOOK_SECRET[:-1], WEBHOOK_SECRET + "x", "é" * 40, "a" * 5000]
    ),
    _text(80).filter(lambda text: text.isprintable()),  # what an HTTP header line can carry
).filter(lambda secret: (secret or "").strip() != WEBHOOK_SECRET)  # HTTP trims header values


@settings(FUZZ, max_examples=80)
@given(spec=SPECS, forged=_FORGED_SECRETS)
async def test_generated_updates_through_the_webhook_with_and_without_the_secret(
    webhook_fuzz_bot: FuzzBot, spec: Spec, forged: str | None
) -> None:
    """Webhook mode: an update with a forged secret is refused and does nothing; with the right one it is handled cleanly."""
    harness = webhook_fuzz_bot.harness
    update = build_update(harness.api, spec)
    before = len(harness.api.calls())
    assert await harness.post_update(update, secret=forged) in (400, 401, 403)
    await asyncio.sleep(0)
    assert harness.api.calls()[before:] == []
    await webhook_fuzz_bot.feed(spec)
    _assert_clean(webhook_fuzz_bot)


@pytest.mark.slow
@settings(FUZZ, max_examples=3000)
@given(spec=SPECS)
async def test_thousands_of_updates(fuzz_bot: FuzzBot, spec: Spec) -> None:
    """The large run: thousands of generated updates, the same guarantees (marked slow)."""
    await fuzz_bot.feed(spec)
    _assert_clean(fuzz_bot)


@pytest.mark.parametrize(
    "text",
    [
        "<b>x",
        "x</b>",
        "<b><i>x</b></i>",
        "<script>x</script>",
        "a & b",
        "&nbsp;x",
        "<a>x</a>",
        '<span class="red">x</span>',
        "x <",
        " ",
        "<b></b>",
        "&#0;x",
    ],
)
def test_html_validator_rejects_what_telegram_rejects(text: str) -> None:
    """The validator used above refuses unbalanced, unknown, unescaped and empty HTML."""
    with pytest.raises(InvalidForTelegram):
        check_html(text)


def test_html_validator_accepts_our_markup() -> None:
    """Escaped text with Telegram's tags and entities passes, counting visible characters."""
    text = '<b>a &lt;b&gt;</b> <a href="https://t.me/x?a=1&amp;b=2">[1]</a> <pre>&#128512;</pre>'
    assert check_html(text) == len("a <b> [1] 😀")
