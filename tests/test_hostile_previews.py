"""Hostile t.me preview servers: redirect loops end with a clear error, never a hang."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.web_preview import WebPreviewSource
from core.errors import ChannelNotReadable, ChannelSourceError


@pytest.fixture
async def looping_server() -> AsyncIterator[tuple[str, list[str]]]:
    """/s/alpha redirects to /s/bravo and back, forever; every request is recorded."""
    requests: list[str] = []

    async def bounce(request: web.Request) -> web.Response:
        requests.append(request.path_qs)
        target = "bravo" if request.match_info["name"] == "alpha" else "alpha"
        raise web.HTTPFound(f"/s/{target}")

    app = web.Application()
    app.router.add_get("/s/{name}", bounce)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("/")), requests
    await server.close()


async def test_redirect_loop_is_a_source_error(looping_server: tuple[str, list[str]]) -> None:
    """A preview that redirects in a circle fails after a bounded number of requests."""
    base_url, requests = looping_server
    async with WebPreviewSource(base_url, timeout=5.0) as source:
        with pytest.raises((ChannelSourceError, ChannelNotReadable)) as caught:
            await source.fetch_page("alpha")
    assert 1 <= len(requests) <= 20
    assert "Traceback" not in str(caught.value) and len(str(caught.value)) < 160
