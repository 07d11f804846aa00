"""A fake OpenAI-compatible server for the ``openai`` SDK (``base_url=fake.base_url``).

Serves ``POST /v1/chat/completions`` (plain and ``stream=true``), ``POST /v1/embeddings`` (float
and base64 encodings; the SDK asks for base64 by default) and ``GET /v1/models``. Replies come
from a scriptable responder; embeddings are deterministic feature-hashed bag-of-words vectors,
so texts sharing words are closer than unrelated texts and retrieval tests mean something.
Errors use OpenAI's body shape and ``retry-after`` header, so the SDK raises its real exception
classes (``RateLimitError``, ``InternalServerError``, ...).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import inspect
import itertools
import json
import math
import re
import struct
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Self

from aiohttp import web

Responder = Callable[[dict[str, Any]], str | Awaitable[str]]

IMAGE_TOKENS = 85  # what OpenAI bills for a low-detail image
_TOKEN_RE = re.compile(r"\w+|[^\w\s]")
_WORD_RE = re.compile(r"\w+")

_ERROR_TYPES = {
    400: ("invalid_request_error", None, "Invalid request"),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided"),
    404: ("invalid_request_error", "model_not_found", "The model does not exist"),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached for requests"),
    500: ("server_error", None, "The server had an error while processing your request"),
    502: ("server_error", None, "Bad gateway"),
    503: ("server_error", None, "The engine is currently overloaded, please try again later"),
}


def count_tokens(text: str) -> int:
    """A deterministic stand-in for a tokenizer: words and punctuation marks."""
    return len(_TOKEN_RE.findall(text))


def message_text(message: dict[str, Any]) -> str:
    """The text of a chat message whether ``content`` is a string or a list of parts."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if p.get("type") == "text")
    return ""


def last_user_text(request: dict[str, Any]) -> str:
    """Text of the last ``user`` message of a chat completion request (for responders)."""
    for message in reversed(request.get("messages", [])):
        if message.get("role") == "user":
            return message_text(message)
    return ""


def image_urls(request: dict[str, Any]) -> list[str]:
    """URLs (often ``data:`` URLs) of all image parts in a chat completion request."""
    return [
        part["image_url"]["url"] if isinstance(part["image_url"], dict) else part["image_url"]
        for message in request.get("messages", [])
        if isinstance(message.get("content"), list)
        for part in message["content"]
        if part.get("type") == "image_url"
    ]


def echo_responder(request: dict[str, Any]) -> str:
    """Default reply: ``echo: <last user text>``, plus ``[images: N]`` for vision requests."""
    reply = f"echo: {last_user_text(request)}"
    if images := image_urls(request):
        reply += f" [images: {len(images)}]"
    return reply


def hashed_embedding(text: str, dim: int) -> list[float]:
    """L2-normalised feature hashing of lowercase words (stable across processes)."""
    vector = [0.0] * dim
    words = _WORD_RE.findall(text.lower()) or [text]
    for word in words:
        digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
        bucket = int.from_bytes(digest[:4], "little") % dim
        vector[bucket] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


@dataclass
class LLMRequest:
    """One request as received: path, parsed JSON body, headers, arrival time, reply status."""

    path: str
    json: dict[str, Any]
    headers: dict[str, str]
    at: float
    status: int = 0  # 0 until answered


@dataclass
class _Failure:
    status: int
    times: int
    retry_after: float | None


class OpenAIError(Exception):
    """Raise from a responder to answer with an OpenAI-shaped error."""

    def __init__(
        self, status: int, message: str | None = None, retry_after: float | None = None
    ) -> None:
        kind, code, default = _ERROR_TYPES.get(status, ("api_error", None, f"Error {status}"))
        super().__init__(message or default)
        self.status = status
        self.retry_after = retry_after
        self.body = {
            "error": {"message": message or default, "type": kind, "param": None, "code": code}
        }

    def response(self) -> web.Response:
        headers = {}
        if self.retry_after is not None:
            headers["retry-after"] = f"{self.retry_after:g}"
            headers["retry-after-ms"] = str(int(self.retry_after * 1000))
        return web.json_response(self.body, status=self.status, headers=headers)


class FakeOpenAI:
    """In-process OpenAI-compatible API on 127.0.0.1."""

    def __init__(
        self,
        *,
        responder: Responder | None = None,
        embedding_dim: int = 384,
        api_key: str | None = None,
        models: tuple[str, ...] = ("fake-chat", "fake-embed"),
    ) -> None:
        self.responder: Responder = responder or echo_responder
        self.embedding_dim = embedding_dim
        self.api_key = api_key  # None: any key (or none) is accepted
        self.models = models
        self.requests: list[LLMRequest] = []
        self.internal_errors: list[BaseException] = []
        self._failures: deque[_Failure] = deque()
        self._always_fail: int | None = None
        self._delay = 0.0
        self._ids = itertools.count(1)
        self._app = web.Application(client_max_size=64 * 1024 * 1024)
        self._app.router.add_post("/v1/chat/completions", self._chat_completions)
        self._app.router.add_post("/v1/embeddings", self._embeddings)
        self._app.router.add_get("/v1/models", self._models)
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> Self:
        self._runner = web.AppRunner(self._app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Server root, ``http://127.0.0.1:PORT``."""
        if self._port is None:
            raise RuntimeError("FakeOpenAI is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def base_url(self) -> str:
        """What the SDK takes as ``base_url``: ``{url}/v1``."""
        return f"{self.url}/v1"

    # --- scripting and faults -----------------------------------------------------------------

    def set_responder(self, responder: Responder) -> None:
        self.responder = responder

    def reply_with(self, *replies: str) -> None:
        """Answer the next chat completions with ``replies`` in order, then repeat the last."""
        queue = list(replies)

        def scripted(_: dict[str, Any]) -> str:
            return queue.pop(0) if len(queue) > 1 else queue[0]

        self.responder = scripted

    def fail_next(
        self, status: int = 429, times: int = 1, retry_after: float | None = None
    ) -> None:
        """The next ``times`` requests (any endpoint) fail with ``status``."""
        self._failures.append(_Failure(status, times, retry_after))

    def always_fail(self, status: int | None) -> None:
        """Fail every request with ``status`` until called with None."""
        self._always_fail = status

    def delay(self, seconds: float) -> None:
        """Answer every request only after ``seconds`` (0 removes the delay)."""
        self._delay = seconds

    def clear_faults(self) -> None:
        self._failures.clear()
        self._always_fail = None
        self._delay = 0.0

    def reset(self) -> None:
        """Forget recorded requests (the responder and faults stay)."""
        self.requests = []

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        """JSON bodies of chat completion requests, in arrival order."""
        return [r.json for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def embedding_requests(self) -> list[dict[str, Any]]:
        """JSON bodies of embedding requests, in arrival order."""
        return [r.json for r in self.requests if r.path.endswith("/embeddings")]

    # --- HTTP ---------------------------------------------------------------------------------

    async def _record(self, request: web.Request) -> LLMRequest:
        try:
            body = await request.json()
        except ValueError:
            body = None
        record = LLMRequest(
            request.path,
            body if isinstance(body, dict) else {},
            dict(request.headers),
            time.monotonic(),
        )
        self.requests.append(record)
        return record

    async def _admit(self, request: web.Request, record: LLMRequest) -> None:
        """Apply delay, auth, injected faults and basic validation (raising OpenAIError)."""
        if self._delay:
            await asyncio.sleep(self._delay)
        key = self.api_key
        if key is not None and request.headers.get("Authorization") != f"Bearer {key}":
            raise OpenAIError(401)
        if self._always_fail is not None:
            raise OpenAIError(self._always_fail)
        if self._failures:
            failure = self._failures[0]
            failure.times -= 1
            if failure.times <= 0:
                self._failures.popleft()
            raise OpenAIError(failure.status, retry_after=failure.retry_after)
        if not record.json:
            raise OpenAIError(400, "We could not parse the JSON body of your request.")
        if not record.json.get("model"):
            raise OpenAIError(400, "you must provide a model parameter")

    async def _answer(
        self,
        request: web.Request,
        handler: Callable[[dict[str, Any]], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        record = await self._record(request)
        try:
            await self._admit(request, record)
            response = await handler(record.json)
            record.status = response.status
            return response
        except OpenAIError as e:
            record.status = e.status
            return e.response()
        except Exception as e:  # a bug in the fake or a responder: make it visible
            self.internal_errors.append(e)
            record.status = 500
            return OpenAIError(500, f"fake failed: {e!r}").response()

    async def _chat_completions(self, request: web.Request) -> web.StreamResponse:
        async def handle(body: dict[str, Any]) -> web.StreamResponse:
            messages = body.get("messages")
            if not isinstance(messages, list) or not messages:
                raise OpenAIError(400, "messages must be a non-empty array")
            reply = self.responder(body)
            if inspect.isawaitable(reply):
                reply = await reply
            assert isinstance(reply, str), "a responder must return str"
            prompt_tokens = sum(
                count_tokens(message_text(m)) + 4 for m in messages
            ) + IMAGE_TOKENS * len(image_urls(body))
            usage = {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": count_tokens(reply),
                "total_tokens": prompt_tokens + count_tokens(reply),
            }
            completion_id = f"chatcmpl-fake-{next(self._ids)}"
            if body.get("stream"):
                return await self._stream(request, body, completion_id, reply, usage)
            return web.json_response(
                {
                    "id": completion_id,
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": reply, "refusal": None},
                            "finish_reason": "stop",
                            "logprobs": None,
                        }
                    ],
                    "usage": usage,
                }
            )

        return await self._answer(request, handle)

    async def _stream(
        self,
        request: web.Request,
        body: dict[str, Any],
        completion_id: str,
        reply: str,
        usage: dict[str, int],
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)

        async def send(choices: list[dict[str, Any]], **extra: Any) -> None:
            chunk = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": body["model"],
                "choices": choices,
                **extra,
            }
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())

        await send([{"index": 0, "delta": {"role": "assistant", "content": ""}}])
        for piece in re.findall(r"\S+\s*|\s+", reply):
            await send([{"index": 0, "delta": {"content": piece}, "finish_reason": None}])
        await send([{"index": 0, "delta": {}, "finish_reason": "stop"}])
        if (body.get("stream_options") or {}).get("include_usage"):
            await send([], usage=usage)
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    async def _embeddings(self, request: web.Request) -> web.StreamResponse:
        async def handle(body: dict[str, Any]) -> web.StreamResponse:
            raw = body.get("input")
            inputs: list[Any] = raw if isinstance(raw, list) and raw else [raw]
            if isinstance(raw, list) and raw and all(isinstance(t, int) for t in raw):
                inputs = [raw]  # a single array of token ids
            texts = [
                " ".join(map(str, item)) if isinstance(item, list) else item for item in inputs
            ]
            if not all(isinstance(t, str) and t for t in texts):
                raise OpenAIError(400, "'$.input' is invalid. Please check the API reference.")
            dim = int(body.get("dimensions") or self.embedding_dim)
            as_base64 = body.get("encoding_format") == "base64"
            data = []
            for index, text in enumerate(texts):
                vector = hashed_embedding(text, dim)
                embedding: Any = vector
                if as_base64:
                    packed = struct.pack(f"<{dim}f", *vector)
                    embedding = base64.b64encode(packed).decode()
                data.append({"object": "embedding", "index": index, "embedding": embedding})
            tokens = sum(count_tokens(t) for t in texts)
            return web.json_response(
                {
                    "object": "list",
                    "data": data,
                    "model": body["model"],
                    "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
                }
            )

        return await self._answer(request, handle)

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "object": "list",
                "data": [
                    {"id": m, "object": "model", "created": 0, "owned_by": "fake"}
                    for m in self.models
                ],
            }
        )


__all__ = [
    "FakeOpenAI",
    "LLMRequest",
    "OpenAIError",
    "count_tokens",
    "echo_responder",
    "hashed_embedding",
    "image_urls",
    "last_user_text",
    "message_text",
]
