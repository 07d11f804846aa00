"""`tgassist digest --chat ID [--since ISO] [--json]`: the documented JSON shape, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli import run_cli

STORY = [
    "Центробанк повысил ключевую ставку до 21 процента годовых, решение совета директоров",
    "Совет директоров Центробанка повысил ключевую ставку до 21 процента годовых",
]
OTHER = ["Погода: в выходные в Москве до плюс пяти", "В Петербурге открылся новый мост"]


def _export(folder: Path, channel_id: int, name: str, texts: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    messages = [
        {
            "id": number,
            "type": "message",
            "date": "2024-12-01T10:00:00",
            "date_unixtime": str(1733047200 + number * 60),
            "text": text,
        }
        for number, text in enumerate(texts, start=1)
    ]
    document = {"name": name, "type": "public_channel", "id": channel_id, "messages": messages}
    path = folder / "result.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def test_digest_json_has_the_documented_shape(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A story two channels carried: period from/to, headline, summary, numbered sources."""
    first = _export(tmp_path / "a", 1555000111, "Экономика", [STORY[0], OTHER[0]])
    second = _export(tmp_path / "b", 1555000222, "Финансы", [STORY[1], OTHER[1]])
    imported = run_cli(
        monkeypatch, capsys, tmp_path, "import", str(first), str(second), "--chat", "42", "--json"
    )
    assert imported.code == 0, imported.err

    since = "2024-11-30T00:00:00+00:00"
    result = run_cli(
        monkeypatch, capsys, tmp_path, "digest", "--chat", "42", "--since", since, "--json"
    )
    assert result.code == 0, result.err
    value = result.json()
    assert value["period"]["from"] == since and value["period"]["to"] > since
    [story] = value["stories"]
    assert "ключевую ставку" in story["headline"] and story["summary"].endswith("[2]")
    assert {tuple(sorted(source)) for source in story["sources"]} == {
        ("channel", "message_id", "url")
    }
    urls = sorted(source["url"] for source in story["sources"])
    assert urls == ["https://t.me/c/1555000111/1", "https://t.me/c/1555000222/1"]
    assert all(source["message_id"] == 1 for source in story["sources"])

    text = run_cli(monkeypatch, capsys, tmp_path, "digest", "--chat", "42", "--since", since)
    assert text.code == 0 and "1. Центробанк" in text.out and "[2] Финансы" in text.out


def test_digest_bad_input_is_refused_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown chat and a date that is no date get a clear message and a non-zero code."""
    unknown = run_cli(monkeypatch, capsys, tmp_path, "digest", "--chat", "404", "--json")
    assert unknown.code == 2 and "chat 404 is not known" in unknown.err
    with pytest.raises(SystemExit) as exited:
        run_cli(monkeypatch, capsys, tmp_path, "digest", "--chat", "42", "--since", "yesterday")
    assert exited.value.code == 2
    assert "not an ISO-8601 date" in capsys.readouterr().err
