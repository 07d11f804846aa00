"""One way to build an OpenAI-compatible SDK client (OpenAI, OpenRouter, Ollama, vLLM)."""

from __future__ import annotations

from typing import Any

from core.extras import require


def openai_client(*, base_url: str | None, api_key: str | None, timeout: float) -> Any:
    """An `AsyncOpenAI` client: `timeout` per attempt, SDK retries off (our services retry)."""
    openai = require("openai", "llm")
    # Local servers (Ollama, vLLM) need no key, but the SDK refuses to start without one.
    return openai.AsyncOpenAI(
        base_url=base_url, api_key=api_key or "not-needed", timeout=timeout, max_retries=0
    )
