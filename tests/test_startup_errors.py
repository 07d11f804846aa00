"""`tgassist run|bot` with a bad token or an unreachable Bot API: one line, exit 2, no migrations."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.cli import CliResult, start_cli_process
from tests.fakes.bot_api import FakeBotAPI
from tests.services import free_port


async def _run(tmp_path: Path, *argv: str, **env: str) -> CliResult:
    """Run a long-running command that is expected to stop by itself; its exit code and output."""
    process = await start_cli_process(tmp_path, *argv, **env)
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return CliResult(process.returncode, out.decode(), err.decode())


def _assert_one_line(result: CliResult, *expected: str) -> None:
    """Exit 2, a single error line naming the problem, no traceback."""
    assert result.code == 2, result.err[-2000:]
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1, result.err[-2000:]
    assert "Traceback" not in result.err
    for text in expected:
        assert text in lines[0]


@pytest.mark.parametrize("command", ["run", "bot"])
async def test_malformed_token_is_refused_before_migrations(
    tmp_path: Path, bot_api: FakeBotAPI, command: str
) -> None:
    """BOT_TOKEN=not-a-token: one line on how to fix it, exit 2, and no database is created."""
    result = await _run(
        tmp_path, command, BOT_TOKEN="not-a-token", TELEGRAM_API_BASE=bot_api.base_url
    )
    _assert_one_line(result, "BOT_TOKEN", "@BotFather")
    assert not (tmp_path / "data" / "tgassist.sqlite3").exists()
    assert bot_api.calls("getMe") == []  # the format is checked without the network


async def test_token_refused_by_telegram(tmp_path: Path, bot_api: FakeBotAPI) -> None:
    """A well-formed token the Bot API refuses (401 on getMe) is named as refused, exit 2."""
    result = await _run(
        tmp_path, "run", BOT_TOKEN="123:abc.def", TELEGRAM_API_BASE=bot_api.base_url
    )
    _assert_one_line(result, "refused BOT_TOKEN", "@BotFather")
    assert [call.status for call in bot_api.calls("getMe")] == [401]
    assert not (tmp_path / "data" / "tgassist.sqlite3").exists()


@pytest.mark.parametrize("command", ["run", "bot"])
async def test_unreachable_bot_api(tmp_path: Path, command: str) -> None:
    """Nothing listens at TELEGRAM_API_BASE: one line naming the address, exit 2."""
    base = f"http://127.0.0.1:{free_port()}"
    result = await _run(tmp_path, command, BOT_TOKEN="123:abcdef", TELEGRAM_API_BASE=base)
    _assert_one_line(result, "cannot reach the Bot API", base, "TELEGRAM_API_BASE")
    assert not (tmp_path / "data" / "tgassist.sqlite3").exists()


async def test_env_file_in_data_dir_and_explicit(tmp_path: Path) -> None:
    """`.env` is read from DATA_DIR whatever the current directory; `--env-file` replaces it."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    in_data = f"http://127.0.0.1:{free_port()}"
    (data_dir / ".env").write_text(f"BOT_TOKEN=123:abcdef\nTELEGRAM_API_BASE={in_data}\n")
    result = await _run(tmp_path, "bot")
    _assert_one_line(result, in_data)

    explicit = f"http://127.0.0.1:{free_port()}"
    env_file = tmp_path / "elsewhere.env"
    env_file.write_text(f"BOT_TOKEN=123:abcdef\nTELEGRAM_API_BASE={explicit}\n")
    result = await _run(tmp_path, "--env-file", str(env_file), "bot")
    _assert_one_line(result, explicit)

    missing = await _run(tmp_path, "--env-file", str(tmp_path / "nope.env"), "bot")
    _assert_one_line(missing, "--env-file", "nope.env")
