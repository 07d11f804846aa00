"""End-to-end harness: the real app (container, Dispatcher, polling) against fake Telegram servers."""

from __future__ import annotations

import asyncio
import itertools
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, Self

import aiohttp
from aiogram import Bot, Dispatcher

from app.container import Container, build_container
from app.settings import Settings, reveal
from app.webhook import SECRET_HEADER, webhook_server
from bot.app import create_bot, create_dispatcher
from core.ports import PostIndex
from storage.migrate import upgrade_async
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.fixtures import polling
from tests.services import SERVICES_MODE, postgres_database_for

TEST_TOKEN_SECRET = "TEST-token-abcdefghijklmnopqrstuvwxyz"


def make_settings(tmp_path: Path, bot_api: FakeBotAPI | None = None, **overrides: Any) -> Settings:
    """Settings for a test: no .env, data under tmp_path, lexical index unless told otherwise."""
    values: dict[str, Any] = {
        "bot_token": f"{bot_api.bot_user['id'] if bot_api else 1}:{TEST_TOKEN_SECRET}",
        "telegram_api_base": bot_api.base_url if bot_api else "http://127.0.0.1:9",
        "data_dir": tmp_path / "data",
        "embeddings": "none",
        "log_format": "console",
        "media_allowed_hosts": frozenset({"127.0.0.1"}),  # the tests' image servers play the CDN
    }
    if SERVICES_MODE:
        values["database_url"] = postgres_database_for(tmp_path)
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class BotHarness:
    """Runs the whole bot the way `tgassist run` does, polling a FakeBotAPI.

    With `webhook=True` (settings with WEBHOOK_URL and WEBHOOK_SECRET) it serves the webhook
    instead, and updates arrive as real HTTP POSTs carrying the secret.
    """

    def __init__(
        self,
        settings: Settings,
        bot_api: FakeBotAPI,
        *,
        webhook: bool = False,
        index: PostIndex | None = None,
    ) -> None:
        self.settings = settings
        self.api = bot_api
        self.webhook = webhook
        self._index = index  # a wrapped index, for tests that interleave indexing
        self.webhook_port: int | None = None
        self._update_ids = itertools.count(1)
        self.container: Container
        self.bot: Bot
        self.dispatcher: Dispatcher
        self._stack = AsyncExitStack()

    async def __aenter__(self) -> Self:
        await upgrade_async(self.settings.resolved_database_url)
        self.container = build_container(self.settings, index=self._index)
        self._stack.push_async_callback(self.container.close)
        self.bot = create_bot(self.settings.bot_token.get_secret_value(), self.api.base_url)
        self._stack.push_async_callback(self.bot.session.close)
        self.dispatcher = create_dispatcher(
            self.container.uow_factory, **self.container.handler_services()
        )
        self.container.background_indexer.start()
        if self.webhook:
            self.webhook_port = await self._stack.enter_async_context(
                webhook_server(self.bot, self.dispatcher, self.settings)
            )
            self._http = await self._stack.enter_async_context(aiohttp.ClientSession())
        else:
            await self._stack.enter_async_context(
                polling(self.dispatcher, self.bot, stop_timeout=10, polling_timeout=1)
            )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._stack.aclose()

    async def post_update(self, update: dict[str, Any], *, secret: str | bool | None = True) -> int:
        """POST an update to the webhook (True: the right secret, None: no header); the status."""
        assert self.webhook_port is not None, "post_update needs BotHarness(webhook=True)"
        update = {"update_id": next(self._update_ids), **update}
        if secret is True:
            secret = reveal(self.settings.webhook_secret)
        headers = {SECRET_HEADER: secret} if isinstance(secret, str) else {}
        url = f"http://127.0.0.1:{self.webhook_port}{self.settings.resolved_webhook_path}"
        async with self._http.post(url, json=update, headers=headers) as response:
            return response.status

    async def deliver(self, update: dict[str, Any]) -> None:
        """Hand an update to the bot the way this harness receives them (getUpdates or webhook)."""
        if self.webhook:
            status = await self.post_update(update)
            assert status == 200, status
        else:
            self.api.add_update(update)

    async def send(
        self, text: str, *, replies: int = 1, timeout: float = 10.0, **kw: Any
    ) -> list[str]:
        """Send a message update and return the texts of the next `replies` messages to that chat."""
        update = self.api.message(text, **kw)
        return await self._feed(update, replies=replies, timeout=timeout)

    async def press(self, data: str, *, timeout: float = 10.0, **kw: Any) -> list[dict[str, Any]]:
        """Press an inline button; returns the answerCallbackQuery/edit calls that followed."""
        before = len(self.api.calls())
        answered = len(self.api.calls("answerCallbackQuery"))
        await self.deliver(self.api.callback_query(data, **kw))
        await self.api.wait_for("answerCallbackQuery", count=answered + 1, timeout=timeout)
        return [{"method": call.method, **call.params} for call in self.api.calls()[before:]]

    async def _feed(self, update: dict[str, Any], *, replies: int, timeout: float) -> list[str]:
        chat_id = update["message"]["chat"]["id"]
        already = len(self.api.sent_messages(chat_id))
        await self.deliver(update)
        await self.api.wait_for(
            lambda call: call.method == "sendMessage" and call.ok and call.chat_id == chat_id,
            count=already + replies,
            timeout=timeout,
        )
        return [m["text"] for m in self.api.sent_messages(chat_id)[already:]]

    async def settle(self) -> None:
        """Let background indexing finish."""
        await self.container.background_indexer.drain()


async def eventually(check: Any, *, timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Await `check()` until it returns something truthy (updates without replies need this)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last: {result!r})")
        await asyncio.sleep(interval)
