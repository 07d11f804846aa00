"""`tgassist quota [--json] [--chat]` and `tgassist quota set`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli import run_cli


def _export(path: Path, texts: list[str]) -> Path:
    """A minimal Telegram Desktop export of one channel."""
    messages = [
        {"id": n, "type": "message", "date": "2024-12-01T10:00:00", "text": text}
        for n, text in enumerate(texts, start=1)
    ]
    path.write_text(
        json.dumps({"name": "Wire", "type": "public_channel", "id": 321, "messages": messages}),
        encoding="utf-8",
    )
    return path


def test_quota_json_and_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every chat with usage and limits as JSON; `quota set` changes one chat's limits only."""
    export = _export(tmp_path / "wire.json", ["первая новость", "вторая новость", "третья"])
    assert run_cli(monkeypatch, capsys, tmp_path, "import", str(export), "--chat", "55").code == 0
    assert run_cli(monkeypatch, capsys, tmp_path, "import", str(export), "--chat", "66").code == 0

    listing = run_cli(monkeypatch, capsys, tmp_path, "quota", "--json", QUOTA_DAILY_TOKENS="5000")
    assert listing.code == 0, listing.err
    document = listing.json()
    assert document["defaults"]["daily_tokens"] == 5000
    by_chat = {item["chat_id"]: item for item in document["tenants"]}
    assert set(by_chat) == {55, 66}
    first = by_chat[55]
    assert first["channels"] == {"used": 1, "limit": 50}
    assert first["posts"] == 3
    assert first["tokens_today"] == {"used": 0, "reserved": 0, "limit": 5000}
    assert first["questions_today"]["used"] == 0
    assert first["at_limit"] == []

    changed = run_cli(
        monkeypatch,
        capsys,
        tmp_path,
        "quota",
        "set",
        "--chat",
        "55",
        "--channels",
        "1",
        "--daily-tokens",
        "0",
        "--json",
    )
    assert changed.code == 0, changed.err
    assert changed.json()["limits"]["channels"] == 1
    detail = run_cli(monkeypatch, capsys, tmp_path, "quota", "--chat", "55", "--json").json()
    assert detail["channels"] == {"used": 1, "limit": 1}
    assert detail["tokens_today"]["limit"] == 0  # unlimited
    assert detail["at_limit"] == ["channels"]
    other = run_cli(monkeypatch, capsys, tmp_path, "quota", "--chat", "66", "--json").json()
    assert other["channels"]["limit"] == 50

    reset = run_cli(
        monkeypatch, capsys, tmp_path, "quota", "set", "--chat", "55", "--channels", "default"
    )
    assert reset.code == 0
    assert "channels=50" in reset.out
    table = run_cli(monkeypatch, capsys, tmp_path, "quota")
    assert "55" in table.out
    assert "66" in table.out


def test_quota_bad_input_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Unknown chats, negative limits and an empty `set` get clear messages."""
    unknown = run_cli(monkeypatch, capsys, tmp_path, "quota", "--chat", "999")
    assert unknown.code == 2
    assert "999" in unknown.err
    nothing = run_cli(monkeypatch, capsys, tmp_path, "quota", "set", "--chat", "999")
    assert nothing.code == 2
    assert "--daily-tokens" in nothing.err
    with pytest.raises(SystemExit):
        run_cli(monkeypatch, capsys, tmp_path, "quota", "set", "--chat", "1", "--channels", "-3")
    assert "cannot be negative" in capsys.readouterr().err
    missing = run_cli(
        monkeypatch, capsys, tmp_path, "quota", "set", "--chat", "999", "--channels", "3"
    )
    assert missing.code == 2
    assert "unknown" in missing.err


def test_jobs_run_storage_usage_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`tgassist jobs run storage-usage` measures every chat once; `quota` then shows vectors."""
    export = _export(tmp_path / "wire.json", ["первая новость", "вторая новость"])
    assert run_cli(monkeypatch, capsys, tmp_path, "import", str(export), "--chat", "77").code == 0
    before = run_cli(monkeypatch, capsys, tmp_path, "quota", "--chat", "77", "--json").json()
    assert before["vectors"] is None
    assert before["storage"]["measured_at"] is None
    ran = run_cli(monkeypatch, capsys, tmp_path, "jobs", "run", "storage-usage", "--json")
    assert ran.code == 0, ran.err
    assert ran.json()["result"]["tenants"] == 1
    after = run_cli(monkeypatch, capsys, tmp_path, "quota", "--chat", "77", "--json").json()
    assert after["vectors"] == 2
    assert after["storage"]["by_type"]["posts"]["objects"] == 2
    assert after["storage"]["measured_at"] is not None
    listing = run_cli(monkeypatch, capsys, tmp_path, "jobs", "list", "--json").json()
    intervals = {job["name"]: job["interval_seconds"] for job in listing["jobs"]}
    assert intervals["storage-usage"] == 6 * 3600
    assert intervals["vision"] == 0  # off without a vision model
