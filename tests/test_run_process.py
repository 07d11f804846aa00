"""`tgassist run` as a real process: polls the Bot API, answers, shuts down cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.cli import cli_env
from tests.fakes.bot_api import FakeBotAPI

SECRET = "AAH-very-secret-token-part-0123456789abcdefgh"


async def test_run_answers_and_stops_cleanly(tmp_path: Path, bot_api: FakeBotAPI) -> None:
    """The all-in-one process sets its commands, answers /start, exits 0 on SIGTERM, never logs the token."""
    token = f"{bot_api.bot_user['id']}:{SECRET}"
    env = {
        **os.environ,
        **cli_env(tmp_path),
        "BOT_TOKEN": token,
        "TELEGRAM_API_BASE": bot_api.base_url,
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await bot_api.wait_for("setMyCommands", timeout=60)
        bot_api.add_update(bot_api.message("/start", chat_id=555, user_id=555))
        [reply] = await bot_api.wait_for("sendMessage", chat_id=555, timeout=30)
        assert "/subscribe" in reply.params["text"]
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    logs = stdout.decode() + stderr.decode()
    assert process.returncode == 0, logs[-3000:]
    assert SECRET not in logs
    assert '"event": "polling_started"' in logs or "polling_started" in logs
