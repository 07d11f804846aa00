"""`tgassist run` serves Prometheus metrics on METRICS_PORT."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp

from tests.cli import cli_env
from tests.fakes.bot_api import FakeBotAPI

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _scrape(url: str, timeout: float = 60.0) -> str:
    async with aiohttp.ClientSession() as http, asyncio.timeout(timeout):
        while True:
            try:
                async with http.get(url) as response:
                    if response.status == 200:
                        return await response.text()
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.2)


async def test_run_serves_metrics(tmp_path: Path, bot_api: FakeBotAPI) -> None:
    """The all-in-one process serves GET /metrics and says at start-up that vision is off."""
    port = _free_port()
    env = {
        **os.environ,
        **cli_env(tmp_path),
        "BOT_TOKEN": f"{bot_api.bot_user['id']}:metrics-test-token-0123456789",
        "TELEGRAM_API_BASE": bot_api.base_url,
        "METRICS_PORT": str(port),
        "PYTHONPATH": str(ROOT),
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
        bot_api.add_update(bot_api.message("/start", chat_id=909, user_id=909))
        await bot_api.wait_for("sendMessage", chat_id=909, timeout=30)
        text = await _scrape(f"http://127.0.0.1:{port}/metrics")
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    logs = (stdout + stderr).decode()
    assert process.returncode == 0, logs[-3000:]
    assert "vision_off" in logs
    assert "VISION_MODEL" in logs
    assert "# TYPE tgassist_question_duration_seconds histogram" in text
    assert "tgassist_quota_violations_total" in text
    assert 'tgassist_llm_budget_limit_tokens{tenant="1"} 200000.0' in text  # the /start chat
