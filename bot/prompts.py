"""Commands sent bare (from the menu) ask for their argument and take the next message as it.

aiogram's FSM keeps one state per user in a chat. In groups the question is a ForceReply to
the user's command, so the answer is a reply to the bot and reaches it even in privacy mode.
"""

from __future__ import annotations

from dataclasses import replace

from aiogram.enums import ChatType
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import ForceReply, Message, ReplyKeyboardMarkup

from bot.texts import t


class Prompt(StatesGroup):
    """What the bot asked the user for."""

    subscribe = State()  # a channel name or link
    ask = State()  # a question
    interest = State()  # a topic to add


async def ask_for(
    message: Message,
    state: FSMContext | None,
    prompt: State,
    lang: str,
    text_key: str,
    *,
    keyboard: ReplyKeyboardMarkup | None = None,
    placeholder_key: str | None = None,
) -> None:
    """Ask for a command's argument and wait for it in `prompt`.

    A private chat gets `keyboard` when given; groups always get a selective ForceReply.
    """
    if (
        state is None
    ):  # no user behind the message (an anonymous admin, a channel): nobody to wait for
        await message.answer(t(lang, "prompt_needs_user"))
        return
    if state.key.chat_id != message.chat.id:  # run for the sender's private chat instead
        state = FSMContext(storage=state.storage, key=replace(state.key, chat_id=message.chat.id))
    await state.set_state(prompt)
    placeholder = t(lang, placeholder_key) if placeholder_key else None
    if message.chat.type == ChatType.PRIVATE and keyboard is not None:
        await message.answer(t(lang, text_key), reply_markup=keyboard)
        return
    await message.reply(
        t(lang, text_key),
        reply_markup=ForceReply(selective=True, input_field_placeholder=placeholder),
    )


async def prompted_text(message: Message, state: FSMContext, lang: str) -> str | None:
    """The awaited argument, leaving the prompt; None (and a hint) when it is not text."""
    text = (message.text or "").strip()
    if not text:
        await message.answer(t(lang, "prompt_needs_text"))
        return None
    await state.clear()
    return text
