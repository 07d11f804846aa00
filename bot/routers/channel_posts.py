"""Posts of channels where the bot is an administrator (channel_post, edited_channel_post)."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import Router
from aiogram.types import Message, MessageEntity

from core.ingest.service import ChannelPostIngestor
from core.models import ChannelInfo, MediaRef, PostDraft


def _links(text: str, entities: list[MessageEntity] | None) -> list[str]:
    links: list[str] = []
    for entity in entities or []:
        if entity.type == "text_link" and entity.url:
            links.append(entity.url)
        elif entity.type == "url":
            # Offsets are in UTF-16 code units, as Telegram counts them.
            encoded = text.encode("utf-16-le")
            start, end = entity.offset * 2, (entity.offset + entity.length) * 2
            links.append(encoded[start:end].decode("utf-16-le", errors="ignore"))
    return list(dict.fromkeys(links))


def _media(message: Message) -> list[MediaRef]:
    if message.photo:
        largest = max(message.photo, key=lambda size: size.width * size.height)
        return [
            MediaRef(
                kind="photo",
                file_id=largest.file_id,
                file_unique_id=largest.file_unique_id,
                width=largest.width,
                height=largest.height,
                file_size=largest.file_size,
                mime_type="image/jpeg",
            )
        ]
    for kind in ("video", "animation", "document", "audio", "voice", "video_note", "sticker"):
        item = getattr(message, kind)
        if item is not None:
            return [
                MediaRef(
                    kind=kind,
                    file_id=item.file_id,
                    file_unique_id=item.file_unique_id,
                    mime_type=getattr(item, "mime_type", None),
                    file_size=getattr(item, "file_size", None),
                )
            ]
    for kind in ("poll", "venue", "location"):  # a venue carries a location too: venue first
        if getattr(message, kind) is not None:
            return [MediaRef(kind=kind)]
    return []


def _shown_words(message: Message) -> str:
    """What the message shows besides its text, as searchable text: a poll's question and
    options, a venue's title and address, a file's name (and an audio's performer and title)."""
    parts: list[str | None] = []
    if message.poll is not None:
        parts = [message.poll.question, *(option.text for option in message.poll.options)]
    elif message.venue is not None:
        parts = [message.venue.title, message.venue.address]
    elif message.audio is not None:
        parts = [message.audio.performer, message.audio.title, message.audio.file_name]
    elif message.document is not None:
        parts = [message.document.file_name]
    return "\n".join(part for part in parts if part)


def draft_from_message(message: Message) -> PostDraft:
    """A channel message as a post draft (the caption is the text of media posts)."""
    text = message.text or message.caption or ""
    entities = message.entities or message.caption_entities
    forwarded = None
    if message.forward_origin is not None:
        origin = message.forward_origin
        chat = getattr(origin, "chat", None) or getattr(origin, "sender_chat", None)
        forwarded = getattr(chat, "title", None) or getattr(origin, "sender_user_name", None)
    return PostDraft(
        message_id=message.message_id,
        date=message.date.astimezone(UTC),
        text="\n\n".join(part for part in (text, _shown_words(message)) if part),
        links=_links(text, entities),
        entities=[
            {"type": str(entity.type), "offset": entity.offset, "length": entity.length}
            | ({"href": entity.url} if entity.url else {})
            for entity in entities or []
        ],
        media=_media(message),
        grouped_id=message.media_group_id,
        edit_date=datetime.fromtimestamp(message.edit_date, UTC) if message.edit_date else None,
        forwarded_from=forwarded,
    )


async def channel_post(message: Message, ingestor: ChannelPostIngestor) -> None:
    """Store a post (or an edit) of a channel where the bot is admin; albums become one post."""
    info = ChannelInfo(
        username=message.chat.username,
        title=message.chat.title or message.chat.username or str(message.chat.id),
        telegram_id=message.chat.id,
    )
    await ingestor.ingest(info, draft_from_message(message))


def make_router() -> Router:
    """A fresh router with this feature's handlers (each Dispatcher builds its own)."""
    router = Router(name=__name__)
    router.channel_post.register(channel_post)
    router.edited_channel_post.register(channel_post)
    return router
