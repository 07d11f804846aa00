"""/subscribe, /unsubscribe (by name or from a keyboard) and /channels."""

from __future__ import annotations

from functools import partial

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.chat_action import ChatActionSender
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.filters import HasArgs, command_args, is_channel_member, managed_router, managers_only
from bot.formatting import echo, escape, link, short_date
from bot.replies import answer_long
from bot.texts import t
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
from core.models import Channel, SubscribedChannel, Tenant, channel_url


class UnsubscribeCallback(CallbackData, prefix="unsub"):
    """An inline button that unsubscribes the chat from one channel."""

    channel_id: int


def _channel_name(channel: Channel) -> str:
    return f"@{channel.username}" if channel.username else escape(channel.title)


async def subscribe(
    message: Message,
    bot: Bot,
    uow: ChannelsUnitOfWork,
    tenant: Tenant,
    lang: str,
    subscriptions: SubscriptionService,
) -> None:
    """Follow a channel: validate the name, backfill recent posts, index in the background."""
    name = command_args(message)
    user_id = message.from_user.id if message.from_user else None
    shown = echo(name)
    try:
        async with ChatActionSender.typing(bot=bot, chat_id=message.chat.id):
            outcome = await subscriptions.subscribe(
                uow, tenant, name, user_id, is_member=partial(is_channel_member, bot, user_id)
            )
    except InvalidChannelName as error:
        await message.answer(t(lang, "invalid_name", reason=echo(error, limit=300)))
        return
    except ChannelNotReadable as error:
        await message.answer(t(lang, "not_readable", name=shown, reason=echo(error, limit=300)))
        return
    except ChannelSourceError as error:
        await message.answer(t(lang, "source_error", name=shown, reason=echo(error, limit=300)))
        return
    except ChannelLimitReached as error:
        limit = error.limit or subscriptions.max_channels
        await message.answer(t(lang, "limit_reached", limit=limit))
        return
    except TooManyChanges as error:
        await _throttled(message, lang, error)
        return
    channel = outcome.channel
    title = escape(channel.title)
    if not outcome.created:
        await message.answer(t(lang, "already_subscribed", title=title))
    elif outcome.backfilled:
        await message.answer(
            t(
                lang,
                "subscribed",
                title=title,
                name=_channel_name(channel),
                backfilled=outcome.backfilled,
            )
        )
    else:
        await message.answer(
            t(
                lang,
                "subscribed_existing",
                title=title,
                name=_channel_name(channel),
                posts=outcome.stored_posts,
            )
        )


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
            await message.answer(t(lang, "no_channels"))
            return
        await message.answer(t(lang, "unsubscribe_pick"), reply_markup=_keyboard(channels))
        return
    try:
        user_id = message.from_user.id if message.from_user else None
        channel = await subscriptions.unsubscribe(uow, tenant, name, user_id)
    except InvalidChannelName as error:
        await message.answer(t(lang, "invalid_name", reason=echo(error, limit=300)))
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
    embedding_service: EmbeddingService | None = None,
) -> None:
    """List the chat's channels with post counts and last update, and dense vector coverage."""
    items = await subscriptions.list(uow, tenant)
    if not items:
        await message.answer(t(lang, "no_channels"))
        return
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


async def subscribe_usage(message: Message, lang: str) -> None:
    """`/subscribe` without a channel: how to use it."""
    await message.answer(t(lang, "subscribe_usage"))


def make_router() -> Router:
    """A fresh router with this feature's handlers (each Dispatcher builds its own)."""
    router = managed_router(__name__)
    admins_only = managers_only("admins_only")
    router.message.register(subscribe, Command("subscribe"), HasArgs(), flags=admins_only)
    router.message.register(subscribe_usage, Command("subscribe"))
    router.message.register(unsubscribe, Command("unsubscribe"), flags=admins_only)
    router.callback_query.register(
        unsubscribe_button, UnsubscribeCallback.filter(), flags=admins_only
    )
    router.message.register(channels, Command("channels"))
    return router
