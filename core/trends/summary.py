"""A one-sentence "what happened" for a trend story, written by the LLM from its posts only.

Within the chat's token budget like answers: the call reserves tokens first (over budget, or
the gate failing, means no call), failures after retries mean no summary, and a missing
summary is never an error: the headline stands for the story. Citations [n] point at the
numbered posts of the prompt; the summary keeps those it cites, as links.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from core.quotas.service import QuotaExceeded
from core.rag.generation import (
    cited_numbers,
    complete_with_retries,
    drop_invalid_citations,
    estimate_tokens,
    settle_reservation,
)
from core.rag.ports import ChatMessage, ChatModel, ChatReply, LLMError, QuestionGate
from core.text.tokens import clip
from core.trends.models import Trend, TrendPostRef

log = structlog.get_logger(__name__)

SYSTEM_PROMPT = (
    "You summarise a news story from the Telegram posts you are given.\n"
    "- Write ONE sentence saying what happened, in the language of the posts.\n"
    "- Use only the numbered posts; no outside knowledge, no guessing.\n"
    "- Mark the sentence with the numbers of the posts it comes from, like [1][3].\n"
    "- No preamble, no list of sources."
)
POST_CHARS = 600  # of each post: the story's gist is in its first lines
MAX_POSTS = 6  # distinct posts (copies left out), one per channel first
SUMMARY_CHARS = 400  # a sentence, whatever the model returns


@dataclass(frozen=True, slots=True)
class StorySummary:
    """One sentence with citations [n], and the URLs the numbers stand for."""

    text: str
    sources: list[str]


class StorySummarizer:
    """Writes story summaries through a chat model, within each chat's budget."""

    def __init__(
        self,
        model: ChatModel,
        gate: QuestionGate | None = None,
        *,
        max_tokens: int = 120,
        retries: int = 1,
        retry_base_delay: float = 0.5,
    ) -> None:
        self._model = model
        self._gate = gate
        self._max_tokens = max_tokens
        self._retries = retries
        self._retry_base_delay = retry_base_delay

    async def summarize(self, tenant_id: int, trend: Trend) -> StorySummary | None:
        """The story in one cited sentence, or None (no budget, the model failed)."""
        posts = prompt_posts(trend.posts)
        messages = build_messages(posts)
        reservation = None
        if self._gate is not None:
            try:
                reservation = await self._gate.reserve(
                    tenant_id, estimate_tokens(messages, self._max_tokens)
                )
            except QuotaExceeded:
                log.info("trend_summary_skipped_budget", tenant_id=tenant_id)
                return None
            except Exception as error:  # no budget accounting, no spending
                log.warning("budget_reserve_failed", tenant_id=tenant_id, error=str(error))
                return None
        reply: ChatReply | None = None
        try:
            reply = await complete_with_retries(
                self._model,
                messages,
                max_tokens=self._max_tokens,
                retries=self._retries,
                base_delay=self._retry_base_delay,
            )
        except LLMError as error:
            log.warning("trend_summary_failed", tenant_id=tenant_id, error=str(error))
        finally:
            if reservation is not None:
                await settle_reservation(reservation, reply)
        if reply is None:
            return None
        cited = cited_numbers(reply.text, len(posts))
        if not cited:
            log.info("trend_summary_uncited", tenant_id=tenant_id)
            return None  # a sentence nobody can check is not shown
        text = clip(drop_invalid_citations(" ".join(reply.text.split()), len(posts)), SUMMARY_CHARS)
        return StorySummary(text, [post.url for post in posts])


def prompt_posts(posts: Sequence[TrendPostRef]) -> list[TrendPostRef]:
    """Up to MAX_POSTS originals (copies left out), one per channel first, oldest first."""
    originals = [post for post in posts if post.copy_of is None] or list(posts)
    chosen: dict[int, TrendPostRef] = {}
    for post in originals:
        chosen.setdefault(post.channel_id, post)
    picked = list(chosen.values())[:MAX_POSTS]
    taken = {post.post_id for post in picked}
    picked += [post for post in originals if post.post_id not in taken][: MAX_POSTS - len(picked)]
    return sorted(picked, key=lambda post: post.date)


def build_messages(posts: Sequence[TrendPostRef]) -> list[ChatMessage]:
    """System rules and the numbered posts; nothing else reaches the model."""
    blocks = [
        f"[{number}] {post.channel_name}, {post.date:%Y-%m-%d %H:%M} UTC\n"
        f"{clip(post.text or post.snippet, POST_CHARS)}"
        for number, post in enumerate(posts, start=1)
    ]
    return [
        ChatMessage("system", SYSTEM_PROMPT),
        ChatMessage("user", "Posts:\n\n" + "\n\n".join(blocks)),
    ]
