"""Tests for core.ingest.exports: Telegram Desktop export parsing and export file discovery."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.errors import ExportFormatError
from core.ingest.exports import ExportedChat, iter_export_files, parse_export
from core.models import MediaRef

Corpus = tuple[list[dict[str, object]], list[ExportedChat]]  # manifest entries, parsed chats

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "telegram-news-ru"


def _message(message_id: object, **fields: object) -> dict[str, object]:
    """A minimal valid channel message, with fields overridden or added."""
    message: dict[str, object] = {
        "id": message_id,
        "type": "message",
        "date": "2024-12-01T12:00:00",
        "date_unixtime": "1733054400",
        "from": "Test Channel",
        "from_id": "channel42",
        "text": f"post {message_id}",
        "text_entities": [{"type": "plain", "text": f"post {message_id}"}],
    }
    message.update(fields)
    return message


def _chat(messages: object, **fields: object) -> dict[str, object]:
    """A single-chat export of a public channel, with fields overridden or added."""
    chat: dict[str, object] = {
        "name": "Test Channel",
        "type": "public_channel",
        "id": 42,
        "messages": messages,
    }
    chat.update(fields)
    return chat


def _write(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def _parse_one(tmp_path: Path, *messages: object) -> ExportedChat:
    [chat] = parse_export(_write(tmp_path / "result.json", _chat(list(messages))))
    return chat


# --- the shared corpus ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    """The shared corpus manifest and every chat parsed from its directory."""
    if not (CORPUS / "channels.json").is_file():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    manifest = json.loads((CORPUS / "channels.json").read_text(encoding="utf-8"))
    chats = [chat for path in iter_export_files([CORPUS]) for chat in parse_export(path)]
    return manifest, chats


def test_corpus_parses_completely(corpus: Corpus):
    """All 24 corpus channels parse and every manifest post is accounted for."""
    manifest, chats = corpus
    assert len(chats) == len(manifest) == 24
    expected = sum(int(str(entry["posts"])) for entry in manifest)
    assert sum(len(chat.posts) for chat in chats) == expected - sum(c.skipped for c in chats)
    assert {chat.info.telegram_id for chat in chats} == {entry["id"] for entry in manifest}
    by_id = {entry["id"]: entry for entry in manifest}
    for chat in chats:
        assert chat.info.title == by_id[chat.info.telegram_id]["title"]
        assert chat.info.username is None  # exports never carry it


def test_corpus_dates_are_aware_utc(corpus: Corpus):
    """Every corpus post date is timezone-aware UTC."""
    _, chats = corpus
    for chat in chats:
        for post in chat.posts:
            assert post.date.tzinfo is UTC


def test_corpus_has_text_link_links(corpus: Corpus):
    """Corpus posts carry links taken from text_link entity hrefs."""
    _, chats = corpus
    linked = [
        post
        for chat in chats
        for post in chat.posts
        if any(entity["type"] == "text_link" for entity in post.entities)
    ]
    assert linked
    post = linked[0]
    hrefs = [e["href"] for e in post.entities if e["type"] == "text_link"]
    assert post.links == list(dict.fromkeys(hrefs))


# --- message content -----------------------------------------------------------------------


LIST_TEXT: list[object] = [
    {"type": "bold", "text": "Breaking"},
    ": read ",
    {"type": "text_link", "text": "here", "href": "https://example.com/a"},
    " or ",
    {"type": "link", "text": "https://example.com/b"},
    " and ",
    {"type": "text_link", "text": "again", "href": "https://example.com/a"},
]
LIST_ENTITIES = [
    {"type": "bold", "text": "Breaking"},
    {"type": "text_link", "text": "here", "href": "https://example.com/a"},
    {"type": "link", "text": "https://example.com/b"},
    {"type": "text_link", "text": "again", "href": "https://example.com/a"},
]


def test_list_text_with_bold_and_text_link(tmp_path: Path):
    """List-form text joins to plain text; entities drop "plain"; links are hrefs and link texts."""
    flat = [{"type": "plain", "text": p} if isinstance(p, str) else p for p in LIST_TEXT]
    post = _parse_one(tmp_path, _message(7, text=LIST_TEXT, text_entities=flat)).posts[0]
    assert post.text == "Breaking: read here or https://example.com/b and again"
    assert post.entities == LIST_ENTITIES
    assert post.links == ["https://example.com/a", "https://example.com/b"]


def test_entities_derived_from_text_list_without_text_entities(tmp_path: Path):
    """Older exports without "text_entities" still yield entities and links from the text list."""
    message = _message(7, text=LIST_TEXT)
    del message["text_entities"]
    post = _parse_one(tmp_path, message).posts[0]
    assert post.entities == LIST_ENTITIES
    assert post.links == ["https://example.com/a", "https://example.com/b"]


def test_service_and_empty_messages_are_skipped(tmp_path: Path):
    """Service messages and messages without text or media are skipped and counted; a poll
    is content (tests/test_export_kinds.py reads every kind)."""
    service = {"id": 2, "type": "service", "date_unixtime": "1733054400", "action": "pin_message"}
    poll = _message(3, text="", text_entities=[], poll={"question": "?"})
    blank = _message(4, text="  \n", text_entities=[])
    chat = _parse_one(tmp_path, _message(1), service, poll, blank, _message(5))
    assert [post.message_id for post in chat.posts] == [1, 3, 5]
    assert chat.skipped == 2


def test_edited_message_gets_edit_date(tmp_path: Path):
    """ "edited_unixtime" becomes an aware UTC edit_date; unedited posts have none."""
    edited = _message(1, edited="2024-12-01T15:00:00", edited_unixtime="1733068800")
    chat = _parse_one(tmp_path, edited, _message(2))
    assert chat.posts[0].edit_date == datetime(2024, 12, 1, 16, 0, tzinfo=UTC)
    assert chat.posts[0].date == datetime(2024, 12, 1, 12, 0, tzinfo=UTC)
    assert chat.posts[1].edit_date is None


def test_date_falls_back_to_iso_as_utc(tmp_path: Path):
    """Without "date_unixtime", a naive "date" is read as UTC and an offset date is converted."""
    naive = _message(1, date="2024-12-01T09:30:00")
    offset = _message(2, date="2024-12-01T12:30:00+03:00")
    for message in (naive, offset):
        del message["date_unixtime"]
    chat = _parse_one(tmp_path, naive, offset)
    expected = datetime(2024, 12, 1, 9, 30, tzinfo=UTC)
    assert [post.date for post in chat.posts] == [expected, expected]
    assert all(post.date.utcoffset() == timedelta(0) for post in chat.posts)


def test_media_and_forward_are_described_not_opened(tmp_path: Path):
    """Photo and file fields become MediaRefs with paths kept verbatim; forwarded_from is kept."""
    photo = _message(
        1,
        text="",
        text_entities=[],
        photo="../../../etc/passwd",
        photo_file_size=1234,
        width=800,
        height=600,
        forwarded_from="Other Channel",
    )
    video = _message(
        2,
        file="video_files/clip.mp4",
        media_type="video_file",
        mime_type="video/mp4",
        width=1280,
        height=720,
    )
    document = _message(3, file="files/report.pdf", mime_type="application/pdf")
    chat = _parse_one(tmp_path, photo, video, document)
    assert chat.skipped == 0
    assert chat.posts[0].media == [
        MediaRef(kind="photo", url="../../../etc/passwd", width=800, height=600, file_size=1234)
    ]
    assert chat.posts[0].forwarded_from == "Other Channel"
    assert chat.posts[1].media == [
        MediaRef(kind="video", width=1280, height=720, mime_type="video/mp4")
    ]
    assert chat.posts[2].media == [MediaRef(kind="document", mime_type="application/pdf")]
    assert chat.posts[2].forwarded_from is None


def test_single_chat_info(tmp_path: Path):
    """A single-chat export keeps the bare id and name; the username is left to the caller."""
    chat = _parse_one(tmp_path, _message(1))
    assert (chat.info.telegram_id, chat.info.title, chat.info.username) == (
        42,
        "Test Channel",
        None,
    )


# --- the full-account export ---------------------------------------------------------------


def test_full_export_takes_only_channels(tmp_path: Path):
    """A full export yields its public and private channels, including left ones, and no others."""
    document = {
        "about": "Here is the data you requested.",
        "chats": {
            "about": "This page lists all chats from this export.",
            "list": [
                _chat([_message(1)], name="Public", id=100),
                {"name": "Friend", "type": "personal_chat", "id": 7, "messages": "not read"},
                {"name": "Group", "type": "private_supergroup", "id": 8, "messages": []},
                _chat([_message(5), _message(6)], name="Private", type="private_channel", id=200),
            ],
        },
        "left_chats": {"list": [_chat([_message(9)], name="Left", id=300)]},
    }
    chats = parse_export(_write(tmp_path / "result.json", document))
    assert [(c.info.title, c.info.telegram_id) for c in chats] == [
        ("Public", 100),
        ("Private", 200),
        ("Left", 300),
    ]
    assert [len(c.posts) for c in chats] == [1, 2, 1]


def test_full_export_error_names_chat_and_message(tmp_path: Path):
    """A bad message in one channel of a full export fails the whole file, naming where."""
    document = {
        "chats": {
            "list": [
                _chat([_message(1)], name="Good", id=100),
                _chat([_message(1), _message(2, date_unixtime="soon")], name="Bad", id=200),
            ]
        }
    }
    with pytest.raises(ExportFormatError) as caught:
        parse_export(_write(tmp_path / "account.json", document))
    message = str(caught.value)
    assert "account.json" in message
    assert "chats.list[1] ('Bad')" in message
    assert "message 2 (#1)" in message
    assert '"date_unixtime" is not a Unix time' in message


def test_out_of_range_unix_time_rejects_only_its_message(tmp_path: Path):
    """A Unix time of 10^30 is well-formed but out of range: that message is rejected, the file kept."""
    path = _write(tmp_path / "huge.json", _chat([_message(1, date_unixtime=10**30), _message(2)]))
    [chat] = parse_export(path)
    assert [post.message_id for post in chat.posts] == [2]
    assert chat.rejected == [
        'message 1 (#0): "date_unixtime" is out of range (2013-08-01 to 2100-01-01): '
        "1000000000000000000000000000000"
    ]


# --- malformed input -----------------------------------------------------------------------

MALFORMED: list[tuple[str, object, str]] = [
    ("not-json", b"{not json", "not valid JSON"),
    ("bad-utf8", b'{"messages": ["\xff"]}', "not valid JSON"),
    ("deep", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ("array", [], "top level is not a JSON object"),
    ("no-messages", {"name": "x", "type": "public_channel", "id": 1}, "neither"),
    ("messages-not-list", _chat({"1": {}}), '"messages" is not a list'),
    ("chat-id", _chat([], id="42"), 'chat has no integer "id"'),
    ("not-channel", _chat([], type="personal_chat"), "is not a channel"),
    ("message-not-object", _chat([_message(1), "hi"]), "message #1 is not an object"),
    ("no-id", _chat([_message(1), {"type": "message"}]), 'message #1 has no integer "id"'),
    ("bool-id", _chat([_message(True)]), 'message #0 has no integer "id"'),
    ("float-id", _chat([_message(1.0)]), 'message #0 has no integer "id"'),
    ("type", _chat([_message(1, type=None)]), '"type" is not a string'),
    ("unix", _chat([_message(1, date_unixtime="17e8")]), '"date_unixtime" is not a Unix time'),
    ("no-date", _chat([{"id": 1, "type": "message", "text": "x"}]), "has neither"),
    ("iso", _chat([{"id": 1, "type": "message", "date": "yesterday"}]), '"date" is not an ISO'),
    ("edited", _chat([_message(1, edited_unixtime="-")]), '"edited_unixtime" is not a Unix'),
    ("text", _chat([_message(1, text=42)]), '"text" is neither a string nor a list'),
    ("text-item", _chat([_message(1, text=["a", 3])]), '"text" item 1'),
    ("entities", _chat([_message(1, text_entities={})]), '"text_entities" is not a list'),
    (
        "href",
        _chat([_message(1, text_entities=[{"type": "text_link", "text": "a", "href": 5}])]),
        'non-string "href"',
    ),
    ("photo", _chat([_message(1, photo=["a.jpg"])]), '"photo" is not a string'),
    ("width", _chat([_message(1, photo="a.jpg", width="800")]), '"width" is not an integer'),
    ("forward", _chat([_message(1, forwarded_from=1)]), '"forwarded_from" is not a string'),
    ("chats", {"chats": []}, '"chats" is not an object'),
    ("chats-list", {"chats": {"list": None}}, '"chats" has no "list" array'),
    ("chat-item", {"chats": {"list": [1]}}, "chats.list[0] is not an object"),
    ("chat-type", {"chats": {"list": [{"id": 1}]}}, 'chats.list[0] has no string "type"'),
]


@pytest.mark.parametrize(
    ("name", "content", "problem"), MALFORMED, ids=[case[0] for case in MALFORMED]
)
def test_malformed_export_names_file_and_problem(
    tmp_path: Path, name: str, content: object, problem: str
):
    """Each malformed export raises ExportFormatError naming the file and the problem."""
    path = tmp_path / f"channel_{name}.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        _write(path, content)
    with pytest.raises(ExportFormatError) as caught:
        parse_export(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert problem in str(caught.value)


def test_missing_file_and_directory_are_rejected(tmp_path: Path):
    """A missing path or a directory raises ExportFormatError instead of OSError."""
    with pytest.raises(ExportFormatError, match=r"missing\.json: file does not exist"):
        parse_export(tmp_path / "missing.json")
    with pytest.raises(ExportFormatError, match="is a directory"):
        parse_export(tmp_path)


def test_oversized_file_is_rejected(tmp_path: Path):
    """A file over max_bytes is refused before parsing, naming the limit."""
    path = _write(tmp_path / "big.json", _chat([_message(n) for n in range(1, 50)]))
    size = path.stat().st_size
    assert parse_export(path, max_bytes=size)[0].posts
    with pytest.raises(ExportFormatError, match=rf"big\.json: larger than .* {size - 1} bytes"):
        parse_export(path, max_bytes=size - 1)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need POSIX")
def test_fifo_is_rejected_without_blocking(tmp_path: Path):
    """A named pipe is refused without being opened (opening it would block forever)."""
    fifo = tmp_path / "result.json"
    os.mkfifo(fifo)
    with pytest.raises(ExportFormatError, match="not a regular file"):
        parse_export(fifo)


# --- finding export files ------------------------------------------------------------------


def test_iter_export_files_expands_directories(tmp_path: Path):
    """Directories give result.json if present, else sorted *.json minus manifests and dotfiles."""
    single = tmp_path / "ChatExport_2024-12-04"
    single.mkdir()
    (single / "result.json").write_text("{}")
    (single / "other.json").write_text("{}")

    dataset = tmp_path / "dataset"
    dataset.mkdir()
    for name in ("channel_2.json", "channel_1.json", "channels.json", ".hidden.json", "a.txt"):
        (dataset / name).write_text("{}")
    (dataset / "sub.json").mkdir()

    loose = tmp_path / "loose.json"
    missing = tmp_path / "missing.json"
    found = iter_export_files([single, dataset, loose, missing, single / "result.json"])
    assert found == [
        single / "result.json",
        dataset / "channel_1.json",
        dataset / "channel_2.json",
        loose,
        missing,  # passed through so parse_export can report it
    ]
