"""Forged updates in webhook mode: no secret, no start; a wrong or missing secret, no effect.

Anyone who can reach the webhook port can POST an update "from" an ADMIN_IDS user; only the
secret Telegram sends in X-Telegram-Bot-Api-Secret-Token tells a real update from a forged one.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from app.settings import Settings
from tests.cli import start_cli_process, stop_cli_process
from tests.fakes.bot_api import FakeBotAPI
from tests.harness import BotHarness, make_settings
from tests.services import free_port

ADMIN = 4242
SECRET = "Webhook_secret-0123456789abcdefghijklmnop"  # 41 characters Telegram accepts
HEADER = "X-Telegram-Bot-Api-Secret-Token"


def _bot_env(bot_api: FakeBotAPI, port: int, **extra: str) -> dict[str, str]:
    return {
        "BOT_TOKEN": f"{bot_api.bot_user['id']}:TEST-token-webhook",
        "TELEGRAM_API_BASE": bot_api.base_url,
        "WEBHOOK_URL": f"http://127.0.0.1:{port}",
        "WEBHOOK_HOST": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
        "ADMIN_IDS": str(ADMIN),
        **extra,
    }


@pytest.mark.parametrize("secret", [None, "short-secret-0123456789", "x" * 31])
async def test_forged_updates_webhook_refuses_to_start_without_a_long_secret(
    tmp_path: Path, bot_api: FakeBotAPI, secret: str | None
) -> None:
    """`tgassist bot` with WEBHOOK_URL and no (or a short) WEBHOOK_SECRET exits 2 with one clear line."""
    extra = {"WEBHOOK_SECRET": secret} if secret else {}
    process = await start_cli_process(tmp_path, "bot", **_bot_env(bot_api, free_port(), **extra))
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    except TimeoutError:  # it started serving: the defect
        await stop_cli_process(process)
        pytest.fail("webhook mode started without a secret of 32+ characters")
    lines = [line for line in err.decode().splitlines() if line.strip()]
    assert process.returncode == 2, (out + err).decode()[-2000:]
    assert len(lines) == 1 and "WEBHOOK_SECRET" in lines[0] and "32" in lines[0], lines
    assert not bot_api.calls("setWebhook")


async def test_forged_admin_update_is_refused_by_a_running_webhook(
    tmp_path: Path, bot_api: FakeBotAPI
) -> None:
    """A real `tgassist bot`: forged /quota without, with a wrong or odd secret does nothing; the real one answers."""
    port = free_port()
    process = await start_cli_process(
        tmp_path, "bot", **_bot_env(bot_api, port, WEBHOOK_SECRET=SECRET)
    )
    try:
        [registered] = await bot_api.wait_for("setWebhook", timeout=60)
        url = registered.params["url"]
        path = url.removeprefix(f"http://127.0.0.1:{port}")
        assert path.startswith("/webhook/") and len(path) >= len("/webhook/") + 32, url
        assert registered.params["secret_token"] == SECRET
        forged = {"update_id": 1, **bot_api.message("/quota", chat_id=ADMIN, user_id=ADMIN)}
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {HEADER: "wrong"}, {HEADER: SECRET[:-1]}, {HEADER: "sécret"}):
                async with http.post(url, json=forged, headers=headers) as response:
                    assert response.status in (401, 403), (headers, response.status)
            async with http.post(
                f"http://127.0.0.1:{port}/webhook", json=forged, headers={HEADER: SECRET}
            ) as response:
                assert response.status == 404  # the old fixed path serves nothing
            await asyncio.sleep(1)
            assert not bot_api.sent_messages(ADMIN)
            genuine = {"update_id": 2, **bot_api.message("/quota", chat_id=ADMIN, user_id=ADMIN)}
            async with http.post(url, json=genuine, headers={HEADER: SECRET}) as response:
                assert response.status == 200
        [reply] = await bot_api.wait_for("sendMessage", chat_id=ADMIN, timeout=30)
        assert "quota" in reply.params["text"].lower() or "chat" in reply.params["text"].lower()
    finally:
        logs = await stop_cli_process(process)
    assert process.returncode == 0, logs[-3000:]
    assert SECRET not in logs and path not in logs


def test_forged_updates_webhook_path_is_random_and_agreed_by_replicas(tmp_path: Path) -> None:
    """The derived path depends on the secret only (replicas agree); WEBHOOK_PATH overrides it."""

    def path(**values: str) -> str:
        return make_settings(
            tmp_path, None, webhook_url="https://bot.example", **values
        ).resolved_webhook_path

    assert path(webhook_secret=SECRET) == path(webhook_secret=SECRET)
    assert path(webhook_secret=SECRET) != path(webhook_secret=SECRET + "x")
    assert SECRET not in path(webhook_secret=SECRET)
    assert path(webhook_secret=SECRET, webhook_path="/tg/abc") == "/tg/abc"


async def test_forged_updates_through_the_in_process_webhook(
    tmp_path: Path, bot_api: FakeBotAPI
) -> None:
    """The harness's webhook: a forged admin /dlq without the secret is refused and nothing is sent."""
    settings: Settings = make_settings(
        tmp_path,
        bot_api,
        admin_ids=frozenset({ADMIN}),
        webhook_url="http://127.0.0.1:1",
        webhook_secret=SECRET,
        webhook_host="127.0.0.1",
        webhook_port=0,
    )
    async with BotHarness(settings, bot_api, webhook=True) as harness:
        before = len(bot_api.calls())
        update = bot_api.message("/dlq", chat_id=ADMIN, user_id=ADMIN)
        assert await harness.post_update(update, secret=None) == 401
        assert await harness.post_update(update, secret="x" * 40) == 401
        await asyncio.sleep(0.3)
        assert bot_api.calls()[before:] == []
        [reply] = await harness.send("/dlq", chat_id=ADMIN, user_id=ADMIN)
        assert reply
