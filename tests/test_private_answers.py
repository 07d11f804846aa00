"""Personal answers stay out of groups: /interests, /quota and /dlq typed in a group.

Defects: `/interests` in a group showed topics learned from the user's private chats (private
channels' names included), and admins' /quota and /dlq printed every chat's usage and failed
work into whatever group they were typed in. Now the answer goes to the sender's private chat,
the group gets a short note, and a group's alert ranking uses only what was asked in it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.models import Tenant
from tests.fakes.bot_api import FakeBotAPI
from tests.harness import BotHarness, make_settings
from tests.interest_support import ask, make_channel

ADMIN = 4242
USER = 31
GROUP = -100500


@pytest.fixture
async def harness(tmp_path: Path, bot_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    """The whole bot; one supergroup the user and the admin are in."""
    bot_api.add_chat(GROUP, "supergroup", title="Team")
    settings = make_settings(tmp_path, bot_api, admin_ids=frozenset({ADMIN}))
    async with BotHarness(settings, bot_api) as running:
        yield running


async def _tenant(harness: BotHarness, chat_id: int, kind: str) -> int:
    async with harness.container.uow_factory() as uow:
        tenant = await uow.tenants.get_or_create(chat_id, kind, None, "en")
        await uow.commit()
    return tenant.id


async def test_interests_in_a_group_show_no_topics_learned_in_private(
    harness: BotHarness, bot_api: FakeBotAPI
) -> None:
    """/interests in a group: the group gets only a note; the profile (private topics included) goes to the private chat."""
    uow_factory = harness.container.uow_factory
    private = await _tenant(harness, USER, "private")
    secret_channel = await make_channel(uow_factory, "whistleblowerleaks")
    await ask(uow_factory, private, USER, "Биткоин майнинг налоги", channels=[secret_channel])
    await harness.container.interests.sync.run()

    [note] = await harness.send("/interests", chat_id=GROUP, user_id=USER, chat_type="supergroup")
    assert "private chat" in note
    assert "Биткоин" not in note and "whistleblower" not in note.lower()
    [profile] = [m["text"] for m in bot_api.sent_messages(USER)]
    assert "Биткоин" in profile or "биткоин" in profile.lower()

    [russian] = await harness.send(
        "/interests", chat_id=GROUP, user_id=USER, chat_type="supergroup", language_code="ru"
    )
    assert "личном чате" in russian and "биткоин" not in russian.lower()


async def test_interests_in_a_group_tell_how_to_start_a_private_chat(
    harness: BotHarness, bot_api: FakeBotAPI
) -> None:
    """A user who never started the bot gets, in the group, the link and what to press."""
    bot_api.forbid(USER, "Forbidden: bot can't initiate conversation with a user")
    [note] = await harness.send("/interests", chat_id=GROUP, user_id=USER, chat_type="supergroup")
    assert f"https://t.me/{bot_api.bot_user['username']}" in note and "Start" in note


async def test_group_alert_ranking_ignores_what_members_asked_in_private(
    harness: BotHarness,
) -> None:
    """A group's profile for trend alerts comes from its own questions and added topics, not private ones."""
    uow_factory = harness.container.uow_factory
    private = await _tenant(harness, USER, "private")
    group = await _tenant(harness, GROUP, "supergroup")
    await ask(uow_factory, private, USER, "Биткоин майнинг налоги")
    await ask(uow_factory, group, USER, "Что с ключевой ставкой ЦБ?")
    await harness.container.interests.sync.run()
    async with uow_factory() as uow:
        await harness.container.interests.service.add(uow, USER, "Погода")

    service = harness.container.interests.service
    in_group = await service.tenant_profile(Tenant(id=group, chat_id=GROUP, kind="supergroup"))
    in_private = await service.tenant_profile(Tenant(id=private, chat_id=USER, kind="private"))
    lowered = {label.lower() for label in in_group}
    assert not any("биткоин" in label or "майнинг" in label for label in lowered), in_group
    assert any("ставк" in label for label in lowered) and "погода" in lowered, in_group
    assert any("биткоин" in label.lower() for label in in_private), in_private


@pytest.mark.parametrize("command", ["/quota", "/dlq"])
async def test_admin_commands_in_a_group_answer_in_private(
    harness: BotHarness, bot_api: FakeBotAPI, command: str
) -> None:
    """An admin's /quota or /dlq in a group: the output goes to the admin's private chat, the group gets a note."""
    await _tenant(harness, GROUP, "supergroup")
    [note] = await harness.send(command, chat_id=GROUP, user_id=ADMIN, chat_type="supergroup")
    assert "private chat" in note and command in note
    assert "chat(s)" not in note and "Team" not in note
    private = [m["text"] for m in bot_api.sent_messages(ADMIN)]
    assert private, "nothing reached the admin's private chat"
    if command == "/quota":
        assert str(GROUP) in private[0]


@pytest.mark.parametrize("command", ["/quota", "/dlq"])
async def test_admin_commands_in_a_group_without_a_private_chat_say_how(
    harness: BotHarness, bot_api: FakeBotAPI, command: str
) -> None:
    """An admin who never started the bot is told in the group to open it and press Start; nothing leaks."""
    await _tenant(harness, GROUP, "supergroup")
    bot_api.forbid(ADMIN, "Forbidden: bot can't initiate conversation with a user")
    [note] = await harness.send(command, chat_id=GROUP, user_id=ADMIN, chat_type="supergroup")
    assert "Start" in note and f"t.me/{bot_api.bot_user['username']}" in note
    assert str(GROUP) not in note


async def test_non_admins_get_the_refusal_where_they_typed(harness: BotHarness) -> None:
    """Anyone else's /quota in a group is refused in the group, as before."""
    [refusal] = await harness.send("/quota", chat_id=GROUP, user_id=USER, chat_type="supergroup")
    assert "not available" in refusal


async def test_help_says_interests_are_private_in_both_languages(harness: BotHarness) -> None:
    """/help tells, in English and Russian, that /interests answers only in the private chat."""
    [english] = await harness.send("/help", user_id=USER)
    [russian] = await harness.send("/help", user_id=USER + 1, language_code="ru")
    assert "/interests" in english and "private chat" in english
    assert "/interests" in russian and "личном чате" in russian
