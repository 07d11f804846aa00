"""Data objects of keyword watches; no I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Phrase:
    """A word or a quoted phrase: its stems must occur in a post next to each other, in order."""

    text: str  # as typed, lower-cased
    stems: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class WatchQuery:
    """Every included phrase must occur; no excluded one may."""

    include: tuple[Phrase, ...]
    exclude: tuple[Phrase, ...] = ()
    stems: frozenset[str] = field(init=False)  # of the included phrases: what gets highlighted
    simple: bool = field(init=False)  # one single word, no exclusion: its anchor is the match

    def __post_init__(self) -> None:
        stems = frozenset(stem for phrase in self.include for stem in phrase.stems)
        object.__setattr__(self, "stems", stems)
        simple = len(self.include) == 1 and len(self.include[0].stems) == 1 and not self.exclude
        object.__setattr__(self, "simple", simple)


@dataclass(frozen=True, slots=True)
class Watch:
    """A stored watch of a chat."""

    id: int
    tenant_id: int
    expression: str
    query: WatchQuery
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class WatchPost:
    """A newly stored post, as matching and the hit message see it."""

    post_id: int
    channel_id: int
    channel_name: str
    url: str
    date: datetime
    text: str


@dataclass(frozen=True, slots=True)
class WatchCursor:
    """How far matching got: the last post id, and lower ids not stored yet when it passed
    them (a transaction that took its id earlier may commit later), with when each was seen."""

    last_post_id: int
    gaps: dict[int, datetime] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WatchTenant:
    """A chat with watches: where its hits go and in which language."""

    tenant_id: int
    chat_id: int
    language: str
    thread_id: int | None = None


@dataclass(frozen=True, slots=True)
class WatchHit:
    """A post that matched one or more of a chat's watches."""

    post: WatchPost
    expressions: list[str]
    stems: frozenset[str]  # the stems to highlight

    def to_payload(self) -> dict[str, Any]:
        """As stored with a held message, so later hits can join it."""
        post = self.post
        return {
            "post_id": post.post_id,
            "channel_id": post.channel_id,
            "channel_name": post.channel_name,
            "url": post.url,
            "date": post.date.isoformat(),
            "text": post.text,
            "expressions": self.expressions,
            "stems": sorted(self.stems),
        }

    @classmethod
    def from_payload(cls, item: dict[str, Any]) -> WatchHit:
        """A hit as `to_payload` stored it."""
        post = WatchPost(
            post_id=int(item["post_id"]),
            channel_id=int(item["channel_id"]),
            channel_name=str(item["channel_name"]),
            url=str(item["url"]),
            date=datetime.fromisoformat(str(item["date"])),
            text=str(item["text"]),
        )
        return cls(post, list(item["expressions"]), frozenset(item["stems"]))


@dataclass(slots=True)
class ScanReport:
    """What one matching pass over newly stored posts did."""

    posts: int = 0
    hits: int = 0
    messages: int = 0
    dropped_over_limit: int = 0
    chats: set[int] = field(default_factory=set)
