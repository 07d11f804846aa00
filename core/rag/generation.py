"""LLM answers: the prompt (retrieved posts only), retries with backoff, citation clean-up."""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Awaitable, Callable, Sequence

import structlog

from core.rag.ports import ChatMessage, ChatModel, ChatReply, LLMError, TokenReservation
from core.rag.retrieval import RankedPost
from core.text.tokens import clip

log = structlog.get_logger(__name__)

SYSTEM_PROMPT = (
    "You answer questions about posts from Telegram channels the user follows.\n"
    "- Use only the numbered posts you are given; no outside knowledge, no guessing.\n"
    "- Answer in the language of the question, briefly: a few sentences or a short list.\n"
    "- Mark every statement with the number of the post it comes from in square brackets, "
    "like [1] or [2][3].\n"
    "- If the posts do not answer the question, say so plainly in one sentence.\n"
    "- Do not add a list of sources or links: they are shown for you."
)
POST_CHARS = 1500  # of each post in the prompt; news posts rarely need more
MAX_BACKOFF_SECONDS = 10.0
_CITATION_GROUP = re.compile(r"\[(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\]")

Sleep = Callable[[float], Awaitable[None]]


def build_messages(question: str, posts: Sequence[RankedPost]) -> list[ChatMessage]:
    """System rules plus the numbered posts and the question; nothing else reaches the model."""
    blocks = []
    for number, post in enumerate(posts, start=1):
        document = post.document
        channel = f"@{document.channel_username}" if document.channel_username else "channel"
        heading = (
            f"[{number}] {channel} ({document.channel_title}), {document.date:%Y-%m-%d %H:%M} UTC"
        )
        blocks.append(f"{heading}\n{clip(document.text, POST_CHARS) or '(no text)'}")
    user = "Posts:\n\n" + "\n\n".join(blocks) + f"\n\nQuestion: {question}"
    return [ChatMessage("system", SYSTEM_PROMPT), ChatMessage("user", user)]


def estimate_tokens(messages: Sequence[ChatMessage], max_tokens: int) -> int:
    """A generous token estimate for reserving budget (~3 characters per token, plus the reply)."""
    return sum(len(message.content) for message in messages) // 3 + 8 * len(messages) + max_tokens


def cited_numbers(text: str, count: int) -> list[int]:
    """Valid citation numbers (1..count) in order of first appearance."""
    seen: dict[int, None] = {}
    for group in _CITATION_GROUP.finditer(text):
        for number in re.findall(r"\d+", group.group(1)):
            if 1 <= int(number) <= count:
                seen.setdefault(int(number), None)
    return list(seen)


def drop_invalid_citations(text: str, count: int) -> str:
    """Remove citation numbers that point at no source (a model may invent [7] of 5)."""

    def keep(match: re.Match[str]) -> str:
        numbers = [n for n in re.findall(r"\d+", match.group(1)) if 1 <= int(n) <= count]
        return f"[{', '.join(numbers)}]" if numbers else ""

    return _CITATION_GROUP.sub(keep, text).strip()


async def complete_with_retries(
    model: ChatModel,
    messages: Sequence[ChatMessage],
    *,
    max_tokens: int,
    retries: int,
    base_delay: float,
    sleep: Sleep = asyncio.sleep,
) -> ChatReply:
    """Call the model; timeouts, 429s and 5xx are retried with exponential backoff and jitter.

    A server's Retry-After is honoured up to MAX_BACKOFF_SECONDS. Raises the last LLMError.
    """
    attempt = 0
    while True:
        try:
            reply = await model.complete(messages, max_tokens=max_tokens)
        except LLMError as error:
            if not error.retryable or attempt >= retries:
                raise
            backoff = base_delay * 2**attempt * (1 + random.random() / 4)
            delay = min(max(backoff, error.retry_after or 0.0), MAX_BACKOFF_SECONDS)
            log.warning("llm_retry", attempt=attempt + 1, delay=round(delay, 3), error=str(error))
            await sleep(delay)
            attempt += 1
            continue
        if not reply.text.strip():
            raise LLMError("the model returned an empty answer", retryable=False)
        return reply


async def settle_reservation(reservation: TokenReservation, reply: ChatReply | None) -> None:
    """Book the tokens of a successful call; give the reservation back otherwise (never raises)."""
    try:
        if reply is None:
            await reservation.release()
        else:
            used = reply.prompt_tokens + reply.completion_tokens
            await reservation.commit(used or None)  # None books the estimate (not reported)
    except Exception as error:
        log.warning("budget_settle_failed", error=str(error))
