"""Questions: plain text in private chats, /ask anywhere, mentions of and replies to the bot in groups.

Included last in the Dispatcher, so every command and feature handler wins over it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiogram import BaseMiddleware, Bot, F, Router
from aiogram.enums import ChatType, MessageEntityType
from aiogram.filters import BaseFilter, Command
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, TelegramObject
from aiogram.utils.chat_action import ChatActionSender

from bot.filters import NotACommand, command_args
from bot.prompts import Prompt, ask_for, prompted_text
from bot.replies import answer_long
from bot.texts import t
from bot.views.answer import render_answer
from core.models import Tenant
from core.rag.service import QuestionService

log = structlog.get_logger(__name__)

GROUPS = {ChatType.GROUP, ChatType.SUPERGROUP}


class ThrottleQuestions(BaseMiddleware):
    """Inner middleware of this router: at most N questions per user per window."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        service: QuestionService | None = data.get("question_service")
        user = data.get("event_from_user")
        if service is None or user is None or not isinstance(event, Message):
            return await handler(event, data)
        refusal = service.admit(user.id)
        if refusal is None:
            return await handler(event, data)
        log.info("question_throttled", user_id=user.id, wait_seconds=refusal.wait_seconds)
        if refusal.notify:
            await event.answer(t(data["lang"], "ask_throttled", seconds=refusal.wait_seconds))
        return None


class AddressedToBot(BaseFilter):
    """A group message that mentions the bot or replies to it; gives the question without the mention."""

    async def __call__(self, message: Message, bot: Bot) -> bool | dict[str, Any]:
        text = message.text or ""
        me = await bot.me()
        replied = message.reply_to_message
        is_reply = (
            replied is not None and replied.from_user is not None and replied.from_user.id == me.id
        )
        mention = f"@{me.username}".lower() if me.username else None
        spans = []
        for entity in message.entities or []:
            if (
                entity.type == MessageEntityType.MENTION
                and _utf16_slice(text, entity.offset, entity.length).lower() == mention
            ) or (
                entity.type == MessageEntityType.TEXT_MENTION
                and entity.user
                and entity.user.id == me.id
            ):
                spans.append((entity.offset, entity.length))
        if not spans and not is_reply:
            return False
        return {"question": _without_spans(text, spans)}


def _utf16_slice(text: str, offset: int, length: int) -> str:
    """An entity's text (UTF-16 offsets); a span that splits a character loses that half."""
    encoded = text.encode("utf-16-le")[offset * 2 : (offset + length) * 2]
    return encoded.decode("utf-16-le", errors="ignore")


def _without_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with the given entity spans (UTF-16 offsets, as Telegram counts) removed."""
    encoded = text.encode("utf-16-le")
    for offset, length in sorted(spans, reverse=True):
        encoded = encoded[: offset * 2] + encoded[(offset + length) * 2 :]
    return " ".join(encoded.decode("utf-16-le", errors="ignore").split())


async def ask_command(
    message: Message,
    bot: Bot,
    tenant: Tenant,
    lang: str,
    question_service: QuestionService,
    state: FSMContext | None = None,
) -> None:
    """/ask [@channel] [7d] question — in any chat; a bare /ask asks for the question."""
    question = command_args(message)
    if not question:
        await ask_for(message, state, Prompt.ask, lang, "ask_prompt")
        return
    await _answer(message, bot, tenant, lang, question_service, question)


async def ask_prompted(
    message: Message,
    bot: Bot,
    state: FSMContext,
    tenant: Tenant,
    lang: str,
    question_service: QuestionService,
) -> None:
    """The answer to "what would you like to know?" is the question."""
    question = await prompted_text(message, state, lang)
    if question is not None:
        await _answer(message, bot, tenant, lang, question_service, question)


async def private_question(
    message: Message,
    bot: Bot,
    tenant: Tenant,
    lang: str,
    question_service: QuestionService,
) -> None:
    """Any plain text in a private chat is a question."""
    await _answer(message, bot, tenant, lang, question_service, message.text or "")


async def group_question(
    message: Message,
    bot: Bot,
    tenant: Tenant,
    lang: str,
    question_service: QuestionService,
    question: str,
) -> None:
    """In groups, a message that mentions the bot or replies to it is a question."""
    await _answer(message, bot, tenant, lang, question_service, question)


async def _answer(
    message: Message,
    bot: Bot,
    tenant: Tenant,
    lang: str,
    service: QuestionService,
    text: str,
) -> None:
    user_id = message.from_user.id if message.from_user else None
    async with ChatActionSender.typing(bot=bot, chat_id=message.chat.id):
        answer = await service.ask(tenant.id, text, user_id=user_id)
    await answer_long(message, render_answer(answer, lang))


def make_router() -> Router:
    """A fresh router with this feature's handlers (each Dispatcher builds its own)."""
    router = Router(name=__name__)
    router.message.middleware(ThrottleQuestions())
    router.message.register(ask_command, Command("ask"))
    router.message.register(ask_prompted, Prompt.ask, NotACommand())
    router.message.register(
        private_question, F.chat.type == ChatType.PRIVATE, F.text, ~F.text.startswith("/")
    )
    router.message.register(group_question, F.chat.type.in_(GROUPS), F.text, AddressedToBot())
    return router
