"""Downloading post images: http(s) URLs (web previews) and Bot API files (getFile + file URL)."""

from __future__ import annotations

import fnmatch
import io
from collections.abc import Iterable
from typing import Any

import aiohttp
from yarl import URL

from core.media.models import FetchedMedia, MediaFetchError, MediaTooLarge, MediaUnavailable
from core.media.service import TELEGRAM_FILE_PREFIX

_CHUNK = 64 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class _LimitedBuffer(io.BytesIO):
    """A buffer that refuses to grow past a limit, so a lying server cannot fill memory."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self._limit = limit

    def write(self, data: Any) -> int:
        if self.tell() + len(data) > self._limit:
            raise MediaTooLarge(f"more than {self._limit} bytes")
        return super().write(data)


class TelegramFiles:
    """Bot API files through aiogram's Bot: getFile, then the file URL (the bot token stays inside)."""

    def __init__(self, token: str, api_base: str, timeout: float = 60.0) -> None:
        self._token = token
        self._api_base = api_base
        self._timeout = timeout
        self._bot: Any = None

    def _client(self) -> Any:
        if self._bot is None:
            from aiogram import Bot
            from aiogram.client.session.aiohttp import AiohttpSession
            from aiogram.client.telegram import TelegramAPIServer

            session = AiohttpSession(api=TelegramAPIServer.from_base(self._api_base))
            self._bot = Bot(self._token, session=session)
        return self._bot

    async def fetch(self, file_id: str, max_bytes: int) -> FetchedMedia:
        """Download one file by its id."""
        from aiogram.exceptions import (
            TelegramBadRequest,
            TelegramNetworkError,
            TelegramNotFound,
            TelegramRetryAfter,
            TelegramServerError,
        )

        bot = self._client()
        try:
            file = await bot.get_file(file_id)
        except TelegramBadRequest as error:
            if "too big" in str(error).lower():
                raise MediaTooLarge(str(error)) from error
            raise MediaUnavailable(str(error)) from error
        except TelegramNotFound as error:
            raise MediaUnavailable(str(error)) from error
        except (TelegramNetworkError, TelegramRetryAfter, TelegramServerError) as error:
            raise MediaFetchError(str(error)) from error
        if file.file_size is not None and file.file_size > max_bytes:
            raise MediaTooLarge(f"{file.file_size} bytes")
        if not file.file_path:
            raise MediaUnavailable("the Bot API gave no file path")
        buffer = _LimitedBuffer(max_bytes)
        try:
            await bot.download_file(file.file_path, destination=buffer, timeout=int(self._timeout))
        except aiohttp.ClientResponseError as error:
            if error.status in (404, 410):
                raise MediaUnavailable(f"HTTP {error.status}") from error
            raise MediaFetchError(f"HTTP {error.status}") from error
        except (aiohttp.ClientError, TimeoutError) as error:
            raise MediaFetchError(type(error).__name__) from error
        return FetchedMedia(buffer.getvalue(), None)

    async def close(self) -> None:
        """Close the bot's HTTP session."""
        if self._bot is not None:
            await self._bot.session.close()
            self._bot = None


# Where t.me/s pages put post images and video thumbnails (cdn1..cdn5 of each).
TELEGRAM_CDN_HOSTS = ("cdn*.telesco.pe", "cdn*.cdn-telegram.org", "cdn*.telegram-cdn.org")
MAX_REDIRECTS = 3


def host_allowed(url: URL, patterns: Iterable[str]) -> bool:
    """Whether `url` is http(s) on a host matching one of `patterns` (`*` wildcards)."""
    host = (url.host or "").lower().rstrip(".")
    if url.scheme not in ("http", "https") or not host:
        return False
    return any(fnmatch.fnmatchcase(host, pattern.lower()) for pattern in patterns)


class HttpImageFetcher:
    """Fetches `http(s)://` URLs with aiohttp and `tg-file:<id>` through the Bot API.

    URLs come from scraped pages, so only `allowed_hosts` (Telegram's CDN) are fetched, and a
    redirect is followed only to another allowed host: a post cannot make the worker fetch
    internal addresses or arbitrary sites.
    """

    def __init__(
        self,
        telegram: TelegramFiles | None = None,
        timeout: float = 30.0,
        *,
        allowed_hosts: Iterable[str] = TELEGRAM_CDN_HOSTS,
    ) -> None:
        self._telegram = telegram
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._allowed_hosts = tuple(allowed_hosts)
        self._session: aiohttp.ClientSession | None = None

    async def fetch(self, source: str, max_bytes: int) -> FetchedMedia:
        """Download a medium, refusing more than `max_bytes`."""
        if source.startswith(TELEGRAM_FILE_PREFIX):
            if self._telegram is None:
                raise MediaFetchError("no bot token: Bot API files cannot be downloaded")
            return await self._telegram.fetch(source.removeprefix(TELEGRAM_FILE_PREFIX), max_bytes)
        if not source.startswith(("http://", "https://")):
            raise MediaUnavailable("not a downloadable source")
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            return await self._fetch_url(self._session, URL(source), max_bytes)
        except aiohttp.ClientError as error:
            raise MediaFetchError(type(error).__name__) from error
        except ValueError as error:  # a URL yarl cannot parse
            raise MediaUnavailable("not a valid URL") from error

    async def _fetch_url(
        self, session: aiohttp.ClientSession, url: URL, max_bytes: int
    ) -> FetchedMedia:
        for _ in range(MAX_REDIRECTS + 1):
            if not host_allowed(url, self._allowed_hosts):
                raise MediaUnavailable(f"host not allowed: {url.host}")
            async with session.get(url, allow_redirects=False) as response:
                if response.status in _REDIRECTS:
                    location = response.headers.get("Location", "")
                    url = url.join(URL(location))
                    continue
                return await self._read(response, max_bytes)
        raise MediaUnavailable(f"more than {MAX_REDIRECTS} redirects")

    @staticmethod
    async def _read(response: aiohttp.ClientResponse, max_bytes: int) -> FetchedMedia:
        status = response.status
        if status in (408, 429) or status >= 500:
            raise MediaFetchError(f"HTTP {status}")  # may pass: retried later
        if status >= 400:
            raise MediaUnavailable(f"HTTP {status}")
        if response.content_length is not None and response.content_length > max_bytes:
            raise MediaTooLarge(f"{response.content_length} bytes")
        buffer = _LimitedBuffer(max_bytes)
        async for chunk in response.content.iter_chunked(_CHUNK):
            buffer.write(chunk)
        return FetchedMedia(buffer.getvalue(), response.headers.get("Content-Type"))

    async def close(self) -> None:
        """Close HTTP sessions."""
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._telegram is not None:
            await self._telegram.close()
