"""Webhook mode: the secret every call must carry, the unguessable path, and the aiohttp server.

Anyone who can reach the webhook port can POST an update claiming to come from an admin, so
webhook mode never runs without a secret token (Telegram sends it in the
`X-Telegram-Bot-Api-Secret-Token` header of every call) and its path carries a random part.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from app.settings import Settings, reveal

log = structlog.get_logger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
MIN_SECRET_LENGTH = 32
# What Telegram accepts as `secret_token` in setWebhook: 1-256 of A-Z a-z 0-9 _ -.
_SECRET_CHARACTERS = re.compile(r"[A-Za-z0-9_-]{1,256}")
_PATH = re.compile(r"/[A-Za-z0-9._~/-]*")


def webhook_settings_error(settings: Settings) -> str | None:
    """Why webhook mode may not start with these settings, or None (also None in polling mode)."""
    if not settings.webhook_url:
        return None
    secret = reveal(settings.webhook_secret) or ""
    if len(secret) < MIN_SECRET_LENGTH:
        return (
            f"WEBHOOK_URL is set but WEBHOOK_SECRET is missing or shorter than "
            f"{MIN_SECRET_LENGTH} characters; generate one with "
            "`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`"
        )
    if not _SECRET_CHARACTERS.fullmatch(secret):
        return "WEBHOOK_SECRET may hold only A-Z, a-z, 0-9, _ and - (at most 256 characters)"
    if settings.webhook_path and not _PATH.fullmatch(settings.webhook_path):
        return "WEBHOOK_PATH must start with / and hold only URL path characters"
    return None


class SecretCheckingHandler(SimpleRequestHandler):
    """aiogram's handler with the secret compared as bytes in constant time.

    aiogram compares str with `secrets.compare_digest`, which raises on a non-ASCII header (a 500
    instead of a refusal); bytes never do.
    """

    def verify_secret(self, telegram_secret_token: str, bot: Bot) -> bool:
        """Whether the request carries the configured secret (never true without one)."""
        if not self.secret_token:
            return False
        given = telegram_secret_token.encode("utf-8", "surrogateescape")
        return hmac.compare_digest(given, self.secret_token.encode())


@asynccontextmanager
async def webhook_server(
    bot: Bot, dispatcher: Dispatcher, settings: Settings, *, register: bool = True
) -> AsyncIterator[int]:
    """Serve Telegram's webhook calls while the block runs; yields the bound port.

    With `register` the webhook (URL + path, and the secret) is set at Telegram.
    """
    error = webhook_settings_error(settings)
    secret = reveal(settings.webhook_secret)
    if error or not settings.webhook_url or not secret:
        raise ValueError(error or "webhook mode needs WEBHOOK_URL and WEBHOOK_SECRET")
    path = settings.resolved_webhook_path
    app = web.Application()
    SecretCheckingHandler(dispatcher=dispatcher, bot=bot, secret_token=secret).register(
        app, path=path
    )
    setup_application(app, dispatcher, bot=bot)
    runner = web.AppRunner(app, access_log=None)  # the access log would print the secret path
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
        await site.start()
        port = int(runner.addresses[0][1])
        if register:
            await bot.set_webhook(
                settings.webhook_url.rstrip("/") + path,
                secret_token=secret,
                allowed_updates=dispatcher.resolve_used_update_types(),
            )
        log.info("webhook_started", port=port)
        yield port
    finally:
        await runner.cleanup()
