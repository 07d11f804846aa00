"""Shared by `tgassist ask` and `tgassist search`: the chat's tenant, language, exit codes."""

from __future__ import annotations

import sys

from app.container import Container
from core.rag.models import AnswerStatus
from core.text.tokens import is_cyrillic

EXIT_CODES = {
    AnswerStatus.OK: 0,
    AnswerStatus.NOT_INDEXED: 0,  # a clear answer too: "not indexed yet"
    AnswerStatus.ERROR: 1,
    AnswerStatus.INVALID: 2,
}


async def tenant_id_of(container: Container, chat_id: int) -> int | None:
    """The tenant of a chat, or None when the bot never met it."""
    async with container.uow_factory() as uow:
        tenant = await uow.tenants.by_chat_id(chat_id)
    return tenant.id if tenant else None


def language_for(text: str) -> str:
    """Reply chrome in the question's language (the CLI has no Telegram client language)."""
    return "ru" if is_cyrillic(text) else "en"


def report_error(detail: str) -> None:
    """Why a search failed, on stderr (chats only ever see an apology)."""
    if detail:
        print(f"error: {detail}", file=sys.stderr)
