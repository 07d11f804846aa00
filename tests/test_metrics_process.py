"""`tgassist run` serves Prometheus metrics on METRICS_PORT."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from tests.cli import start_cli_process, stop_cli_process
from tests.fakes.bot_api import FakeBotAPI
from tests.services import free_port


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
    """The all-in-one process serves GET /metrics on 127.0.0.1 only and says at start-up that vision is off."""
    port = free_port()
    process = await start_cli_process(
        tmp_path,
        "run",
        BOT_TOKEN=f"{bot_api.bot_user['id']}:metrics-test-token-0123456789",
        TELEGRAM_API_BASE=bot_api.base_url,
        METRICS_PORT=str(port),
    )
    try:
        await bot_api.wait_for("setMyCommands", timeout=60)
        bot_api.add_update(bot_api.message("/start", chat_id=909, user_id=909))
        await bot_api.wait_for("sendMessage", chat_id=909, timeout=30)
        text = await _scrape(f"http://127.0.0.1:{port}/metrics")
        listening = _listening_addresses(port)
    finally:
        logs = await stop_cli_process(process)
    assert process.returncode == 0, logs[-3000:]
    assert "vision_off" in logs
    assert "VISION_MODEL" in logs
    assert "# TYPE tgassist_question_duration_seconds histogram" in text
    assert "tgassist_quota_violations_total" in text
    assert 'tgassist_llm_budget_limit_tokens{tenant="1"} 200000.0' in text  # the /start chat
    assert listening == ["127.0.0.1"], listening  # not 0.0.0.0: the figures are per chat


def _listening_addresses(port: int) -> list[str]:
    """Addresses a local TCP socket listens on `port` at (Linux /proc/net/tcp, IPv4 and IPv6)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            for line in list(lines)[1:]:
                local, state = line.split()[1], line.split()[3]
                address, _, hex_port = local.partition(":")
                if state == "0A" and int(hex_port, 16) == port:  # 0A = LISTEN
                    found.append(_address(address))
    return found


def _address(hex_address: str) -> str:
    if len(hex_address) == 8:  # IPv4, little-endian
        return ".".join(str(int(hex_address[i : i + 2], 16)) for i in (6, 4, 2, 0))
    return "::" if set(hex_address) == {"0"} else hex_address
