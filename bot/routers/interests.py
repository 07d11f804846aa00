"""/interests: a user's interests with weights; `add`/`remove` by command or button."""

from __future__ import annotations

import hashlib

from aiogram import Router
from aiogram.enums import ChatType
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.filters import NotACommand, command_args
from bot.formatting import echo, escape, html_to_text
from bot.middlewares.private_replies import RepliesInPrivate
from bot.prompts import Prompt, ask_for, prompted_text
from bot.replies import answer_long, edit_in_place
from bot.texts import reason, t
from core.interests.models import InvalidTopic, WeightedInterest
from core.interests.ports import InterestsUnitOfWork
from core.interests.service import InterestService

_SHOWN = 30  # topics listed
_BUTTONS = 10  # remove buttons under the list
_ADD = {"add", "добавить", "+"}
_REMOVE = {"remove", "del", "delete", "убрать", "удалить", "-"}


class InterestRemoveCallback(CallbackData, prefix="intrm"):
    """Remove the pressing user's topic whose key hashes to `key`."""

    key: str


def topic_hash(topic: str) -> str:
    """A short, callback-safe stand-in for a topic key (keys may be long or non-ASCII)."""
    return hashlib.sha1(topic.encode(), usedforsecurity=False).hexdigest()[:12]


def interests_view(
    lang: str, profile: list[WeightedInterest]
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The list with weights, and remove buttons for the heaviest topics."""
    if not profile:
        return t(lang, "interests_empty"), None
    lines = [t(lang, "interests_header")]
    for item in profile[:_SHOWN]:
        marker = "✋" if item.interest.explicit else "🔍"
        lines.append(
            t(
                lang,
                "interests_line",
                marker=marker,
                label=escape(item.label),
                weight=f"{item.weight:.2f}",
            )
        )
    lines.append("")
    lines.append(t(lang, "interests_hint"))
    buttons = [
        [
            InlineKeyboardButton(
                text=t(lang, "interests_remove_button", label=item.label[:40]),
                callback_data=InterestRemoveCallback(key=topic_hash(item.topic)).pack(),
            )
        ]
        for item in profile[:_BUTTONS]
    ]
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=buttons)


async def interests(
    message: Message,
    uow: InterestsUnitOfWork,
    lang: str,
    interest_service: InterestService,
    state: FSMContext | None = None,
) -> None:
    """Show, add or remove the sender's interests."""
    if message.from_user is None:
        return
    user_id = message.from_user.id
    words = command_args(message).split(maxsplit=1)
    action = words[0].lower() if words else ""
    topic = words[1].strip() if len(words) > 1 else ""
    if not action:
        text, keyboard = interests_view(lang, await interest_service.profile(uow, user_id))
        await answer_long(message, text, reply_markup=keyboard)
        return
    if action in _ADD and not topic:
        await ask_for(message, state, Prompt.interest, lang, "interests_add_prompt")
        return
    if action in _ADD:
        await _add(message, uow, lang, interest_service, user_id, topic)
        return
    if action in _REMOVE and topic:
        removed = await interest_service.remove(uow, user_id, topic)
        if removed is None:
            await message.answer(t(lang, "interests_unknown", label=echo(topic)))
        else:
            await message.answer(t(lang, "interests_removed", label=escape(removed.label)))
        return
    await message.answer(t(lang, "interests_usage"))


async def interest_prompted(
    message: Message,
    state: FSMContext,
    uow: InterestsUnitOfWork,
    lang: str,
    interest_service: InterestService,
) -> None:
    """The answer to "which topic?" is added to the sender's interests."""
    topic = await prompted_text(message, state, lang)
    if topic is not None and message.from_user is not None:
        await _add(message, uow, lang, interest_service, message.from_user.id, topic)


async def _add(
    message: Message,
    uow: InterestsUnitOfWork,
    lang: str,
    interest_service: InterestService,
    user_id: int,
    topic: str,
) -> None:
    try:
        added, created = await interest_service.add(uow, user_id, topic)
    except InvalidTopic as error:
        await message.answer(t(lang, "interests_invalid", reason=reason(lang, error.kind)))
        return
    key = "interests_added" if created else "interests_already"
    await message.answer(t(lang, key, label=escape(added.label)))


async def remove_button(
    query: CallbackQuery,
    callback_data: InterestRemoveCallback,
    uow: InterestsUnitOfWork,
    lang: str,
    interest_service: InterestService,
) -> None:
    """Remove one of the presser's own topics, then redraw the list (in private chats only)."""
    if query.message is None or query.message.chat.type != ChatType.PRIVATE:
        await query.answer(t(lang, "interests_private_button"), show_alert=True)
        return
    user_id = query.from_user.id
    profile = await interest_service.profile(uow, user_id)
    found = next((item for item in profile if topic_hash(item.topic) == callback_data.key), None)
    if found is None:
        await query.answer(t(lang, "interests_unknown", label="—"))
        return
    removed = await interest_service.remove(uow, user_id, found.topic)
    label = removed.label if removed is not None else found.label
    await query.answer(html_to_text(t(lang, "interests_removed", label=escape(label)))[:200])
    if isinstance(query.message, Message):
        text, keyboard = interests_view(lang, await interest_service.profile(uow, user_id))
        await edit_in_place(query.message, text, keyboard)


def make_router() -> Router:
    """A fresh router with this feature's handlers (each Dispatcher builds its own)."""
    router = Router(name=__name__)
    router.message.register(interests, Command("interests"))
    router.message.middleware(RepliesInPrivate())  # a profile is never shown in a group
    router.message.register(interest_prompted, Prompt.interest, NotACommand())
    router.callback_query.register(remove_button, InterestRemoveCallback.filter())
    return router
