"""LLM answers against a local fake OpenAI-compatible server: prompt, citations, retries, fallback, budget."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from adapters.llm import OpenAIChatModel
from app.container import Container, build_container
from bot.views.answer import render_answer
from core.quotas.models import QuotaKind, TenantLimits
from core.quotas.service import BudgetGate
from core.rag.generation import SYSTEM_PROMPT
from core.rag.models import AnswerMode, AnswerStatus, Fallback
from core.rag.ports import QuestionGate
from core.rag.service import QuestionService
from storage.budget import SqlTokenLedger
from storage.db import create_session_factory
from storage.migrate import upgrade_async
from tests.fakes.llm_api import FakeOpenAI
from tests.harness import make_settings
from tests.rag_support import seed_channel

NEWS = [
    "Центробанк повысил ключевую ставку до 21%. Решение объявила Эльвира Набиуллина.",
    "Ключевая ставка останется высокой до конца года, считают аналитики банков.",
    "В Москве выпал первый снег, синоптики обещают похолодание.",
    "Хоккейный клуб ЦСКА выиграл пятый матч подряд.",
    "Метро Москвы открыло новую станцию на Большой кольцевой линии.",
    "Учёные нашли воду на спутнике Юпитера Европе.",
]
OTHER_CHANNEL = [
    "Ставка ЦБ: банки подняли проценты по вкладам вслед за ключевой ставкой.",
    "Рецепт борща от шеф-повара ресторана.",
]
TEXT_BY_URL = {
    **{f"https://t.me/newsroom/{n}": text for n, text in enumerate(NEWS, 1)},
    **{f"https://t.me/c/1987654321/{n}": text for n, text in enumerate(OTHER_CHANNEL, 1)},
}
QUESTION = "Насколько повысили ключевую ставку?"
_BLOCK = re.compile(
    r"^\[(\d+)\] (\S+) \(([^)]*)\), [^\n]*\n(.*?)(?=\n\n\[\d+\] |\n\nQuestion: )", re.S | re.M
)


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[Container]:
    """The real container (SQLite, Qdrant Edge, lexical), posts of two channels indexed for chat 30."""
    settings = make_settings(tmp_path, quota_daily_tokens=0, quota_daily_questions=0)
    await upgrade_async(settings.resolved_database_url)
    container = build_container(settings)
    await seed_channel(container.uow_factory, 30, NEWS)
    await seed_channel(
        container.uow_factory,
        30,
        OTHER_CHANNEL,
        username=None,
        title="Банки <b>и</b> деньги",
        telegram_id=-1001987654321,
    )
    await seed_channel(
        container.uow_factory, 31, ["Ключевая ставка: секрет другого чата"], username="elsewhere"
    )
    await container.indexer.index_all()
    yield container
    await container.close()


async def _tenant(app: Container, chat_id: int = 30) -> int:
    async with app.uow_factory() as uow:
        tenant = await uow.tenants.by_chat_id(chat_id)
    assert tenant is not None
    return tenant.id


def service(
    app: Container,
    fake_llm: FakeOpenAI,
    *,
    retries: int = 2,
    timeout: float = 5.0,
    gate: QuestionGate | None = None,
) -> QuestionService:
    """The question service with the real OpenAI adapter pointed at the fake server."""
    model = OpenAIChatModel.create(
        "fake-chat", base_url=fake_llm.base_url, api_key="sk-test", timeout=timeout
    )
    return QuestionService(
        app.uow_factory,
        app.index,
        chat_model=model,
        gate=gate,
        llm_retries=retries,
        retry_base_delay=0.01,
    )


def prompt_blocks(request: dict[str, Any]) -> dict[int, tuple[str, str]]:
    """The numbered posts of the prompt: number -> (channel label, text)."""
    user = request["messages"][-1]["content"]
    return {int(n): (label, text.strip()) for n, label, _, text in _BLOCK.findall(user)}


async def test_prompt_holds_only_retrieved_posts_and_citations_link_to_them(
    app: Container, fake_llm: FakeOpenAI
) -> None:
    """The model sees the retrieved posts and nothing else; each [n] becomes a link to post n."""
    fake_llm.reply_with("Ставку подняли до 21% [1]. Банки подняли проценты по вкладам [2][9].")
    tenant_id = await _tenant(app)
    questions = service(app, fake_llm)
    answer = await questions.ask(tenant_id, QUESTION, user_id=3)
    await questions.close()

    [request] = fake_llm.chat_requests
    assert request["model"] == "fake-chat"
    assert request["messages"][0] == {"role": "system", "content": SYSTEM_PROMPT}
    user = request["messages"][-1]["content"]
    assert user.endswith(f"Question: {QUESTION}")
    retrieved = await app.questions.search(tenant_id, QUESTION, limit=5)
    blocks = prompt_blocks(request)
    assert [text for _, text in blocks.values()] == [
        TEXT_BY_URL[source.post.url] for source in retrieved.results
    ]
    for unrelated in ("ЦСКА", "Европе", "борща", "секрет другого чата"):
        assert unrelated not in user

    assert answer.status is AnswerStatus.OK
    assert answer.mode is AnswerMode.LLM
    assert answer.text == "Ставку подняли до 21% [1]. Банки подняли проценты по вкладам [2]."
    assert [source.number for source in answer.sources] == [1, 2]
    html = render_answer(answer, "en")
    for source in answer.sources:
        assert TEXT_BY_URL[source.post.url] == blocks[source.number][1]
        assert f'<a href="{source.post.url}">[{source.number}]</a>' in html
    assert "[9]" not in html
    await app.questions.question_log.flush()
    async with app.uow_factory() as uow:
        [record] = await uow.questions.recent(tenant_id)
    assert record.mode == "llm"
    assert (record.prompt_tokens, record.completion_tokens) == (
        answer.prompt_tokens,
        answer.completion_tokens,
    )
    assert answer.prompt_tokens > 0
    assert answer.completion_tokens > 0


def test_the_prompt_asks_for_citations_the_question_language_and_honesty() -> None:
    """The system prompt sets the rules the issue asks of the model."""
    for rule in ("[1]", "language of the question", "do not answer", "only the numbered posts"):
        assert rule in SYSTEM_PROMPT


async def test_rate_limits_and_server_errors_are_retried(
    app: Container, fake_llm: FakeOpenAI
) -> None:
    """A 429 and a 503 are retried; the third attempt's answer is used."""
    fake_llm.reply_with("Ставка 21% [1].")
    fake_llm.fail_next(429, times=1, retry_after=0.01)
    fake_llm.fail_next(503, times=1)
    questions = service(app, fake_llm, retries=2)
    answer = await questions.ask(await _tenant(app), QUESTION)
    await questions.close()
    assert [request.status for request in fake_llm.requests] == [429, 503, 200]
    assert answer.mode is AnswerMode.LLM
    assert answer.fallback is None


@pytest.mark.parametrize("status", [429, 500, 502, 503])
async def test_persistent_failures_fall_back_to_the_extractive_answer(
    app: Container, fake_llm: FakeOpenAI, status: int
) -> None:
    """After the retries the user gets exactly the extractive answer, marked as a fallback."""
    fake_llm.always_fail(status)
    tenant_id = await _tenant(app)
    questions = service(app, fake_llm, retries=2)
    answer = await questions.ask(tenant_id, QUESTION)
    await questions.close()
    assert len(fake_llm.chat_requests) == 3
    plain = await app.questions.ask(tenant_id, QUESTION)  # the container has no LLM configured
    assert answer.status is AnswerStatus.OK
    assert answer.mode is AnswerMode.EXTRACTIVE
    assert answer.fallback is Fallback.LLM_FAILED
    assert answer.text == plain.text
    assert answer.text.startswith("[1] ")
    assert [s.post.url for s in answer.sources] == [s.post.url for s in plain.sources]
    assert answer.tokens == 0
    assert "did not respond" in render_answer(answer, "en")


async def test_timeouts_fall_back_to_the_extractive_answer(
    app: Container, fake_llm: FakeOpenAI
) -> None:
    """A model slower than LLM_TIMEOUT_SECONDS on every attempt: extractive answer, said so."""
    fake_llm.delay(1.0)
    questions = service(app, fake_llm, retries=1, timeout=0.2)
    answer = await questions.ask(await _tenant(app), QUESTION)
    await questions.close()
    assert len(fake_llm.chat_requests) == 2
    assert answer.mode is AnswerMode.EXTRACTIVE
    assert answer.fallback is Fallback.LLM_FAILED
    assert "не ответила" in render_answer(answer, "ru")


@pytest.mark.parametrize("status", [400, 401])
async def test_client_errors_are_not_retried(
    app: Container, fake_llm: FakeOpenAI, status: int
) -> None:
    """A request the server refuses outright is not repeated; the answer falls back at once."""
    fake_llm.always_fail(status)
    questions = service(app, fake_llm, retries=3)
    answer = await questions.ask(await _tenant(app), QUESTION)
    await questions.close()
    assert len(fake_llm.chat_requests) == 1
    assert answer.fallback is Fallback.LLM_FAILED


async def test_exhausted_token_budget_gives_the_extractive_answer_without_calling_the_model(
    app: Container, fake_llm: FakeOpenAI
) -> None:
    """Over the daily token budget: no LLM request, an extractive answer with the quota notice."""
    gate = BudgetGate(app.uow_factory, _ledger(app), _limits(daily_tokens=100))
    questions = service(app, fake_llm, gate=gate)
    answer = await questions.ask(await _tenant(app), QUESTION)
    await questions.close()
    assert fake_llm.chat_requests == []
    assert answer.mode is AnswerMode.EXTRACTIVE
    assert answer.fallback is Fallback.QUOTA
    assert answer.quota is not None
    assert answer.quota.kind is QuotaKind.DAILY_TOKENS
    html = render_answer(answer, "en")
    assert "daily AI budget (100 tokens)" in html
    assert "resets at 00:00 UTC" in html


async def test_tokens_are_booked_and_the_question_limit_is_kept(
    app: Container, fake_llm: FakeOpenAI
) -> None:
    """A successful answer books its real tokens; past the daily question limit answers are extractive."""
    fake_llm.reply_with("Ставка 21% [1].")
    gate = BudgetGate(
        app.uow_factory, _ledger(app), _limits(daily_tokens=100_000, daily_questions=1)
    )
    tenant_id = await _tenant(app)
    questions = service(app, fake_llm, gate=gate)
    first = await questions.ask(tenant_id, QUESTION)
    second = await questions.ask(tenant_id, QUESTION)
    await questions.close()
    assert first.mode is AnswerMode.LLM
    usage = await gate.token_usage(tenant_id)
    assert (usage.used, usage.reserved) == (first.tokens, 0)
    assert second.mode is AnswerMode.EXTRACTIVE
    assert second.quota is not None
    assert second.quota.kind is QuotaKind.DAILY_QUESTIONS
    assert len(fake_llm.chat_requests) == 1
    assert "asked its 1 question for today" in render_answer(second, "en")


def _ledger(app: Container) -> SqlTokenLedger:
    return SqlTokenLedger(create_session_factory(app.engine))


def _limits(*, daily_tokens: int = 0, daily_questions: int = 0) -> TenantLimits:
    return TenantLimits(
        daily_tokens=daily_tokens, storage_bytes=0, channels=0, daily_questions=daily_questions
    )
