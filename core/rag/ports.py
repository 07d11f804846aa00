"""Ports of the questions feature: the chat model, the question log, and the budget gate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from core.channels.ports import ChannelRepository
from core.embedding.models import DenseCoverage
from core.errors import CoreError
from core.ports import PostRepository, Transaction


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message of a chat completion request."""

    role: str  # "system", "user" or "assistant"
    content: str


@dataclass(frozen=True, slots=True)
class ChatReply:
    """The model's reply and the tokens it cost."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0


class LLMError(CoreError):
    """A chat completion failed; `retryable` for timeouts, 429s, 5xx and lost connections."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class ChatModel(Protocol):
    """An OpenAI-compatible chat endpoint (OpenAI, OpenRouter, Ollama, vLLM)."""

    @property
    def model(self) -> str: ...

    async def complete(self, messages: Sequence[ChatMessage], *, max_tokens: int) -> ChatReply:
        """One attempt (no retries: the caller decides); raises LLMError."""
        ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class QuestionRecord:
    """One asked question and its outcome, kept per tenant (interests and quotas read them)."""

    tenant_id: int
    text: str
    status: str
    mode: str
    user_id: int | None = None
    latency_ms: int = 0
    sources_count: int = 0
    source_channel_ids: list[int] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    id: int | None = None
    created_at: datetime | None = None


class QuestionRepository(Protocol):
    """The question log (table `questions`)."""

    async def add(self, record: QuestionRecord) -> int:
        """Store a question; returns its id."""
        ...

    async def add_many(self, records: Sequence[QuestionRecord]) -> None:
        """Store a batch of questions at once."""
        ...

    async def recent(
        self, tenant_id: int, *, since: datetime | None = None, limit: int = 100
    ) -> list[QuestionRecord]:
        """A tenant's questions, newest first."""
        ...

    async def delete_before(self, moment: datetime) -> int:
        """Remove questions asked before `moment` (retention); returns how many."""
        ...


class TokenReservation(Protocol):
    """Tokens held for one LLM call (core.quotas.Reservation)."""

    async def commit(self, actual_tokens: int | None = None) -> None: ...

    async def release(self) -> None: ...


class QuestionGate(Protocol):
    """Per-tenant limits on questions (core.quotas.BudgetGate fits).

    Both methods raise core.quotas.QuotaExceeded (BudgetExhausted for tokens) when over a limit.
    """

    async def check_question(self, tenant_id: int) -> None: ...

    async def reserve(self, tenant_id: int, estimated_tokens: int) -> TokenReservation: ...


class MeaningCoverage(Protocol):
    """How many of a chat's posts have their dense vector (core.embedding.EmbeddingService fits)."""

    async def coverage(self, tenant_id: int) -> tuple[DenseCoverage, dict[int, int]]: ...


class QuestionsUnitOfWork(Transaction, Protocol):
    """What answering reads and the question log writes."""

    @property
    def channels(self) -> ChannelRepository: ...

    @property
    def posts(self) -> PostRepository: ...

    @property
    def questions(self) -> QuestionRepository: ...
