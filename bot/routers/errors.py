"""The last resort: log the traceback, answer the user politely."""

from __future__ import annotations

import structlog
from aiogram import Router
from aiogram.types import ErrorEvent

from bot.texts import language_of, t

log = structlog.get_logger(__name__)


async def on_error(event: ErrorEvent) -> bool:
    """Log any unhandled exception with its traceback and apologise to the user."""
    log.error("update_failed", error_type=type(event.exception).__name__, exc_info=event.exception)
    update = event.update
    user = None
    try:
        if update.message is not None:
            user = update.message.from_user
            lang = language_of(user.language_code if user else None)
            await update.message.answer(t(lang, "error"))
        elif update.callback_query is not None:
            user = update.callback_query.from_user
            lang = language_of(user.language_code)
            await update.callback_query.answer(t(lang, "error"), show_alert=True)
    except Exception:  # the apology itself failed (e.g. Telegram is down): logging is enough
        log.warning("apology_failed", exc_info=True)
    return True


def make_router() -> Router:
    """A fresh router with this feature's handlers (each Dispatcher builds its own)."""
    router = Router(name=__name__)
    router.errors.register(on_error)
    return router
