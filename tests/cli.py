"""Running the `tgassist` command line in tests, in-process or as a real subprocess."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from tests.services import SERVICES_MODE, postgres_database_for

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class CliResult:
    """Exit code and output of one CLI run."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        """stdout parsed as one JSON document."""
        return json.loads(self.out)


def cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Environment for a CLI run: data under tmp_path, lexical index, no .env."""
    env = {"DATA_DIR": str(tmp_path / "data"), "EMBEDDINGS": "none", "LOG_FORMAT": "json"}
    if SERVICES_MODE:
        env["DATABASE_URL"] = postgres_database_for(tmp_path)
    return {**env, **extra}


def cli_database_url(tmp_path: Path) -> str:
    """The database the CLI uses in a test run from tmp_path."""
    return cli_env(tmp_path).get(
        "DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'data' / 'tgassist.sqlite3'}"
    )


def run_cli(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    *argv: str,
    **env: str,
) -> CliResult:
    """Run `tgassist ARGV` in this process with the test environment."""
    monkeypatch.chdir(tmp_path)
    for key, value in cli_env(tmp_path, **env).items():
        monkeypatch.setenv(key, value)
    capsys.readouterr()
    code = main(list(argv))
    captured = capsys.readouterr()
    return CliResult(code, captured.out, captured.err)


def run_cli_process(tmp_path: Path, *argv: str, stdin: str | None = None, **env: str) -> CliResult:
    """Run `tgassist ARGV` as a separate process (for locks and signals)."""
    environment = {**os.environ, **cli_env(tmp_path, **env)}
    completed = subprocess.run(
        [sys.executable, "-m", "app.cli", *argv],
        cwd=tmp_path,
        env={**environment, "PYTHONPATH": str(ROOT)},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return CliResult(completed.returncode, completed.stdout, completed.stderr)


async def start_cli_process(tmp_path: Path, *argv: str, **env: str) -> asyncio.subprocess.Process:
    """Start a long-running `tgassist ARGV` (run, bot) in the background, output captured."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        *argv,
        cwd=tmp_path,
        env={**os.environ, **cli_env(tmp_path, **env), "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def stop_cli_process(process: asyncio.subprocess.Process) -> str:
    """SIGTERM a started process, wait for it to exit, and return what it printed."""
    process.send_signal(signal.SIGTERM)
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    return (stdout + stderr).decode()


def write_export(path: Path, channel_id: int, texts: list[str], *, name: str | None = None) -> Path:
    """A Telegram Desktop export (result.json shape) of one public channel, posts numbered from 1."""
    messages = [
        {
            "id": number,
            "type": "message",
            "date": "2024-12-01T10:00:00",
            "date_unixtime": str(1733047200 + number),
            "text": text,
        }
        for number, text in enumerate(texts, start=1)
    ]
    document = {
        "name": name or f"Channel {channel_id}",
        "type": "public_channel",
        "id": channel_id,
        "messages": messages,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path
