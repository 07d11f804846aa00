"""An OpenAI-compatible chat model (the openai SDK; OpenAI, OpenRouter, Ollama, vLLM)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import openai

from adapters.openai_client import openai_client
from core.rag.ports import ChatMessage, ChatReply, LLMError

_RETRYABLE_STATUS = frozenset({408, 409, 429})


class OpenAIChatModel:
    """`ChatModel` over `/v1/chat/completions`; one attempt per call (the core retries)."""

    def __init__(self, client: openai.AsyncOpenAI, model: str, *, temperature: float = 0.2):
        self._client = client
        self._model = model
        self._temperature = temperature

    @classmethod
    def create(
        cls, model: str, *, base_url: str | None, api_key: str | None, timeout: float
    ) -> OpenAIChatModel:
        """A model with its own SDK client: `timeout` per attempt, SDK retries off."""
        return cls(openai_client(base_url=base_url, api_key=api_key, timeout=timeout), model)

    @property
    def model(self) -> str:
        """The model name."""
        return self._model

    async def complete(self, messages: Sequence[ChatMessage], *, max_tokens: int) -> ChatReply:
        """One chat completion; SDK errors become LLMError (retryable or not)."""
        try:
            response = await self._client.chat.completions.create(
                model=self._model,
                messages=[
                    {"role": message.role, "content": message.content}  # type: ignore[misc]
                    for message in messages
                ],
                max_tokens=max_tokens,
                temperature=self._temperature,
            )
        except openai.APIConnectionError as error:  # includes APITimeoutError
            raise LLMError(f"{type(error).__name__}: {error}", retryable=True) from error
        except openai.APIStatusError as error:
            status = error.status_code
            raise LLMError(
                f"HTTP {status}: {_message(error)}",
                retryable=status in _RETRYABLE_STATUS or status >= 500,
                retry_after=_retry_after(error.response.headers),
            ) from error
        except openai.OpenAIError as error:
            raise LLMError(f"{type(error).__name__}: {error}", retryable=False) from error
        choices = response.choices or []
        text = (choices[0].message.content or "") if choices else ""
        usage = response.usage
        return ChatReply(
            text=text,
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
        )

    async def close(self) -> None:
        """Close the SDK client."""
        await self._client.close()


def _message(error: openai.APIStatusError) -> str:
    body: Any = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])[:200]
    return str(error)[:200]


def _retry_after(headers: Any) -> float | None:
    """Seconds a server asked us to wait (retry-after-ms or retry-after), if any."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name) if headers is not None else None
        if value is None:
            continue
        try:
            return max(0.0, float(value) * scale)
        except ValueError:
            continue  # an HTTP date: the default backoff will do
    return None
