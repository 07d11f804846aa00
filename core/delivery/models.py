"""Data objects of the outbox; no I/O here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class OutboxStatus(StrEnum):
    """Where a message is in an outbox."""

    PENDING = "pending"  # written before sending
    SENDING = "sending"  # claimed by a broadcaster until its lease ends
    SENT = "sent"
    FAILED = "failed"  # given up: blocked, chat gone, or too many attempts


class MessageKind(StrEnum):
    """What a prepared outbox message carries (also the feature a forum topic is chosen for)."""

    DIGEST = "digest"
    WATCH = "watch"


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A prepared message to write into the outbox (ignored when its key is already there)."""

    tenant_id: int
    chat_id: int
    thread_id: int | None
    kind: MessageKind
    dedupe_key: str  # one message per chat, kind and key: a digest period, a watch hit's post
    parts: list[str]  # HTML, each within Telegram's limit, sent in order
    due_at: datetime
    payload: list[dict[str, Any]] | None = None  # what the parts came from, if more may join


@dataclass(frozen=True, slots=True)
class HeldMessage:
    """A queued message not due yet, that later content of the same kind may join."""

    item_id: int
    due_at: datetime
    payload: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A claimed message with what sending it needs."""

    item_id: int
    tenant_id: int
    chat_id: int
    chat_kind: str
    thread_id: int | None
    kind: MessageKind
    parts: list[str]
    parts_sent: int  # parts already delivered (a crash in the middle of a long digest)
    attempts: int
