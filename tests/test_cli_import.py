"""`tgassist import` of Telegram Desktop exports, `tgassist channels`, and index locking."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli import run_cli, run_cli_process, write_export


@pytest.mark.slow
def test_import_whole_corpus_then_reimport_is_idempotent(
    shared_corpus: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """All 22,099 posts of the corpus are stored and indexed once; a second import changes nothing."""
    manifest = json.loads((shared_corpus / "channels.json").read_text())
    expected = sum(entry["posts"] for entry in manifest)
    first = run_cli(
        monkeypatch, capsys, tmp_path, "import", str(shared_corpus), "--chat", "42", "--json"
    )
    assert first.code == 0, first.err
    report = first.json()
    assert report["inserted"] == expected and report["indexed"] == expected
    assert len(report["channels"]) == len(manifest)

    again = run_cli(
        monkeypatch, capsys, tmp_path, "import", str(shared_corpus), "--chat", "42", "--json"
    )
    assert again.code == 0
    assert again.json()["inserted"] == 0 and again.json()["unchanged"] == expected
    assert again.json()["indexed"] == 0

    listing = run_cli(monkeypatch, capsys, tmp_path, "channels", "--chat", "42", "--json").json()
    assert len(listing["channels"]) == len(manifest) and listing["pending_index"] == 0
    assert sum(c["posts"] for c in listing["channels"]) == expected
    titles = {entry["title"] for entry in manifest}
    assert {c["title"] for c in listing["channels"]} == titles


def test_malformed_file_stops_the_import_before_anything_is_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """One malformed file among good ones: a clear error naming it, and nothing imported."""
    exports = tmp_path / "exports"
    exports.mkdir()
    write_export(exports / "a_good.json", 111, ["первый", "второй"])
    (exports / "b_bad.json").write_text(
        '{"name": "Broken", "type": "public_channel", "id": 5, "messages": [{"id": "x"}]}'
    )
    result = run_cli(monkeypatch, capsys, tmp_path, "import", str(exports), "--chat", "7")
    assert result.code == 2
    assert "b_bad.json" in result.err and "id" in result.err
    listing = run_cli(monkeypatch, capsys, tmp_path, "channels", "--chat", "7", "--json").json()
    assert listing["channels"] == []


def test_missing_and_non_json_files_are_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A path that does not exist, or is not JSON, is named in the error."""
    missing = run_cli(
        monkeypatch, capsys, tmp_path, "import", str(tmp_path / "nope.json"), "--chat", "7"
    )
    assert missing.code == 2 and "nope.json" in missing.err
    junk = tmp_path / "junk.json"
    junk.write_bytes(b"\x00\x01 not json")
    garbage = run_cli(monkeypatch, capsys, tmp_path, "import", str(junk), "--chat", "7")
    assert garbage.code == 2 and "junk.json" in garbage.err


def test_index_held_by_another_process_gets_a_clear_message(tmp_path: Path) -> None:
    """While another process holds the chat's index shard, import stores the posts and says why they wait."""
    export = write_export(tmp_path / "one.json", 222, ["пост о погоде", "пост о футболе"])
    assert run_cli_process(tmp_path, "import", str(export), "--chat", "9").code == 0
    holder_script = (
        "import asyncio, sys\n"
        "from pathlib import Path\n"
        "from storage.index.edge import EdgePostIndex\n"
        "from storage.index.sparse import SparseEncoder\n"
        "async def main():\n"
        "    index = EdgePostIndex(Path(sys.argv[1]), SparseEncoder(), None)\n"
        "    await index.stats(1)\n"
        "    print('holding', flush=True)\n"
        "    sys.stdin.readline()\n"
        "    await index.close()\n"
        "asyncio.run(main())\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", holder_script, str(tmp_path / "data" / "qdrant")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        assert holder.stdout is not None
        while (line := holder.stdout.readline()) and line.strip() != "holding":
            pass  # the holder's own log lines
        assert line.strip() == "holding"
        second = write_export(tmp_path / "two.json", 333, ["ещё один пост"])
        result = run_cli_process(tmp_path, "import", str(second), "--chat", "9")
        assert result.code == 3
        assert "in use by another tgassist process" in result.err
        assert "Traceback" not in result.err
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=30)
    retry = run_cli_process(tmp_path, "jobs", "run", "index-pending")
    assert retry.code == 0, retry.err
    listing = json.loads(run_cli_process(tmp_path, "channels", "--chat", "9", "--json").out)
    assert listing["pending_index"] == 0
    shutil.rmtree(tmp_path / "data", ignore_errors=True)
