"""A story's summary: a model's two cited sentences from its posts only, or extractive lines.

The model path goes through the chat's token budget (the gate of answers) and falls back to
the extractive lines when the budget is spent, no model is configured, or the model fails.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import structlog

from core.digests.models import DigestPost
from core.quotas.service import QuotaExceeded
from core.rag.generation import (
    complete_with_retries,
    drop_invalid_citations,
    estimate_tokens,
    settle_reservation,
)
from core.rag.ports import ChatMessage, ChatModel, LLMError, QuestionGate
from core.text.sentences import sentences
from core.text.tokens import clip

log = structlog.get_logger(__name__)

SUMMARY_PROMPT = (
    "You summarise one news story from Telegram channel posts.\n"
    "- Use only the numbered posts; no outside knowledge.\n"
    "- Write one or two short sentences in the language of the posts.\n"
    "- Mark every statement with the number of its post in square brackets, like [1].\n"
    "- No headline, no list of sources."
)
SUMMARY_TOKENS = 160
POST_CHARS = 800
LINE_CHARS = 220
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([.,;:!?])")  # left where a citation was dropped


def extractive_summary(posts: Sequence[DigestPost]) -> str:
    """The first sentence of the story's first post, cited [1] (the second post's, when different)."""
    lines = []
    seen: set[str] = set()
    for number, post in enumerate(posts[:2], start=1):
        first = next(iter(sentences(post.text)), "")
        line = clip(first, LINE_CHARS)
        if line and line.lower() not in seen:
            seen.add(line.lower())
            lines.append(f"{line} [{number}]")
    return " ".join(lines[:1]) if len(lines) == 1 else " ".join(lines)


class StorySummarizer:
    """Writes story summaries with the model when allowed, extractively otherwise."""

    def __init__(
        self, model: ChatModel | None, gate: QuestionGate | None, *, retries: int = 1
    ) -> None:
        self._model = model
        self._gate = gate
        self._retries = retries

    async def summarize(self, tenant_id: int, posts: Sequence[DigestPost]) -> str:
        """A short cited summary of the posts (numbered as the story's sources)."""
        if self._model is None or not posts:
            return extractive_summary(posts)
        blocks = [
            f"[{number}] {post.channel_name}, {post.date:%Y-%m-%d %H:%M} UTC\n"
            f"{clip(post.text, POST_CHARS)}"
            for number, post in enumerate(posts, start=1)
        ]
        messages = [
            ChatMessage("system", SUMMARY_PROMPT),
            ChatMessage("user", "Posts:\n\n" + "\n\n".join(blocks)),
        ]
        reservation = None
        if self._gate is not None:
            try:
                reservation = await self._gate.reserve(
                    tenant_id, estimate_tokens(messages, SUMMARY_TOKENS)
                )
            except QuotaExceeded:
                log.info("digest_summary_over_budget", tenant_id=tenant_id)
                return extractive_summary(posts)
        reply = None
        try:
            reply = await complete_with_retries(
                self._model,
                messages,
                max_tokens=SUMMARY_TOKENS,
                retries=self._retries,
                base_delay=0.5,
            )
        except LLMError as error:
            log.warning("digest_summary_failed", tenant_id=tenant_id, error=str(error))
        finally:
            if reservation is not None:
                await settle_reservation(reservation, reply)
        if reply is None:
            return extractive_summary(posts)
        text = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", drop_invalid_citations(reply.text, len(posts)))
        return text or extractive_summary(posts)
