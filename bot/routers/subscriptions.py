"""/subscribe (with a name, or asking for one with a channel picker), /unsubscribe, /channels,
and offers to subscribe to a channel a private chat forwards a post from or pastes a link to."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from aiogram import BaseMiddleware, Bot, F, Router
from aiogram.enums import ChatType
from aiogram.filters import BaseFilter, Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    KeyboardButtonRequestChat,
    Message,
    MessageOriginChannel,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    TelegramObject,
)
from aiogram.utils.chat_action import ChatActionSender
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.filters import (
    HasArgs,
    NotACommand,
    command_args,
    is_channel_member,
    managed_router,
    managers_only,
    may_manage_chat,
)
from bot.formatting import echo, escape, link, short_date
from bot.index_notices import channel_label
from bot.prompts import Prompt, ask_for, prompted_text
from bot.replies import answer_long
from bot.texts import reason, t
from core.channels.names import ChannelName, parse_channel_name
from core.channels.ports import ChannelsUnitOfWork
from core.channels.service import SubscriptionService
from core.embedding.service import EmbeddingService
from core.errors import (
    ChannelLimitReached,
    ChannelNotReadable,
    ChannelSourceError,
    InvalidChannelName,
    TooManyChanges,
)
from core.index_progress.service import IndexProgressService
from core.models import SubscribedChannel, Tenant, channel_url

# The least a bot administrator can hold (every other right implies it); enough to get posts.
ADMIN_RIGHTS = "manage_chat"
_PICKER_REQUEST_ID = 1
# Kinds of unreadable channels for which "add me as admin" or an export import would work.
_OTHER_WAYS = {"no_preview", "not_seen"}


class UnsubscribeCallback(CallbackData, prefix="unsub"):
    """An inline button that unsubscribes the chat from one channel."""

    channel_id: int


class SubscribeCallback(CallbackData, prefix="sub"):
    """An inline button that subscribes the chat to a channel (`@name` or `-100…` id)."""

    name: str


def _picker(lang: str) -> ReplyKeyboardMarkup:
    """A keyboard button listing the user's channels (Telegram's chat picker); typing works too."""
    button = KeyboardButton(
        text=t(lang, "pick_channel_button"),
        request_chat=KeyboardButtonRequestChat(
            request_id=_PICKER_REQUEST_ID,
            chat_is_channel=True,
            request_title=True,
            request_username=True,
        ),
    )
    return ReplyKeyboardMarkup(
        keyboard=[[button]],
        resize_keyboard=True,
        one_time_keyboard=True,
        input_field_placeholder=t(lang, "channel_placeholder"),
    )


@dataclass(frozen=True, slots=True)
class Subscriber:
    """What every way of subscribing (command, prompt, picker, offer button) needs: one update's
    bot, unit of work, chat and language, and the services."""

    bot: Bot
    uow: ChannelsUnitOfWork
    tenant: Tenant
    lang: str
    subscriptions: SubscriptionService
    index_progress: IndexProgressService

    async def subscribe(self, message: Message, name: str, user_id: int | None) -> None:
        """Subscribe the chat and say how it went in `message`'s chat; a new subscription's
        reply is edited later into "✅ @name: N posts indexed"."""
        bot, lang = self.bot, self.lang
        try:
            async with ChatActionSender.typing(bot=bot, chat_id=message.chat.id):
                outcome = await self.subscriptions.subscribe(
                    self.uow,
                    self.tenant,
                    name,
                    user_id,
                    is_member=partial(is_channel_member, bot, user_id),
                )
        except (InvalidChannelName, ChannelNotReadable, ChannelSourceError) as error:
            text, markup = await _failure(bot, message.chat.id, lang, echo(name), error)
            await message.answer(text, reply_markup=markup)
            return
        except ChannelLimitReached as error:
            limit = error.limit or self.subscriptions.max_channels
            await message.answer(t(lang, "limit_reached", limit=limit))
            return
        except TooManyChanges as error:
            await _throttled(message, lang, error)
            return
        channel = outcome.channel
        title = escape(channel.title)
        label = channel_label(channel.username, channel.title)
        hide_picker = ReplyKeyboardRemove() if message.chat.type == ChatType.PRIVATE else None
        if not outcome.created:
            await message.answer(
                t(lang, "already_subscribed", title=title), reply_markup=hide_picker
            )
            return
        if outcome.backfilled:
            text = t(lang, "subscribed", title=title, name=label, backfilled=outcome.backfilled)
        else:
            text = t(
                lang, "subscribed_existing", title=title, name=label, posts=outcome.stored_posts
            )
        sent = await message.answer(text, reply_markup=hide_picker)
        await self.index_progress.watch(self.uow, self.tenant.id, channel.id, sent.message_id)


class SubscriberMiddleware(BaseMiddleware):
    """Inner middleware of this router: handlers get `subscriber` (see `Subscriber`)."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if "tenant" in data:
            data["subscriber"] = Subscriber(
                data["bot"],
                data["uow"],
                data["tenant"],
                data["lang"],
                data["subscriptions"],
                data["index_progress"],
            )
        return await handler(event, data)


def _sender_id(message: Message) -> int | None:
    return message.from_user.id if message.from_user else None


async def subscribe(message: Message, subscriber: Subscriber) -> None:
    """Follow a channel: validate the name, backfill recent posts, index in the background."""
    await subscriber.subscribe(message, command_args(message), _sender_id(message))


async def ask_for_channel(
    message: Message, bot: Bot, lang: str, state: FSMContext | None = None
) -> None:
    """`/subscribe` alone: who may manage the chat is asked which channel (typed, pasted or
    picked); anyone else learns the usage."""
    if not await may_manage_chat(bot, message.chat.id, message.chat.type, _sender_id(message)):
        await message.answer(t(lang, "subscribe_usage"))
        return
    private = message.chat.type == ChatType.PRIVATE
    await ask_for(
        message,
        state,
        Prompt.subscribe,
        lang,
        "subscribe_prompt" if private else "subscribe_prompt_group",
        keyboard=_picker(lang),
        placeholder_key="channel_placeholder",
    )


async def channel_picked(
    message: Message, subscriber: Subscriber, state: FSMContext | None = None
) -> None:
    """A channel chosen with the picker button: subscribe to it."""
    shared = message.chat_shared
    assert shared is not None
    if state is not None:
        await state.clear()
    name = f"@{shared.username}" if shared.username else str(shared.chat_id)
    await subscriber.subscribe(message, name, _sender_id(message))


async def subscribe_prompted(
    message: Message, state: FSMContext, lang: str, subscriber: Subscriber
) -> None:
    """The answer to "which channel?" (a name, a link, or a post forwarded from it): subscribe."""
    forwarded = forwarded_channel(message)
    if forwarded is not None:
        await state.clear()
        await subscriber.subscribe(message, str(forwarded), _sender_id(message))
        return
    name = await prompted_text(message, state, lang)
    if name is not None:
        await subscriber.subscribe(message, name, _sender_id(message))


async def _failure(
    bot: Bot,
    chat_id: int,
    lang: str,
    shown: str,
    error: InvalidChannelName | ChannelNotReadable | ChannelSourceError,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Why it failed in the user's language, and for unreadable channels what works instead."""
    why = reason(lang, error.kind)
    if isinstance(error, InvalidChannelName):
        return t(lang, "invalid_name", reason=why), None
    if isinstance(error, ChannelSourceError):
        return t(lang, "source_error", name=shown, reason=why), None
    text = t(lang, "not_readable", name=shown, reason=why)
    if error.kind not in _OTHER_WAYS:
        return text, None
    text += "\n\n" + t(lang, "not_readable_alternatives", name=shown, chat=chat_id)
    me = await bot.me()
    if not me.username:
        return text, None
    url = f"https://t.me/{me.username}?startchannel&admin={ADMIN_RIGHTS}"
    button = InlineKeyboardButton(text=t(lang, "add_admin_button"), url=url)
    return text, InlineKeyboardMarkup(inline_keyboard=[[button]])


# --- offers: a forwarded post or a pasted link in a private chat --------------------------------


class NamesAChannel(BaseFilter):
    """A private message that is only a channel's @name or t.me link; gives `offered`."""

    async def __call__(self, message: Message) -> bool | dict[str, Any]:
        words = (message.text or "").split()
        if len(words) != 1:
            return False
        word = words[0]
        looks_like = word.startswith("@") or any(
            host in word.lower() for host in ("t.me/", "telegram.me/", "telegram.dog/")
        )
        if not looks_like:
            return False
        try:
            return {"offered": parse_channel_name(word)}
        except InvalidChannelName:
            return False


def forwarded_channel(message: Message) -> ChannelName | None:
    """The channel a message was forwarded from (its @name, or its id), if any."""
    origin = message.forward_origin
    if not isinstance(origin, MessageOriginChannel):
        return None
    chat = origin.chat
    if chat.username:
        return ChannelName(username=chat.username.lower())
    return ChannelName(telegram_id=chat.id)


class ForwardedFromChannel(BaseFilter):
    """A post forwarded from a channel; gives `offered`."""

    async def __call__(self, message: Message) -> bool | dict[str, Any]:
        channel = forwarded_channel(message)
        return False if channel is None else {"offered": channel}


async def offer_subscription(message: Message, lang: str, offered: ChannelName) -> None:
    """Offer a button to follow the channel instead of taking the message as a question."""
    name = str(offered)
    button = InlineKeyboardButton(
        text=t(lang, "subscribe_offer_button", name=escape(name))[:60],
        callback_data=SubscribeCallback(name=name).pack(),
    )
    await message.answer(
        t(lang, "subscribe_offer", name=escape(name)),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]]),
    )


async def subscribe_button(
    query: CallbackQuery, callback_data: SubscribeCallback, subscriber: Subscriber
) -> None:
    """Subscribe to the channel the offer named."""
    if not isinstance(query.message, Message):  # ChatManagersOnly refuses these already
        return
    await query.answer()
    await subscriber.subscribe(query.message, callback_data.name, query.from_user.id)


# --- unsubscribing and the list ----------------------------------------------------------------


async def unsubscribe(
    message: Message,
    uow: ChannelsUnitOfWork,
    tenant: Tenant,
    lang: str,
    subscriptions: SubscriptionService,
) -> None:
    """Stop following a channel named in the command, or offer a keyboard of the chat's channels."""
    name = command_args(message)
    if not name:
        channels = await subscriptions.list(uow, tenant)
        if not channels:
            await message.answer(t(lang, "unsubscribe_nothing"))
            return
        await message.answer(t(lang, "unsubscribe_pick"), reply_markup=_keyboard(channels))
        return
    try:
        user_id = message.from_user.id if message.from_user else None
        channel = await subscriptions.unsubscribe(uow, tenant, name, user_id)
    except InvalidChannelName as error:
        await message.answer(t(lang, "invalid_name", reason=reason(lang, error.kind)))
        return
    except TooManyChanges as error:
        await _throttled(message, lang, error)
        return
    if channel is None:
        await message.answer(t(lang, "not_subscribed", name=echo(name)))
    else:
        await message.answer(t(lang, "unsubscribed", title=escape(channel.title)))


async def _throttled(message: Message, lang: str, error: TooManyChanges) -> None:
    if error.notify:  # one notice per window, so a flood of commands stays quiet
        await message.answer(t(lang, "subscriptions_throttled", seconds=error.wait_seconds))


def _keyboard(channels: list[SubscribedChannel]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for item in channels[:90]:
        builder.button(
            text=f"❌ {item.channel.title[:40]}",
            callback_data=UnsubscribeCallback(channel_id=item.channel.id),
        )
    builder.adjust(1)
    return builder.as_markup()


async def unsubscribe_button(
    query: CallbackQuery,
    callback_data: UnsubscribeCallback,
    bot: Bot,
    uow: ChannelsUnitOfWork,
    tenant: Tenant,
    lang: str,
    subscriptions: SubscriptionService,
) -> None:
    """Unsubscribe from the channel whose button was pressed."""
    message = query.message
    if message is None:  # ChatManagersOnly refuses buttons without a message already
        return
    try:
        subscriptions.admit_change(query.from_user.id, tenant)
    except TooManyChanges as error:
        await query.answer(
            t(lang, "subscriptions_throttled", seconds=error.wait_seconds), show_alert=True
        )
        return
    channel = await subscriptions.unsubscribe_channel(uow, tenant, callback_data.channel_id)
    if channel is None:
        await query.answer(t(lang, "not_subscribed", name="—"))
        return
    await query.answer()
    await bot.edit_message_text(
        t(lang, "unsubscribed", title=escape(channel.title)),
        chat_id=message.chat.id,
        message_id=message.message_id,
    )


async def channels(
    message: Message,
    uow: ChannelsUnitOfWork,
    tenant: Tenant,
    lang: str,
    subscriptions: SubscriptionService,
    index_progress: IndexProgressService,
    embedding_service: EmbeddingService | None = None,
) -> None:
    """List the chat's channels with post counts, last update, posts waiting, the last error and
    dense vector coverage."""
    items = await subscriptions.list(uow, tenant)
    if not items:
        await message.answer(t(lang, "no_channels"))
        return
    backlog = await index_progress.backlog(uow, tenant.id)
    lines = [t(lang, "channels_header", count=len(items))]
    for item in items:
        url = channel_url(item.channel.username, item.channel.telegram_id)
        label = item.channel.title
        lines.append(
            t(
                lang,
                "channel_line",
                link=link(url, label) if url else escape(label),
                posts=item.post_count,
                last=short_date(item.last_post_at),
            )
        )
        waiting = backlog.get(item.channel.id)
        if waiting is not None and waiting.pending:
            lines.append(t(lang, "channel_backlog", pending=waiting.pending))
        # The stored messages are the core's English; chats read the error's kind in their language.
        if item.channel.last_error is not None:
            why = reason(lang, item.channel.last_error_kind or "other")
            lines.append(t(lang, "channel_error", reason=why))
        if waiting is not None and waiting.last_error:
            lines.append(t(lang, "channel_index_error"))
    if embedding_service is not None:
        coverage, _ = await embedding_service.coverage(tenant.id)
        lines.append(
            t(
                lang,
                "dense_coverage",
                percent=int(100 * coverage.share),
                ready=coverage.ready,
                total=coverage.total,
            )
        )
    await answer_long(message, "\n".join(lines))


def make_router() -> Router:
    """A fresh router with this feature's handlers (each Dispatcher builds its own)."""
    router = managed_router(__name__)
    router.message.middleware(SubscriberMiddleware())
    router.callback_query.middleware(SubscriberMiddleware())
    admins_only = managers_only("admins_only")
    router.message.register(subscribe, Command("subscribe"), HasArgs(), flags=admins_only)
    router.message.register(ask_for_channel, Command("subscribe"))
    router.message.register(channel_picked, F.chat_shared, flags=admins_only)
    router.message.register(subscribe_prompted, Prompt.subscribe, NotACommand(), flags=admins_only)
    private_idle = (F.chat.type == ChatType.PRIVATE, StateFilter(None))
    router.message.register(offer_subscription, *private_idle, ForwardedFromChannel())
    router.message.register(offer_subscription, *private_idle, NamesAChannel())
    router.callback_query.register(subscribe_button, SubscribeCallback.filter(), flags=admins_only)
    router.message.register(unsubscribe, Command("unsubscribe"), flags=admins_only)
    router.callback_query.register(
        unsubscribe_button, UnsubscribeCallback.filter(), flags=admins_only
    )
    router.message.register(channels, Command("channels"))
    return router
