"""Parse Telegram Desktop JSON exports into channel posts.

Two shapes exist: a single-chat export (``result.json`` = ``{"name", "type", "id", "messages"}``)
and a full-account export (``{"chats": {"list": [chat, ...]}, "left_chats"?: {"list": [...]}}``).
tgassist follows channels, so only ``public_channel`` and ``private_channel`` chats are taken:
a full export's other chats (personal chats, groups, bots) are skipped unread, while a
single-chat export of anything else is rejected, because the user asked for exactly that chat.
Channels under ``left_chats`` are taken too: that section is only written when the user opts in.

Nothing here touches the network or any path named inside an export (photo and file paths are
kept as descriptors only); each file is read once, bounded by ``max_bytes``, and parsed
all-or-nothing: any malformed part raises ``ExportFormatError`` naming the file and the problem.
The one exception is a message whose id or date is well-formed but out of range
(``core/bounds.py``): that message alone is refused and listed in ``ExportedChat.rejected``.

Every message with an id, a date and any content is kept, as the web-preview reader keeps it:
what its body shows becomes searchable text (a poll's question and options, a venue's name and
address, a file's name, a song's performer and title, a contact's name, a game's or invoice's
title and description) and its media get the same kinds the other sources use ("photo",
"video", "animation", "video_note", "voice", "audio", "document", "sticker", "poll",
"location", "venue", "contact", "game", "invoice"). A field the parser does not know is logged
once per name; a message holding nothing else is kept with the kind "unknown".
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeGuard, TypeVar

import structlog

from core.bounds import MAX_DATE, MIN_DATE, as_utc, date_problem, from_unixtime, message_id_problem
from core.errors import ExportFormatError
from core.models import ChannelInfo, MediaRef, PostDraft

DEFAULT_MAX_BYTES = 256 * 1024 * 1024
CHANNEL_TYPES = frozenset({"public_channel", "private_channel"})
MANIFEST_NAME = "channels.json"  # a dataset's list of channels, not an export

_LINK_ENTITY_TYPES = frozenset({"link", "url"})
_MAX_UNIXTIME_DIGITS = 12  # far beyond any real date; keeps int() and fromtimestamp() cheap
_MAX_ISO_LENGTH = 64
_MAX_CHAT_ID = 2**62  # Bot API ids (-100<id>) must still fit in a BIGINT

_T = TypeVar("_T")

log = structlog.get_logger(__name__)

# Telegram Desktop's "media_type" of a file → the media kind every source uses (Bot API names).
_MEDIA_TYPES = {
    "voice_message": "voice",
    "video_message": "video_note",
    "sticker": "sticker",
    "audio_file": "audio",
    "video_file": "video",
    "animation": "animation",
}
# Fields of a message that describe it rather than hold content (the exporter's names).
_ABOUT_FIELDS = frozenset(
    [
        "id",
        "type",
        "date",
        "date_unixtime",
        "edited",
        "edited_unixtime",
        "from",
        "from_id",
        "author",
        "forwarded_from",
        "forwarded_from_id",
        "saved_from",
        "saved_from_id",
        "reply_to_message_id",
        "reply_to_peer_id",
        "via_bot",
        "via_business_bot",
        "width",
        "height",
        "photo_file_size",
        "file_size",
        "file_name",
        "thumbnail",
        "thumbnail_file_size",
        "mime_type",
        "duration_seconds",
        "sticker_emoji",
        "self_destruct_period_seconds",
        "live_location_period_seconds",
        "contact_vcard",
        "contact_vcard_file_size",
        "game_link",
        "inline_bot_buttons",
        "reactions",
        "media_spoiler",
        "text_entities",
        "performer",
        "title",
        "media_type",
        "is_paid",
        "paid_stars_amount",
    ]
)
# Fields holding content, read below.
_CONTENT_FIELDS = frozenset(
    [
        "text",
        "photo",
        "file",
        "poll",
        "location_information",
        "place_name",
        "address",
        "contact_information",
        "game_title",
        "game_description",
        "invoice_information",
    ]
)
_reported_fields: set[str] = set()


@dataclass(slots=True)
class ExportedChat:
    """One channel read from an export: its description, its posts, and how many were skipped."""

    info: ChannelInfo
    posts: list[PostDraft]
    skipped: int  # service messages and messages with neither text nor media
    # Messages refused one by one (id or date out of range), each "message ID (#INDEX): why".
    rejected: list[str] = field(default_factory=list)


class _MalformedError(Exception):
    """A problem found inside a document; callers prefix where it was found."""


class _OutOfRange(_MalformedError):
    """A well-formed value no post can have (id or date out of range): only its message is refused."""


def iter_export_files(paths: Sequence[Path]) -> list[Path]:
    """Expand files and directories into the export files to parse, in order, without repeats.

    A directory yields its ``result.json`` when present (both export shapes write that name),
    else its ``*.json`` files sorted by name, minus ``channels.json`` manifests and dotfiles.
    Other paths, including missing ones, are passed through for ``parse_export`` to judge.
    """
    found: list[Path] = []
    for path in paths:
        found.extend(_expand(path))
    return list(dict.fromkeys(found))


def _expand(path: Path) -> list[Path]:
    if not path.is_dir():
        return [path]
    result = path / "result.json"
    if result.is_file():
        return [_inside(path, result)]
    return sorted(
        _inside(path, child)
        for child in path.glob("*.json")
        if child.name != MANIFEST_NAME and not child.name.startswith(".") and child.is_file()
    )


def _inside(folder: Path, found: Path) -> Path:
    """A file found in a folder must not be a link leading out of it (name it to import it)."""
    if not found.resolve().is_relative_to(folder.resolve()):
        raise ExportFormatError(
            f"{found}: links to a file outside {folder}; pass that file itself to import it"
        )
    return found


def parse_export(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> list[ExportedChat]:
    """Parse one export file into its channels; raise ExportFormatError if anything is malformed."""
    document = _load_json(path, max_bytes)
    try:
        return _parse_document(document)
    except _MalformedError as exc:
        raise ExportFormatError(f"{path}: {exc}") from None


# --- reading -------------------------------------------------------------------------------


def _load_json(path: Path, max_bytes: int) -> object:
    if max_bytes <= 0:
        raise ValueError("max_bytes must be positive")
    data = _read_bounded(path, max_bytes)
    try:
        return json.loads(data)
    except RecursionError:
        raise ExportFormatError(f"{path}: JSON is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, over-long integers
        raise ExportFormatError(f"{path}: not valid JSON ({exc})") from None


def _read_bounded(path: Path, max_bytes: int) -> bytes:
    # stat before open: opening a FIFO or device could block forever or never end.
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ExportFormatError(f"{path}: file does not exist") from None
    except OSError as exc:
        raise ExportFormatError(f"{path}: cannot be read ({exc.strerror})") from None
    if stat.S_ISDIR(info.st_mode):
        raise ExportFormatError(f"{path}: is a directory, not an export file")
    if not stat.S_ISREG(info.st_mode):
        raise ExportFormatError(f"{path}: is not a regular file")
    if info.st_size > max_bytes:  # refuse without reading; the bounded read below covers growth
        raise ExportFormatError(f"{path}: larger than the limit of {max_bytes} bytes")
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise ExportFormatError(f"{path}: cannot be read ({exc.strerror})") from None
    if len(data) > max_bytes:
        raise ExportFormatError(f"{path}: larger than the limit of {max_bytes} bytes")
    return data


# --- documents and chats -------------------------------------------------------------------


def _parse_document(document: object) -> list[ExportedChat]:
    if not isinstance(document, dict):
        raise _MalformedError("top level is not a JSON object")
    if "messages" in document:
        chat = _parse_chat(document)
        return [chat]
    if "chats" in document or "left_chats" in document:
        return _parse_account(document)
    raise _MalformedError(
        'neither a single-chat export (no "messages" list) nor a full export (no "chats")'
    )


def _parse_account(document: dict[str, object]) -> list[ExportedChat]:
    chats: list[ExportedChat] = []
    for section in ("chats", "left_chats"):
        for index, chat in enumerate(_chat_list(document, section)):
            where = f"{section}.list[{index}]"
            if not isinstance(chat, dict):
                raise _MalformedError(f"{where} is not an object")
            kind = chat.get("type")
            if not isinstance(kind, str):
                raise _MalformedError(f'{where} has no string "type"')
            if kind not in CHANNEL_TYPES:
                continue  # personal chats and groups are not what tgassist follows
            try:
                chats.append(_parse_chat(chat, check_type=False))
            except _MalformedError as exc:
                name = chat.get("name")
                label = f"{where} ({name!r})" if isinstance(name, str) else where
                raise _MalformedError(f"{label}: {exc}") from None
    return chats


def _chat_list(document: dict[str, object], section: str) -> list[object]:
    block = document.get(section)
    if block is None:
        return []
    if not isinstance(block, dict):
        raise _MalformedError(f'"{section}" is not an object')
    chats = block.get("list")
    if not isinstance(chats, list):
        raise _MalformedError(f'"{section}" has no "list" array')
    return chats


def _parse_chat(chat: dict[str, object], *, check_type: bool = True) -> ExportedChat:
    chat_id = chat.get("id")
    if not _is_int(chat_id):
        raise _MalformedError('chat has no integer "id"')
    if not 0 < abs(chat_id) <= _MAX_CHAT_ID:
        raise _MalformedError(f'chat "id" is out of range: {_show(chat_id)}')
    if check_type:
        kind = chat.get("type")
        if kind not in CHANNEL_TYPES:
            raise _MalformedError(f"chat type {_show(kind)} is not a channel (public or private)")
    name = chat.get("name")
    if name is not None and not isinstance(name, str):
        raise _MalformedError('chat "name" is not a string')
    messages = chat.get("messages")
    if not isinstance(messages, list):
        raise _MalformedError('"messages" is not a list')

    posts: list[PostDraft] = []
    rejected: list[str] = []
    for index, raw in enumerate(messages):
        try:
            post = _parse_message(raw, index)
        except _OutOfRange as exc:
            rejected.append(str(exc))
            continue
        if post is not None:
            posts.append(post)
    # Exports give the bare channel id; a deleted channel may come without a name.
    info = ChannelInfo(username=None, title=name or f"channel {chat_id}", telegram_id=chat_id)
    skipped = len(messages) - len(posts) - len(rejected)
    return ExportedChat(info=info, posts=posts, skipped=skipped, rejected=rejected)


# --- messages ------------------------------------------------------------------------------


def _parse_message(raw: object, index: int) -> PostDraft | None:
    if not isinstance(raw, dict):
        raise _MalformedError(f"message #{index} is not an object")
    message_id = raw.get("id")
    if not _is_int(message_id):
        raise _MalformedError(f'message #{index} has no integer "id"')
    if problem := message_id_problem(message_id):
        raise _OutOfRange(f"message #{index}: {problem}")
    try:
        return _message_body(raw, message_id)
    except _MalformedError as exc:
        raise type(exc)(f"message {message_id} (#{index}): {exc}") from None


def _message_body(raw: dict[str, object], message_id: int) -> PostDraft | None:
    kind = raw.get("type")
    if not isinstance(kind, str):
        raise _MalformedError('"type" is not a string')
    if kind != "message":
        return None  # service messages: joins, pins, title changes
    date = _date(raw, "date_unixtime", "date")
    if date is None:
        raise _MalformedError('has neither "date_unixtime" nor "date"')
    edit_date = _date(raw, "edited_unixtime", "edited")
    text, entities = _text_and_entities(raw)
    media, shown = _media(raw)
    if _report_unknown_fields(raw, message_id) and not text.strip() and not media:
        media.append(MediaRef(kind="unknown"))  # something is there; keep the post, say so
    if not text.strip() and not media:
        return None  # nothing to read or cite (e.g. a file the exporter lost)
    return PostDraft(
        message_id=message_id,
        date=date,
        text="\n\n".join(part for part in (text, shown) if part.strip()),
        links=_links(entities),
        entities=entities,
        media=media,
        edit_date=edit_date,
        forwarded_from=_optional(raw, "forwarded_from", str),
    )


def _date(raw: dict[str, object], unix_key: str, iso_key: str) -> datetime | None:
    # The Unix time is authoritative (UTC); the ISO form is the exporter's local time.
    unix = raw.get(unix_key)
    if unix is not None:
        return _from_unixtime(unix, unix_key)
    iso = raw.get(iso_key)
    if iso is not None:
        return _from_iso(iso, iso_key)
    return None


def _from_unixtime(value: object, key: str) -> datetime:
    seconds: int | None = None
    if _is_int(value):
        seconds = value
    elif (
        isinstance(value, str)
        and len(value) <= _MAX_UNIXTIME_DIGITS
        and value.isascii()
        and value.isdigit()
    ):
        seconds = int(value)
    if seconds is None:
        raise _MalformedError(f'"{key}" is not a Unix time: {_show(value)}')
    moment = from_unixtime(seconds)
    if moment is None:
        raise _OutOfRange(
            f'"{key}" is out of range ({MIN_DATE.date()} to {MAX_DATE.date()}): {_show(value)}'
        )
    return moment


def _from_iso(value: object, key: str) -> datetime:
    if isinstance(value, str) and len(value) <= _MAX_ISO_LENGTH:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            moment = as_utc(parsed)
            if moment is None or date_problem(moment):
                raise _OutOfRange(
                    f'"{key}" is out of range ({MIN_DATE.date()} to {MAX_DATE.date()}): {_show(value)}'
                )
            return moment
    raise _MalformedError(f'"{key}" is not an ISO date: {_show(value)}')


def _text_and_entities(raw: dict[str, object]) -> tuple[str, list[dict[str, object]]]:
    text = raw.get("text", "")
    if isinstance(text, str):
        parts: list[object] = []
        plain = text
    elif isinstance(text, list):
        parts = text
        plain = "".join(_part_text(part, index) for index, part in enumerate(text))
    else:
        raise _MalformedError('"text" is neither a string nor a list')
    # "text_entities" is the exporter's flat list; older exports only have the "text" list.
    source = raw.get("text_entities", parts)
    if not isinstance(source, list):
        raise _MalformedError('"text_entities" is not a list')
    entities = [_entity(item, index) for index, item in enumerate(source)]
    return plain, [entity for entity in entities if entity is not None]


def _part_text(part: object, index: int) -> str:
    if isinstance(part, str):
        return part
    if isinstance(part, dict):
        text = part.get("text")
        if isinstance(text, str):
            return text
    raise _MalformedError(f'"text" item {index} is neither a string nor an entity with "text"')


def _entity(item: object, index: int) -> dict[str, object] | None:
    if isinstance(item, str):
        return None  # plain run inside a "text" list
    if not isinstance(item, dict):
        raise _MalformedError(f"entity {index} is not an object")
    kind, text, href = item.get("type"), item.get("text"), item.get("href")
    if not isinstance(kind, str) or not isinstance(text, str):
        raise _MalformedError(f'entity {index} lacks a string "type" or "text"')
    if href is not None and not isinstance(href, str):
        raise _MalformedError(f'entity {index} has a non-string "href"')
    if kind == "plain":
        return None
    entity: dict[str, object] = {"type": kind, "text": text}
    if href is not None:
        entity["href"] = href
    return entity


def _links(entities: list[dict[str, object]]) -> list[str]:
    links: list[str] = []
    for entity in entities:
        if entity["type"] == "text_link" and "href" in entity:
            links.append(str(entity["href"]))
        elif entity["type"] in _LINK_ENTITY_TYPES:
            links.append(str(entity["text"]))
    return list(dict.fromkeys(links))


def _media(raw: dict[str, object]) -> tuple[list[MediaRef], str]:
    """The message's media, and what its body shows besides the text, as searchable text."""
    # Paths are relative to the export folder and are only recorded, never opened; URLs are
    # dropped, since only web-preview images are meant to be downloaded.
    media: list[MediaRef] = []
    words: list[str | None] = []
    width = _optional(raw, "width", int)
    height = _optional(raw, "height", int)
    photo = _optional(raw, "photo", str)
    if photo is not None:
        size = _optional(raw, "photo_file_size", int)
        # Telegram Desktop writes relative paths, or "(File not included. …)" when it skipped
        # the file; a URL here would be fetched by the media job.
        path = None if "://" in photo or _not_included(photo) else photo
        media.append(MediaRef(kind="photo", url=path, width=width, height=height, file_size=size))
    file = _optional(raw, "file", str)
    media_type = _optional(raw, "media_type", str)
    if file is not None or media_type is not None:
        kind = _MEDIA_TYPES.get(media_type or "", "document")
        media.append(
            MediaRef(
                kind=kind,
                width=width,
                height=height,
                mime_type=_optional(raw, "mime_type", str),
                file_size=_optional(raw, "file_size", int),
            )
        )
        if kind == "audio":
            words += [_optional(raw, "performer", str), _optional(raw, "title", str)]
        if kind in {"audio", "document"}:
            words.append(_file_name(raw, file))
    poll = raw.get("poll")
    if poll is not None:
        media.append(MediaRef(kind="poll"))
        words += _poll(poll)
    place = _optional(raw, "place_name", str)
    address = _optional(raw, "address", str)
    if place or address:
        media.append(MediaRef(kind="venue"))
        words += [place, address]
    elif "location_information" in raw:  # null when the point was invalid: still a location
        _optional(raw, "location_information", dict)
        media.append(MediaRef(kind="location"))
    contact = _optional(raw, "contact_information", dict)
    if contact is not None:
        media.append(MediaRef(kind="contact"))
        names = (_words(contact.get(key)) for key in ("first_name", "last_name"))
        words.append(" ".join(name for name in names if name))
    game = _optional(raw, "game_title", str)
    if game is not None:
        media.append(MediaRef(kind="game"))
        words += [game, _optional(raw, "game_description", str)]
    invoice = _optional(raw, "invoice_information", dict)
    if invoice is not None:
        media.append(MediaRef(kind="invoice"))
        words += [_words(invoice.get("title")), _words(invoice.get("description"))]
    return media, "\n".join(word.strip() for word in words if word and word.strip())


def _not_included(path: str) -> bool:
    """The exporter's "(File not included. …)" / "(File unavailable, …)" in place of a path."""
    return path.startswith("(") and path.endswith(")")


def _file_name(raw: dict[str, object], file: str | None) -> str | None:
    """A document's name: the exporter's "file_name", else the last part of its path."""
    name = _optional(raw, "file_name", str)
    if name is None and file is not None and not _not_included(file):
        name = file.replace("\\", "/").rpartition("/")[2]
    return name


def _poll(poll: object) -> list[str]:
    """A poll's (or quiz's) question, then one answer per line."""
    if not isinstance(poll, dict):
        raise _MalformedError('"poll" is not an object')
    answers = poll.get("answers", [])
    if not isinstance(answers, list):
        raise _MalformedError('"poll" has no "answers" list')
    texts = [_words(answer.get("text")) if isinstance(answer, dict) else "" for answer in answers]
    return [_words(poll.get("question")), *texts]


def _words(value: object) -> str:
    """Text the exporter wrote as a string or as a list of text parts; anything else is none."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(
            part if isinstance(part, str) else _words(part.get("text"))
            for part in value
            if isinstance(part, str | dict)
        )
    return ""


def _report_unknown_fields(raw: dict[str, object], message_id: int) -> bool:
    """Log each field name the parser does not know, once per process; whether any was there."""
    unknown = [key for key in raw if key not in _ABOUT_FIELDS and key not in _CONTENT_FIELDS]
    for key in unknown:
        if key not in _reported_fields and len(_reported_fields) < 1000:
            _reported_fields.add(key)
            log.warning("export_unknown_field", field=key[:80], message_id=message_id)
    return bool(unknown)


# --- small helpers -------------------------------------------------------------------------


def _optional(raw: dict[str, object], key: str, kind: type[_T]) -> _T | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, kind) and not isinstance(value, bool):  # True is no width
        return value
    raise _MalformedError(f'"{key}" is not {_KIND_NAMES.get(kind, kind.__name__)}: {_show(value)}')


_KIND_NAMES: dict[type, str] = {int: "an integer", str: "a string", dict: "an object"}


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)  # True is no id


def _show(value: object) -> str:
    """A short repr for error messages, so a huge bad value does not flood the log."""
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."
