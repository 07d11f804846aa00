"""Hostile Telegram exports: media paths that point elsewhere, links out of the folder.

The import and the media job read nothing but the export files given: paths inside an export
are descriptors only, URLs in them are not fetched, and a symlink leading out of an export
folder is refused by name before anything is stored.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.cli import CliResult, run_cli

CANARY = b"\xff\xd8\xff\xe0CANARY-JPEG-" + b"x" * 64


def _export(path: Path, name: str, channel_id: int, messages: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"name": name, "type": "public_channel", "id": channel_id, "messages": messages}
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def _message(number: int, text: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": number,
        "type": "message",
        "date": "2024-12-01T10:00:00",
        "date_unixtime": str(1733047200 + number),
        "text": text,
        **extra,
    }


@pytest.fixture
def canary_server() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 (in a thread) serving an image; records every request path."""
    hits: list[str] = []

    class Image(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(CANARY)))
            self.end_headers()
            self.wfile.write(CANARY)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Image)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def _files_containing(root: Path, needle: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_media_paths_in_an_export_are_never_opened_or_fetched(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    canary_server: tuple[str, list[str]],
) -> None:
    """Traversal, absolute, file:// and http:// media paths are stored as text, never read."""
    base_url, hits = canary_server
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "canary.jpg").write_bytes(CANARY)
    export_dir = tmp_path / "export"
    (export_dir / "photos").mkdir(parents=True)
    (export_dir / "photos" / "link.jpg").symlink_to(outside / "canary.jpg")
    hostile = [
        "../outside/canary.jpg",
        "../../../../../../" + str(outside / "canary.jpg"),
        str(outside / "canary.jpg"),
        f"file://{outside / 'canary.jpg'}",
        "photos/link.jpg",
        f"{base_url}/latest/meta-data",
        f"{base_url.replace('http', 'https')}/x.jpg",
    ]
    messages = [
        _message(n, f"пост {n}", photo=path, width=10, height=10)
        for n, path in enumerate(hostile, start=1)
    ]
    messages.append(_message(99, "файл", file="../outside/canary.jpg", media_type="document"))
    _export(export_dir / "result.json", "Hostile", 1555000333, messages)

    def cli(*argv: str) -> CliResult:
        return run_cli(monkeypatch, capsys, tmp_path, *argv)

    imported = cli("import", str(export_dir), "--chat", "42", "--json")
    assert imported.code == 0, imported.err
    assert imported.json()["inserted"] == len(messages)
    fetched = cli("jobs", "run", "media-fetch")
    assert fetched.code == 0, fetched.err
    assert hits == []  # no URL named in the export was requested
    assert _files_containing(tmp_path / "data", b"CANARY-JPEG") == []


def test_symlinks_out_of_an_export_folder_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder's *.json that links outside it is named in a clear error; nothing is imported."""
    secret = _export(tmp_path / "private" / "secret.json", "Secret", 1555000444, [_message(1, "s")])
    folder = tmp_path / "exports"
    _export(folder / "a.json", "Fine", 1555000555, [_message(1, "обычный пост")])
    (folder / "b.json").symlink_to(secret)

    def cli(*argv: str) -> CliResult:
        return run_cli(monkeypatch, capsys, tmp_path, *argv)

    refused = cli("import", str(folder), "--chat", "42", "--json")
    assert refused.code == 2
    assert "b.json" in refused.err and "outside" in refused.err
    assert "Secret" not in refused.out + refused.err
    unknown = cli("search", "пост", "--chat", "42", "--json").json()
    assert unknown["status"] == "not_indexed" and unknown["results"] == []
    # Named explicitly, the same file is the user's choice and is imported.
    chosen = cli("import", str(folder / "b.json"), "--chat", "42", "--json")
    assert chosen.code == 0 and chosen.json()["inserted"] == 1


def test_deeply_nested_or_huge_exports_fail_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Deep nesting and a file over EXPORT limits give a clear error and store nothing."""
    deep = tmp_path / "deep.json"
    deep.write_bytes(b'{"messages": ' + b"[" * 200_000 + b"]" * 200_000 + b"}")

    def cli(*argv: str) -> CliResult:
        return run_cli(monkeypatch, capsys, tmp_path, *argv)

    result = cli("import", str(deep), "--chat", "42", "--json")
    assert result.code == 2 and "nested too deeply" in result.err
    assert cli("search", "x", "--chat", "42", "--json").json()["status"] == "not_indexed"
