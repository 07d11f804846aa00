"""What the question service returns: answers, their sources, and ranked search results."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from core.embedding.models import DenseCoverage
from core.ports import IndexDocument
from core.rag.query import ParsedQuestion

if TYPE_CHECKING:
    from core.quotas.service import QuotaExceeded


class AnswerStatus(StrEnum):
    """Outcome of a question."""

    OK = "ok"
    NOT_INDEXED = "not_indexed"  # the chat's posts are not searchable yet
    ERROR = "error"  # the search failed; the user gets an apology
    INVALID = "invalid"  # nothing to ask, or a filter names a channel the chat does not follow

    @property
    def public(self) -> str:
        """The status as `tgassist ask --json` reports it (ok, not_indexed or error)."""
        return "error" if self is AnswerStatus.INVALID else self.value


class AnswerMode(StrEnum):
    """How the answer text was made."""

    LLM = "llm"
    EXTRACTIVE = "extractive"
    NONE = "none"  # no answer text (not indexed, error, invalid, nothing found)


class Fallback(StrEnum):
    """Why an extractive answer was given although a model is configured."""

    LLM_FAILED = "llm_failed"  # timeouts, 429s or 5xx outlasted the retries
    QUOTA = "quota"  # the chat's daily token budget or question limit is used up


class Problem(StrEnum):
    """What was wrong with an INVALID question."""

    EMPTY = "empty"
    UNKNOWN_CHANNEL = "unknown_channel"


@dataclass(frozen=True, slots=True)
class SourceRef:
    """One post cited by an answer or returned by a search."""

    username: str | None
    channel_title: str
    channel_id: int
    message_id: int
    url: str
    date: datetime

    @classmethod
    def of(cls, document: IndexDocument) -> SourceRef:
        """The reference to an indexed post."""
        return cls(
            username=document.channel_username,
            channel_title=document.channel_title,
            channel_id=document.channel_id,
            message_id=document.message_id,
            url=document.permalink,
            date=document.date,
        )

    @property
    def channel(self) -> str:
        """The channel's username, or its title when it has none."""
        return self.username or self.channel_title

    def to_json(self) -> dict[str, Any]:
        """The reference as CLI JSON."""
        return {
            "channel": self.channel,
            "message_id": self.message_id,
            "url": self.url,
            "date": self.date.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Source:
    """A ranked post (numbered as cited), with copies of the same story in other channels."""

    number: int
    post: SourceRef
    score: float
    snippet: str
    also: tuple[SourceRef, ...] = ()  # near-duplicates collapsed into this hit

    @property
    def refs(self) -> tuple[SourceRef, ...]:
        """Every post behind this source, the best-ranked first."""
        return (self.post, *self.also)

    def to_json(self) -> dict[str, Any]:
        """The source as CLI JSON: channel, message_id, url, score, snippet (+ date, also)."""
        return {
            "channel": self.post.channel,
            "message_id": self.post.message_id,
            "url": self.post.url,
            "score": round(self.score, 6),
            "snippet": self.snippet,
            "date": self.post.date.isoformat(),
            "also": [ref.to_json() for ref in self.also],
        }


@dataclass(slots=True)
class Answer:
    """The outcome of one question, ready for the bot or the CLI to render."""

    status: AnswerStatus
    question: ParsedQuestion
    mode: AnswerMode = AnswerMode.NONE
    text: str = ""  # plain text with [n] citation markers; rendering escapes it
    sources: list[Source] = field(default_factory=list)
    fallback: Fallback | None = None
    quota: QuotaExceeded | None = None  # the limit that forced the fallback, for the notice
    problem: Problem | None = None
    problem_detail: str = ""  # e.g. the unknown channel name
    error_detail: str = ""  # why the search failed (for logs and the CLI, never for chats)
    channels: int = 0  # subscribed channels (for NOT_INDEXED)
    pending_posts: int | None = None  # posts waiting to be indexed (NOT_INDEXED, OK), if known
    # Nothing found while some posts still lack their dense vector: how many are ready of all.
    meaning_pending: DenseCoverage | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: int = 0

    @property
    def tokens(self) -> int:
        """LLM tokens spent on this answer."""
        return self.prompt_tokens + self.completion_tokens

    def cited_channel_ids(self) -> list[int]:
        """Distinct channels of every post the answer cites, in citation order."""
        seen: dict[int, None] = {}
        for source in self.sources:
            for ref in source.refs:
                seen.setdefault(ref.channel_id, None)
        return list(seen)


@dataclass(slots=True)
class SearchOutcome:
    """Ranked posts for a query (no generation)."""

    status: AnswerStatus
    question: ParsedQuestion
    results: list[Source] = field(default_factory=list)
    problem: Problem | None = None
    problem_detail: str = ""
    error_detail: str = ""
    latency_ms: int = 0
