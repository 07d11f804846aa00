"""An OpenAI-compatible vision model (the openai SDK; OpenAI, OpenRouter, Ollama, vLLM)."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from typing import Any

from adapters.openai_client import openai_client
from core.vision.models import VisionContext, VisionImage, VisionReply

SYSTEM_PROMPT = (
    "You describe the images of a Telegram channel post so the post can be found by search. "
    "All images belong to the same post (an album is described as a whole). Reply with one JSON "
    'object: {"description": "...", "text": "..."}. "description": one to three factual '
    "sentences on what the images show, in the language of the post text (English when there "
    'is none). "text": any text readable in the images, verbatim, or "" when there is none.'
)
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")
_POST_TEXT_LIMIT = 1500


def parse_reply(content: str) -> tuple[str, str]:
    """(description, text) from the model's reply; a reply that is not JSON is the description."""
    stripped = _FENCE.sub("", content.strip())
    try:
        value = json.loads(stripped)
    except ValueError:
        return content.strip(), ""
    if not isinstance(value, dict):
        return content.strip(), ""
    return str(value.get("description") or "").strip(), str(value.get("text") or "").strip()


def data_url(image: VisionImage) -> str:
    """The image inline as a `data:` URL (works with every OpenAI-compatible server)."""
    return f"data:{image.mime_type};base64,{base64.b64encode(image.data).decode('ascii')}"


class OpenAIVisionModel:
    """Chat completions with image parts; retries are the vision service's business."""

    def __init__(self, client: Any, model: str, *, max_tokens: int = 500) -> None:
        self._client = client
        self._model = model
        self._max_tokens = max_tokens

    @classmethod
    def create(
        cls, model: str, *, base_url: str | None, api_key: str | None, timeout: float
    ) -> OpenAIVisionModel:
        """A model with its own SDK client (SDK retries off)."""
        return cls(openai_client(base_url=base_url, api_key=api_key, timeout=timeout), model)

    @property
    def model(self) -> str:
        """The model name."""
        return self._model

    async def describe(self, images: Sequence[VisionImage], context: VisionContext) -> VisionReply:
        """One request with every image of the post; returns the description and image text."""
        channel = f"@{context.channel_username}" if context.channel_username else "(no username)"
        intro = (
            f"Channel: {channel} — {context.channel_title}\n"
            f"Images: {len(images)}\n"
            f"Post text: {context.post_text[:_POST_TEXT_LIMIT] or '(none)'}"
        )
        content: list[dict[str, Any]] = [{"type": "text", "text": intro}]
        content.extend(
            {"type": "image_url", "image_url": {"url": data_url(image)}} for image in images
        )
        response = await self._client.chat.completions.create(
            model=self._model,
            messages=[
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": content},
            ],
            max_tokens=self._max_tokens,
            temperature=0,
        )
        reply = response.choices[0].message.content or ""
        description, text = parse_reply(reply)
        if not description and not text:
            raise ValueError("the vision model returned an empty description")
        usage = getattr(response, "usage", None)
        tokens = int(getattr(usage, "total_tokens", 0) or 0)
        return VisionReply(description=description, text=text, tokens=tokens)

    async def close(self) -> None:
        """Close the SDK client."""
        await self._client.close()
