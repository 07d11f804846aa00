"""The question service: indexation check, retrieval, an LLM or extractive answer, the log."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from core.batching import BatchWriter
from core.clock import utc_now
from core.embedding.models import DenseCoverage
from core.foreground import ForegroundActivity
from core.metrics import NULL_METRICS, Metrics
from core.ports import PostIndex, SearchFilter, UnitOfWorkFactory
from core.quotas.service import QuotaExceeded
from core.rag.extractive import SentencePicker, extractive_text
from core.rag.generation import (
    build_messages,
    cited_numbers,
    complete_with_retries,
    drop_invalid_citations,
    estimate_tokens,
    settle_reservation,
)
from core.rag.models import (
    Answer,
    AnswerMode,
    AnswerStatus,
    Fallback,
    Problem,
    SearchOutcome,
    Source,
    SourceRef,
)
from core.rag.ports import (
    ChatModel,
    ChatReply,
    LLMError,
    MeaningCoverage,
    QuestionGate,
    QuestionRecord,
    QuestionsUnitOfWork,
    TokenReservation,
)
from core.rag.query import ParsedQuestion, parse_question
from core.rag.retrieval import RankedPost, Retriever
from core.rag.throttle import Refusal, UserRateLimiter

log = structlog.get_logger(__name__)

SMALL_INDEX = 10  # fewer indexed posts than this: answers are likely thin, say so in the log
# "Nothing waits to be indexed" is remembered this long per chat: counting the backlog joins
# every post of the chat's channels (most of an answer's database time on a large chat). Only
# the empty backlog is remembered, so a note never shows a stale number; a backlog that
# appears meanwhile is mentioned at most this much later.
NOTHING_PENDING_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class _NotIndexed:
    channels: int
    pending: int | None


@dataclass(frozen=True, slots=True)
class _Invalid:
    problem: Problem
    detail: str = ""


class QuestionService:
    """Answers a chat's questions from its own indexed posts, with numbered sources."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory[QuestionsUnitOfWork],
        index: PostIndex,
        *,
        chat_model: ChatModel | None = None,
        gate: QuestionGate | None = None,
        metrics: Metrics = NULL_METRICS,
        answer_sources: int = 5,
        max_answer_tokens: int = 800,
        llm_retries: int = 2,
        retry_base_delay: float = 0.5,
        throttle: UserRateLimiter | None = None,
        clock: Callable[[], datetime] = utc_now,
        activity: ForegroundActivity | None = None,
        nothing_pending_seconds: float = NOTHING_PENDING_SECONDS,
        meaning: MeaningCoverage | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self._meaning = meaning  # dense coverage, to explain an empty answer
        self._nothing_pending_for = timedelta(seconds=nothing_pending_seconds)
        self._nothing_pending_until: dict[int, datetime] = {}  # tenant -> until when
        self._counting: dict[int, asyncio.Future[int | None]] = {}  # backlog counts under way
        # Background embedding gives way while answers are in progress.
        self._activity = activity or ForegroundActivity()
        self._log: BatchWriter[QuestionRecord] = BatchWriter(
            self._store_records, name="question-log"
        )
        self._index = index
        self._retriever = Retriever(index)
        self._chat_model = chat_model
        self._gate = gate
        self._metrics = metrics
        self._answer_sources = answer_sources
        self._max_answer_tokens = max_answer_tokens
        self._llm_retries = llm_retries
        self._retry_base_delay = retry_base_delay
        self._throttle = throttle
        self._clock = clock

    def admit(self, user_id: int) -> Refusal | None:
        """Count a user's question against the per-user rate; a Refusal when over it."""
        return self._throttle.admit(user_id) if self._throttle is not None else None

    @property
    def chat_model(self) -> ChatModel | None:
        """The configured model (None: extractive answers); digests write summaries with it."""
        return self._chat_model

    @property
    def question_log(self) -> BatchWriter[QuestionRecord]:
        """The background writer of the question log (flush it before reading the log)."""
        return self._log

    async def close(self) -> None:
        """Store the queued question log and release the chat model's connections."""
        await self._log.close()
        if self._chat_model is not None:
            await self._chat_model.close()

    async def ask(self, tenant_id: int, text: str, *, user_id: int | None = None) -> Answer:
        """Answer a question (filters like `@channel 7d` may lead it); records the outcome."""
        started = time.perf_counter()
        question = parse_question(text)
        with self._activity.working():
            answer = await self._answer(tenant_id, question)
        seconds = time.perf_counter() - started
        answer.latency_ms = round(seconds * 1000)
        if answer.status is not AnswerStatus.INVALID:  # bad input changes nothing
            await self._record(tenant_id, user_id, text, answer)
        self._metrics.question(answer.status.value, seconds)
        log.info(
            "question_answered",
            tenant_id=tenant_id,
            status=answer.status.value,
            mode=answer.mode.value,
            fallback=answer.fallback.value if answer.fallback else None,
            sources=len(answer.sources),
            latency_ms=answer.latency_ms,
            tokens=answer.tokens,
        )
        return answer

    async def search(self, tenant_id: int, text: str, *, limit: int = 10) -> SearchOutcome:
        """Ranked posts for a query (same filters and checks as questions, no generation)."""
        started = time.perf_counter()
        question = parse_question(text)
        outcome = SearchOutcome(AnswerStatus.OK, question)
        with self._activity.working():
            await self._search(tenant_id, question, outcome, limit)
        outcome.latency_ms = round((time.perf_counter() - started) * 1000)
        return outcome

    async def _search(
        self, tenant_id: int, question: ParsedQuestion, outcome: SearchOutcome, limit: int
    ) -> None:
        checked = await self._prepare(tenant_id, question)
        if isinstance(checked, _Invalid):
            outcome.status, outcome.problem = AnswerStatus.INVALID, checked.problem
            outcome.problem_detail = checked.detail
            return
        posts = await self._indexed_search(tenant_id, question, checked, max(1, limit))
        if isinstance(posts, _NotIndexed):
            outcome.status = AnswerStatus.NOT_INDEXED
        elif isinstance(posts, Exception):
            outcome.status, outcome.error_detail = AnswerStatus.ERROR, _describe(posts)
        else:
            outcome.results = self._sources(question.text, posts)

    # --- steps ------------------------------------------------------------------------------

    async def _answer(self, tenant_id: int, question: ParsedQuestion) -> Answer:
        checked = await self._prepare(tenant_id, question)
        if isinstance(checked, _Invalid):
            return Answer(
                AnswerStatus.INVALID,
                question,
                problem=checked.problem,
                problem_detail=checked.detail,
            )
        posts = await self._indexed_search(tenant_id, question, checked, self._answer_sources)
        if isinstance(posts, _NotIndexed):
            return Answer(
                AnswerStatus.NOT_INDEXED,
                question,
                channels=posts.channels,
                pending_posts=posts.pending,
            )
        quota = await self._question_quota(tenant_id)  # counts the question: indexed chats only
        if isinstance(posts, Exception):
            return Answer(AnswerStatus.ERROR, question, error_detail=_describe(posts))
        answer = Answer(AnswerStatus.OK, question, sources=self._sources(question.text, posts))
        if not posts:
            answer.meaning_pending = await self._meaning_pending(tenant_id)
            return answer
        answer.pending_posts = await self._still_pending(tenant_id)
        if quota is not None:
            return self._extractive(answer, Fallback.QUOTA, quota)
        if self._chat_model is None:
            return self._extractive(answer)
        return await self._generate(tenant_id, answer, posts, self._chat_model)

    async def _prepare(
        self, tenant_id: int, question: ParsedQuestion
    ) -> SearchFilter | _Invalid | None:
        """Validate the question and its filters (the search filter, None when unfiltered)."""
        if not question.text.strip():
            return _Invalid(Problem.EMPTY)
        filters: SearchFilter | None = None
        if question.filtered:
            channel_ids: list[int] | None = None
            if question.channels:
                async with self._uow_factory() as uow:
                    followed = await uow.channels.subscribed(tenant_id)
                by_name = {
                    item.channel.username.lower(): item.channel.id
                    for item in followed
                    if item.channel.username
                }
                unknown = [name for name in question.channels if name not in by_name]
                if unknown:
                    return _Invalid(Problem.UNKNOWN_CHANNEL, unknown[0])
                channel_ids = [by_name[name] for name in question.channels]
            since = self._clock() - question.window if question.window else None
            filters = SearchFilter(channel_ids=channel_ids, since=since)
        return filters

    async def _indexed_search(
        self, tenant_id: int, question: ParsedQuestion, filters: SearchFilter | None, limit: int
    ) -> list[RankedPost] | Exception | _NotIndexed:
        """Ranked stories, the search's error (logged with its traceback), or _NotIndexed.

        The index is checked for posts only when the search gave fewer than SMALL_INDEX hits:
        more hits show it is neither empty nor small, which spares most questions a count of
        the index (and a second turn on its lock).
        """
        try:
            posts, hits = await self._retriever.search_counted(
                tenant_id, question.text, limit=limit, filters=filters
            )
        except Exception as error:
            log.exception("question_search_failed", tenant_id=tenant_id)
            return await self._not_indexed(tenant_id) or error
        if hits < SMALL_INDEX:
            missing = await self._not_indexed(tenant_id)
            if missing is not None:
                return missing
        return posts

    async def _not_indexed(self, tenant_id: int) -> _NotIndexed | None:
        """None when the collection has points or cannot be checked (fail-open)."""
        try:
            stats = await self._index.stats(tenant_id)
        except Exception as error:
            log.warning(
                "index_check_failed",
                tenant_id=tenant_id,
                error=str(error),
                error_type=type(error).__name__,
            )
            return None
        if stats is not None and stats.points_count > 0:
            if stats.points_count < SMALL_INDEX:
                log.warning("index_small", tenant_id=tenant_id, points=stats.points_count)
            return None
        channels, pending = 0, None
        try:
            async with self._uow_factory() as uow:
                channels = await uow.channels.subscription_count(tenant_id)
                pending = await uow.posts.pending_count(tenant_id)
        except Exception as error:
            log.warning("index_backlog_unknown", tenant_id=tenant_id, error=str(error))
        log.info(
            "question_not_indexed",
            tenant_id=tenant_id,
            collection_exists=stats is not None,
            channels=channels,
            pending=pending,
        )
        return _NotIndexed(channels, pending)

    async def _meaning_pending(self, tenant_id: int) -> DenseCoverage | None:
        """The chat's dense coverage when some posts still lack their vector (else None): a
        question worded unlike its post, or in another language, finds it only by meaning."""
        if self._meaning is None:
            return None
        try:
            coverage, _ = await self._meaning.coverage(tenant_id)
        except Exception as error:  # the reply matters more than the note
            log.warning("dense_coverage_unknown", tenant_id=tenant_id, error=str(error))
            return None
        return coverage if coverage.ready < coverage.total else None

    async def _still_pending(self, tenant_id: int) -> int | None:
        """Posts not indexed yet while the chat is answered from the rest (None if unknown).

        Concurrent answers of one chat share one count instead of each running it.
        """
        until = self._nothing_pending_until.get(tenant_id)
        if until is not None and self._clock() < until:
            return 0
        counting = self._counting.get(tenant_id)
        if counting is None:
            counting = asyncio.ensure_future(self._count_pending(tenant_id))
            self._counting[tenant_id] = counting
            counting.add_done_callback(lambda _: self._counting.pop(tenant_id, None))
        return await asyncio.shield(counting)  # one asker giving up does not cancel the others

    async def _count_pending(self, tenant_id: int) -> int | None:
        started = self._clock()
        try:
            async with self._uow_factory() as uow:
                pending = await uow.posts.pending_count(tenant_id)
        except Exception as error:  # the answer matters more than the note
            log.warning("index_backlog_unknown", tenant_id=tenant_id, error=str(error))
            return None
        if pending == 0 and self._nothing_pending_for:
            if len(self._nothing_pending_until) >= 10_000:  # bounded; forgetting costs a count
                self._nothing_pending_until.clear()
            self._nothing_pending_until[tenant_id] = started + self._nothing_pending_for
        return pending

    async def _question_quota(self, tenant_id: int) -> QuotaExceeded | None:
        """The daily question limit, if the chat reached it (then the answer is extractive)."""
        if self._gate is None:
            return None
        try:
            await self._gate.check_question(tenant_id)
        except QuotaExceeded as exceeded:
            return exceeded
        except Exception as error:  # a limit we cannot read must not cost the user the answer
            log.warning("question_quota_check_failed", tenant_id=tenant_id, error=str(error))
        return None

    def _sources(self, question: str, posts: Sequence[RankedPost]) -> list[Source]:
        picker = SentencePicker(question, [post.document.text for post in posts])
        return [
            Source(
                number=number,
                post=SourceRef.of(post.document),
                score=post.score,
                snippet=picker.snippet(post.document.text),
                also=tuple(SourceRef.of(document) for document in post.duplicates),
            )
            for number, post in enumerate(posts, start=1)
        ]

    def _extractive(
        self, answer: Answer, fallback: Fallback | None = None, quota: QuotaExceeded | None = None
    ) -> Answer:
        answer.mode = AnswerMode.EXTRACTIVE
        answer.text = extractive_text(
            [(source.number, source.snippet) for source in answer.sources]
        )
        answer.fallback = fallback
        answer.quota = quota
        return answer

    async def _generate(
        self, tenant_id: int, answer: Answer, posts: Sequence[RankedPost], model: ChatModel
    ) -> Answer:
        messages = build_messages(answer.question.text, posts)
        reservation: TokenReservation | None = None
        if self._gate is not None:
            estimate = estimate_tokens(messages, self._max_answer_tokens)
            try:
                reservation = await self._gate.reserve(tenant_id, estimate)
            except QuotaExceeded as exhausted:
                return self._extractive(answer, Fallback.QUOTA, exhausted)
            except Exception as error:  # no budget accounting, no spending
                log.warning("budget_reserve_failed", tenant_id=tenant_id, error=str(error))
                return self._extractive(answer, Fallback.LLM_FAILED)
        reply: ChatReply | None = None
        try:
            reply = await complete_with_retries(
                model,
                messages,
                max_tokens=self._max_answer_tokens,
                retries=self._llm_retries,
                base_delay=self._retry_base_delay,
            )
        except LLMError as error:
            log.warning(
                "llm_answer_failed",
                tenant_id=tenant_id,
                model=model.model,
                error=str(error),
                retryable=error.retryable,
                fallback="extractive",
            )
        except Exception:
            log.exception("llm_answer_crashed", tenant_id=tenant_id, model=model.model)
        finally:
            if reservation is not None:
                await settle_reservation(reservation, reply)
        if reply is None:
            return self._extractive(answer, Fallback.LLM_FAILED)
        count = len(answer.sources)
        cited = cited_numbers(reply.text, count)
        answer.mode = AnswerMode.LLM
        answer.text = drop_invalid_citations(reply.text, count)
        if cited:  # sources keep their numbers so every [n] still points at its post
            answer.sources = [answer.sources[number - 1] for number in sorted(cited)]
        answer.prompt_tokens = reply.prompt_tokens
        answer.completion_tokens = reply.completion_tokens
        return answer

    async def _record(self, tenant_id: int, user_id: int | None, text: str, answer: Answer) -> None:
        record = QuestionRecord(
            tenant_id=tenant_id,
            user_id=user_id,
            text=text,
            status=answer.status.value,
            mode=answer.mode.value,
            latency_ms=answer.latency_ms,
            sources_count=len(answer.sources),
            source_channel_ids=answer.cited_channel_ids(),
            prompt_tokens=answer.prompt_tokens,
            completion_tokens=answer.completion_tokens,
            created_at=self._clock(),
        )
        await self._log.submit(record)  # stored in a batch off the answer path

    async def _store_records(self, records: list[QuestionRecord]) -> None:
        async with self._uow_factory() as uow:
            await uow.questions.add_many(records)
            await uow.commit()


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"
