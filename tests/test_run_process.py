"""`tgassist run` as a real process: polls the Bot API, answers, shuts down cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from tests.cli import start_cli_process, stop_cli_process
from tests.fakes.bot_api import FakeBotAPI
from tests.services import free_port

SECRET = "AAH-very-secret-token-part-0123456789abcdefgh"
HOOK_SECRET = "hook-secret-0123456789-abcdefghijklmnop"


def _bot_env(bot_api: FakeBotAPI) -> dict[str, str]:
    """The token (with SECRET in it) and address of the fake Bot API."""
    return {
        "BOT_TOKEN": f"{bot_api.bot_user['id']}:{SECRET}",
        "TELEGRAM_API_BASE": bot_api.base_url,
    }


async def test_run_answers_and_stops_cleanly(tmp_path: Path, bot_api: FakeBotAPI) -> None:
    """The all-in-one process sets its commands, answers /start, exits 0 on SIGTERM, never logs the token."""
    process = await start_cli_process(tmp_path, "run", **_bot_env(bot_api))
    try:
        await bot_api.wait_for("setMyCommands", timeout=60)
        bot_api.add_update(bot_api.message("/start", chat_id=555, user_id=555))
        [reply] = await bot_api.wait_for("sendMessage", chat_id=555, timeout=30)
        assert "/subscribe" in reply.params["text"]
    finally:
        logs = await stop_cli_process(process)
    assert process.returncode == 0, logs[-3000:]
    assert SECRET not in logs
    assert '"event": "polling_started"' in logs or "polling_started" in logs


async def test_bot_in_webhook_mode(tmp_path: Path, bot_api: FakeBotAPI) -> None:
    """`tgassist bot` with WEBHOOK_URL registers its webhook, answers posted updates, rejects wrong secrets."""
    port = free_port()
    process = await start_cli_process(
        tmp_path,
        "bot",
        **_bot_env(bot_api),
        WEBHOOK_URL=f"http://127.0.0.1:{port}",
        WEBHOOK_HOST="127.0.0.1",
        WEBHOOK_PORT=str(port),
        WEBHOOK_SECRET=HOOK_SECRET,
    )
    try:
        [registered] = await bot_api.wait_for("setWebhook", timeout=60)
        url = registered.params["url"]
        assert url.startswith(f"http://127.0.0.1:{port}/webhook/")
        update = {"update_id": 1, **bot_api.message("/help", chat_id=777, user_id=777)}
        async with aiohttp.ClientSession() as http:
            wrong = await http.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "x"}
            )
            assert wrong.status == 401
            right = await http.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": HOOK_SECRET}
            )
            assert right.status == 200
        [reply] = await bot_api.wait_for("sendMessage", chat_id=777, timeout=30)
        assert "/subscribe" in reply.params["text"]
    finally:
        logs = await stop_cli_process(process)
    assert process.returncode == 0, logs[-3000:]


async def test_second_polling_process_is_refused(tmp_path: Path, bot_api: FakeBotAPI) -> None:
    """While one process polls for the bot, a second `tgassist bot` exits 3 saying why."""
    first = await start_cli_process(tmp_path, "run", **_bot_env(bot_api))
    try:
        await bot_api.wait_for("deleteWebhook", timeout=60)
        second = await start_cli_process(tmp_path, "bot", **_bot_env(bot_api))
        out, err = await asyncio.wait_for(second.communicate(), timeout=60)
        assert second.returncode == 3, (out + err).decode()[-3000:]
        assert "another tgassist process polls for this bot" in (out + err).decode()
        bot_api.add_update(bot_api.message("/start", chat_id=556, user_id=556))
        [reply] = await bot_api.wait_for("sendMessage", chat_id=556, timeout=30)
        assert "/subscribe" in reply.params["text"]
    finally:
        logs = await stop_cli_process(first)
    assert first.returncode == 0, logs[-3000:]
