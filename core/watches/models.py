"""Data objects of keyword watches; no I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


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


@dataclass(slots=True)
class ScanReport:
    """What one matching pass over newly stored posts did."""

    posts: int = 0
    hits: int = 0
    messages: int = 0
    dropped_over_limit: int = 0
    chats: set[int] = field(default_factory=set)
