"""Checks made before a long-running process touches anything: is the bot token usable?"""

from __future__ import annotations

import asyncio

from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramUnauthorizedError
from aiogram.utils.token import TokenValidationError, validate_token

from app.settings import Settings, reveal
from bot.app import create_bot

GETME_TIMEOUT_SECONDS = 15.0


def token_format_problem(settings: Settings) -> str | None:
    """One line saying what is wrong with BOT_TOKEN's form (no network); None if it looks right."""
    token = reveal(settings.bot_token)
    if not token:
        return "error: BOT_TOKEN is not set; put BOT_TOKEN=... (from @BotFather) in .env"
    try:
        validate_token(token)
    except TokenValidationError:
        return (
            "error: BOT_TOKEN does not look like a bot token (expected 123456:ABC-...); "
            "copy it again from @BotFather into .env"
        )
    return None


async def bot_api_problem(settings: Settings) -> str | None:
    """One line saying why `getMe` with BOT_TOKEN fails at TELEGRAM_API_BASE and how to fix it;
    None when the Bot API knows the bot."""
    token = reveal(settings.bot_token) or ""
    api = settings.telegram_api_base
    bot = create_bot(token, api)
    try:
        async with asyncio.timeout(GETME_TIMEOUT_SECONDS):
            await bot.get_me(request_timeout=int(GETME_TIMEOUT_SECONDS))
    except TelegramUnauthorizedError:
        return (
            "error: Telegram refused BOT_TOKEN (getMe: Unauthorized); the token was revoked "
            "or mistyped: get the current one from @BotFather (/token) and put it in .env"
        )
    except (TelegramNetworkError, TimeoutError, OSError) as error:
        return (
            f"error: cannot reach the Bot API at {api} ({type(error).__name__}); "
            "check the network, a proxy, or TELEGRAM_API_BASE"
        )
    except TelegramAPIError as error:
        return f"error: the Bot API at {api} answered getMe with an error ({error.message})"
    finally:
        await bot.session.close()
    return None
