"""Digest summaries with a model (the fake OpenAI-compatible server): written only from the
story's posts and cited; over budget or on failure the extractive lines are used instead."""

from __future__ import annotations

from pathlib import Path

from core.quotas.models import QuotaOverride
from tests.digest_support import MOST_READ, news_week
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.llm_api import FakeOpenAI, last_user_text
from tests.harness import BotHarness, make_settings
from tests.trend_support import make_chats

USER = 7301


async def _digest_stories(harness: BotHarness) -> dict[str, str]:
    digest = await harness.container.digests.for_chat(USER)
    return {story.headline: story.summary for story in digest.stories}


async def test_model_summaries_cite_only_the_storys_posts(
    tmp_path: Path, bot_api: FakeBotAPI, fake_llm: FakeOpenAI
) -> None:
    """Each story's prompt holds only its own posts; invented citation numbers are dropped."""
    fake_llm.reply_with("Регбисты выиграли Кубок Европы [1][2], финал был напряжённым [7].")
    settings = make_settings(
        tmp_path, bot_api, openai_base_url=fake_llm.base_url, llm_model="fake-chat"
    )
    async with BotHarness(settings, bot_api) as harness:
        stored = await news_week(harness.container.uow_factory)
        await make_chats(harness.container.uow_factory, stored, [(USER, "private")])
        summaries = await _digest_stories(harness)
    rugby = next(summary for headline, summary in summaries.items() if "Кубок Европы" in headline)
    assert rugby == "Регбисты выиграли Кубок Европы [1][2], финал был напряжённым."
    prompts = [last_user_text(request) for request in fake_llm.chat_requests]
    [rugby_prompt] = [prompt for prompt in prompts if MOST_READ[0] in prompt]
    assert MOST_READ[1] in rugby_prompt and "[1]" in rugby_prompt and "[3]" not in rugby_prompt


async def test_over_budget_or_failing_model_falls_back_to_extractive_lines(
    tmp_path: Path, bot_api: FakeBotAPI, fake_llm: FakeOpenAI
) -> None:
    """A spent token budget never calls the model; a failing model gives extractive lines."""
    settings = make_settings(
        tmp_path,
        bot_api,
        openai_base_url=fake_llm.base_url,
        llm_model="fake-chat",
        llm_max_retries=0,
        quota_daily_tokens=10,
    )
    async with BotHarness(settings, bot_api) as harness:
        stored = await news_week(harness.container.uow_factory)
        await make_chats(harness.container.uow_factory, stored, [(USER, "private")])
        over_budget = await _digest_stories(harness)
        assert fake_llm.chat_requests == []
        async with harness.container.uow_factory() as uow:
            tenant = await uow.tenants.by_chat_id(USER)
            assert tenant is not None
            await harness.container.budget_gate.set_override(
                tenant.id, QuotaOverride(daily_tokens=0)
            )
        fake_llm.always_fail(500)
        failing = await _digest_stories(harness)
        assert fake_llm.chat_requests  # it was asked, and failed
    for summaries in (over_budget, failing):
        rugby = next(
            summary for headline, summary in summaries.items() if "Кубок Европы" in headline
        )
        assert rugby.startswith(MOST_READ[0][:40]) and rugby.endswith("[2]")
