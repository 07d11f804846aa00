"""A lighter install: server-backend clients are extras, and a missing one is named in one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.extras import MissingExtra, require
from tests.cli import run_cli

ROOT = Path(__file__).resolve().parents[1]
SERVER_CLIENTS = ("asyncpg", "redis", "boto3", "botocore", "qdrant_client", "openai", "grpc")


def test_require_names_the_extra_of_a_missing_module(monkeypatch: pytest.MonkeyPatch) -> None:
    """With boto3 absent, require() raises MissingExtra saying which extra to install."""
    monkeypatch.setitem(sys.modules, "boto3", None)
    with pytest.raises(MissingExtra) as raised:
        require("boto3", "s3")
    assert raised.value.extra == "s3"
    assert "pip install 'tgassist[s3]'" in str(raised.value)


@pytest.mark.parametrize(
    ("setting", "value", "hidden", "extra"),
    [
        ("DATABASE_URL", "postgresql+asyncpg://nobody@127.0.0.1:1/none", "asyncpg", "postgres"),
        ("REDIS_URL", "redis://127.0.0.1:1/0", "redis", "redis"),
        ("S3_BUCKET", "media", "boto3", "s3"),
        ("QDRANT_URL", "http://127.0.0.1:1", "qdrant_client", "qdrant-server"),
        ("OPENAI_API_KEY", "sk-test", "openai", "llm"),
    ],
)
def test_a_configured_backend_without_its_extra_says_which_to_install(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    setting: str,
    value: str,
    hidden: str,
    extra: str,
) -> None:
    """`tgassist ask` with a backend configured whose client is missing: exit 2, one line naming the extra."""
    if hidden == "asyncpg" and os.environ.get("TEST_BACKENDS") == "services":
        pytest.skip(
            "services mode creates each test's PostgreSQL database with asyncpg, hidden here"
        )
    for name in [module for module in sys.modules if module.split(".")[0] == hidden]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, hidden, None)
    result = run_cli(
        monkeypatch, capsys, tmp_path, "ask", "--chat", "1", "вопрос", **{setting: value}
    )
    assert result.code == 2
    [line] = result.err.strip().splitlines()
    assert line.endswith(
        f"{hidden} is not installed: install the '{extra}' extra "
        f"(pip install 'tgassist[{extra}]', or 'tgassist[all]')"
    )


def test_the_embedded_default_imports_no_server_client() -> None:
    """Building the default container, the bot's dispatcher and what `tgassist run` loads
    (app.runner, its prompt storage) imports none of the extras' clients: `pip install -e .`
    is enough to run the bot, as the README says."""
    code = (
        "import sys, tempfile\n"
        "from app.settings import Settings\n"
        "from app.container import build_container\n"
        "from bot.app import create_dispatcher\n"
        "from app.cli import build_parser\n"
        "from app.runner import build_fsm_storage\n"
        "build_parser()\n"
        "s = Settings(_env_file=None, data_dir=tempfile.mkdtemp(), embeddings='none')\n"
        "c = build_container(s)\n"
        "create_dispatcher(c.uow_factory, **c.handler_services())\n"
        "build_fsm_storage(s)\n"
        f"print(sorted(m for m in {SERVER_CLIENTS!r} if m in sys.modules))\n"
    )
    environment = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    completed = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert completed.stdout.strip().splitlines()[-1] == "[]", completed.stderr[-2000:]
