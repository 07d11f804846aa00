"""`tgassist ask` and `tgassist search`: the bot's answer path from the command line, JSON shapes."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli import CliResult, run_cli, run_cli_process, write_export
from tests.rag_support import NEWS

CHANNEL_ID = 1555000111  # the export's id; links use t.me/c/<id>/<message>
# A second key-rate post as message 2, so a search for it finds two.
POSTS = [NEWS[0], "Ключевая ставка останется высокой до конца года, считают аналитики.", *NEWS[1:]]
Runner = Callable[..., CliResult]
SOURCE_KEYS = {"channel", "message_id", "url", "score", "snippet"}


@pytest.fixture
def cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Runner:
    """`run(*argv)` runs tgassist in this process against a data dir under tmp_path."""

    def run(*argv: str) -> CliResult:
        return run_cli(monkeypatch, capsys, tmp_path, *argv)

    return run


def _import(cli: Runner, tmp_path: Path, *extra: str) -> None:
    export = write_export(tmp_path / "result.json", CHANNEL_ID, POSTS, name="Экономика")
    result = cli("import", str(export), "--chat", "42", "--json", *extra)
    assert result.code == 0, result.err


def _check_source(source: dict[str, object]) -> None:
    assert set(source) >= SOURCE_KEYS
    assert isinstance(source["channel"], str)
    assert isinstance(source["message_id"], int)
    assert isinstance(source["score"], float)
    assert isinstance(source["snippet"], str)
    assert source["url"] == f"https://t.me/c/{CHANNEL_ID}/{source['message_id']}"


def test_ask_json_answers_with_sources(cli: Runner, tmp_path: Path) -> None:
    """`ask --json`: status ok, the extractive answer, sources with the documented fields."""
    _import(cli, tmp_path)
    result = cli("ask", "До скольки повысили ключевую ставку?", "--chat", "42", "--json")
    assert result.code == 0, result.err
    value = result.json()
    assert value["status"] == "ok"
    assert value["answer"].startswith("📰 Самые подходящие фрагменты постов:\n\n[1] Центробанк")
    assert "<" not in value["answer"]  # plain text, no HTML
    assert value["sources"]
    for source in value["sources"]:
        _check_source(source)
    assert value["sources"][0]["message_id"] == 1
    assert value["sources"][0]["channel"] == "Экономика"
    assert value["mode"] == "extractive"


def test_ask_prints_the_reply_as_the_bot_would(cli: Runner, tmp_path: Path) -> None:
    """Without --json: the same reply as in the chat, as text with source links spelled out."""
    _import(cli, tmp_path)
    result = cli("ask", "What is the key rate? ключевая ставка", "--chat", "42")
    assert result.code == 0
    assert result.out.startswith("📰 Самые подходящие фрагменты постов:\n\n[1] ")
    assert "] Центробанк повысил ключевую ставку до 21%." in result.out
    assert f"] Экономика · 2024-12-01 (https://t.me/c/{CHANNEL_ID}/1)" in result.out


def test_ask_before_indexing_and_for_unknown_chats_is_not_indexed(
    cli: Runner, tmp_path: Path
) -> None:
    """Stored but not indexed, or never seen: status not_indexed and an honest answer."""
    _import(cli, tmp_path, "--no-index")
    waiting = cli("ask", "ключевая ставка", "--chat", "42", "--json").json()
    assert waiting["status"] == "not_indexed"
    assert waiting["sources"] == []
    assert f"Постов в очереди на индексацию: {len(POSTS)}" in waiting["answer"]
    unknown = cli("ask", "key rate", "--chat", "777", "--json")
    assert unknown.code == 0
    assert unknown.json()["status"] == "not_indexed"
    assert "follows no channels" in unknown.json()["answer"]


def test_ask_with_a_channel_the_chat_does_not_follow_is_an_error(
    cli: Runner, tmp_path: Path
) -> None:
    """A bad filter gets a clear message, status error and exit code 2."""
    _import(cli, tmp_path)
    result = cli("ask", "@nosuchchannel ставка", "--chat", "42", "--json")
    assert result.code == 2
    assert result.json()["status"] == "error"
    assert "@nosuchchannel" in result.json()["answer"]


def test_search_json_ranks_posts_best_first(cli: Runner, tmp_path: Path) -> None:
    """`search --json --limit`: at most K results, best first, in the same source shape."""
    _import(cli, tmp_path)
    result = cli("search", "ключевая ставка", "--chat", "42", "--limit", "2", "--json")
    assert result.code == 0
    value = result.json()
    assert value["query"] == "ключевая ставка"
    assert {item["message_id"] for item in value["results"]} == {1, 2}  # both mention it
    scores = [item["score"] for item in value["results"]]
    assert scores == sorted(scores, reverse=True)
    for item in value["results"]:
        _check_source(item)
    text = cli("search", "метро", "--chat", "42")
    assert "1. " in text.out
    assert f"https://t.me/c/{CHANNEL_ID}/4" in text.out
    assert cli("search", "x", "--chat", "42", "--limit", "0").code == 2


def test_search_reads_queries_from_stdin_one_json_per_line(
    cli: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`search -`: one query per input line, one JSON object per output line, blank lines skipped."""
    _import(cli, tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO("ключевая ставка\n\nметро\nпингвины Антарктиды\n"))
    result = cli("search", "-", "--chat", "42", "--limit", "3")
    assert result.code == 0
    lines = [json.loads(line) for line in result.out.splitlines()]
    assert [line["query"] for line in lines] == ["ключевая ставка", "метро", "пингвины Антарктиды"]
    assert lines[0]["results"][0]["message_id"] in {1, 2}
    assert lines[1]["results"][0]["message_id"] == 4
    assert lines[2]["results"] == []
    assert all(len(line["results"]) <= 3 for line in lines)


def test_search_stdin_in_a_real_process(cli: Runner, tmp_path: Path) -> None:
    """The evaluation mode as a separate process: stdin in, JSON lines out."""
    _import(cli, tmp_path)
    result = run_cli_process(
        tmp_path, "search", "-", "--chat", "42", "--limit", "1", stdin="метро\nснег\n"
    )
    assert result.code == 0, result.err
    firsts = [json.loads(line)["results"][0]["message_id"] for line in result.out.splitlines()]
    assert firsts == [4, 3]
