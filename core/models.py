"""Plain data objects shared by every layer; no I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class SourceKind(StrEnum):
    """Where a channel's posts come from."""

    WEB_PREVIEW = "web_preview"  # public channel read through t.me/s/<username>
    BOT_ADMIN = "bot_admin"  # the bot is an administrator and receives channel_post updates
    EXPORT = "export"  # Telegram Desktop export imported through the CLI


@dataclass(frozen=True, slots=True)
class MediaRef:
    """One image (or other medium) attached to a post, as the source described it."""

    # "photo", "video", "video_note", "voice", "audio", "document", "sticker", "poll",
    # "location", "venue", "unsupported" (a post the web preview cannot show), "unknown", ...
    kind: str
    url: str | None = None  # web preview image URL
    file_id: str | None = None  # Bot API file id
    file_unique_id: str | None = None
    width: int | None = None
    height: int | None = None
    mime_type: str | None = None
    file_size: int | None = None
    # A still picture standing for a video (the web preview's thumbnail): the post's picture,
    # kept instead of the video's own URL, which expires.
    thumbnail_url: str | None = None


@dataclass(slots=True)
class PostDraft:
    """A post as read from a source, before it is stored."""

    message_id: int
    date: datetime  # timezone-aware UTC
    text: str
    links: list[str] = field(default_factory=list)
    entities: list[dict[str, object]] = field(default_factory=list)
    views: int | None = None
    media: list[MediaRef] = field(default_factory=list)
    grouped_id: str | None = None  # album id (media_group_id); album members share it
    edit_date: datetime | None = None
    forwarded_from: str | None = None


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """What a source tells about a channel itself."""

    username: str | None
    title: str
    telegram_id: int | None = None


@dataclass(slots=True)
class ChannelPage:
    """One page of a channel's posts read from a source, newest last."""

    channel: ChannelInfo
    posts: list[PostDraft]
    before: int | None = None  # message id to ask for the next (older) page, if any
    listed: list[int] = field(default_factory=list)  # every message id the page showed


@dataclass(frozen=True, slots=True)
class Channel:
    """A stored channel."""

    id: int
    username: str | None
    title: str
    source: SourceKind
    telegram_id: int | None = None
    last_message_id: int | None = None
    last_polled_at: datetime | None = None
    poll_errors: int = 0
    last_error: str | None = None  # the last poll error's English message (logs, the CLI)
    last_error_kind: str | None = (
        None  # its `CoreError.kind`: what chats are told, in their language
    )


@dataclass(frozen=True, slots=True)
class Tenant:
    """The chat the bot serves: a private chat is personal, a group is shared."""

    id: int
    chat_id: int
    kind: str  # "private", "group", "supergroup", "channel"
    title: str | None = None
    language: str = "en"
    alerts_enabled: bool = True
    language_chosen: bool = False  # /lang set it: it wins over the user's client language
    active: bool = True  # False once the bot was removed from the chat or blocked


@dataclass(frozen=True, slots=True)
class UserContact:
    """A user seen in an update: stored later, in a batch, off the answer path."""

    user_id: int
    username: str | None
    first_name: str | None
    language: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class Post:
    """A stored post."""

    id: int
    channel_id: int
    message_id: int
    date: datetime
    text: str
    links: list[str] = field(default_factory=list)
    views: int | None = None
    media: list[MediaRef] = field(default_factory=list)
    grouped_id: str | None = None
    edit_date: datetime | None = None
    version: int = 1


@dataclass(frozen=True, slots=True)
class SubscribedChannel:
    """A channel as one chat sees it in /channels."""

    channel: Channel
    post_count: int
    last_post_at: datetime | None
    subscribed_at: datetime


def channel_url(username: str | None, telegram_id: int | None) -> str:
    """Public link of a channel: t.me/<username>, or t.me/c/<id> for channels without one."""
    if username:
        return f"https://t.me/{username}"
    if telegram_id is not None:
        internal = str(abs(telegram_id))
        if internal.startswith("100") and len(internal) > 12:
            internal = internal[3:]  # Bot API ids are -100<id>; links use the bare id
        return f"https://t.me/c/{internal}"
    return ""


def permalink(username: str | None, telegram_id: int | None, message_id: int) -> str:
    """Public link of a post: t.me/<username>/<id>, or t.me/c/<id>/<msg> without a username."""
    base = channel_url(username, telegram_id)
    return f"{base}/{message_id}" if base else ""
