"""Matching posts against every chat's watches through an inverted index from stems to watches.

Each watch is filed under one stem of its included phrases (the longest: usually the rarest),
so a post only looks at the watches filed under the stems it contains, and checks those in
full (every included phrase present, no excluded one). Cost per post: its words, plus the few
watches whose anchor stem it contains; not the number of watches.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from core.text.stems import stem
from core.text.tokens import words
from core.watches.models import Phrase, Watch, WatchHit, WatchPost, WatchTenant


@dataclass(frozen=True, slots=True)
class PostStems:
    """A post's stems in order (phrases) and as a set (single words and the index)."""

    sequence: tuple[str, ...]
    present: frozenset[str]

    @classmethod
    def of(cls, text: str) -> PostStems:
        """Stem every word of a text (lower-cased, ё folded)."""
        sequence = tuple(stem(word) for word in words(text))
        return cls(sequence, frozenset(sequence))

    def contains(self, phrase: Phrase) -> bool:
        """Whether the phrase's stems occur here, adjacent and in order."""
        stems = phrase.stems
        if len(stems) == 1:
            return stems[0] in self.present
        if not set(stems) <= self.present:
            return False
        size = len(stems)
        sequence = self.sequence
        return any(
            sequence[start : start + size] == stems
            for start in range(len(sequence) - size + 1)
            if sequence[start] == stems[0]
        )


def matches(watch: Watch, post: PostStems) -> bool:
    """Every included phrase present, no excluded one."""
    query = watch.query
    return all(post.contains(phrase) for phrase in query.include) and not any(
        post.contains(phrase) for phrase in query.exclude
    )


class WatchIndex:
    """Every watch filed under one anchor stem; looks up the watches a post may match."""

    def __init__(self, watches: Iterable[Watch] = ()) -> None:
        self._by_stem: defaultdict[str, list[Watch]] = defaultdict(list)
        self.size = 0
        for watch in watches:
            self.add(watch)

    def add(self, watch: Watch) -> None:
        """File a watch under the longest stem of its included phrases."""
        anchor = max(
            (s for phrase in watch.query.include for s in phrase.stems), key=len, default=""
        )
        self._by_stem[anchor].append(watch)
        self.size += 1

    def match(self, post: PostStems, tenant_ids: Collection[int]) -> list[Watch]:
        """The watches of these tenants that the post matches."""
        found = []
        by_stem = self._by_stem
        for stem_ in post.present:
            for watch in by_stem.get(stem_, ()):
                if watch.tenant_id in tenant_ids and (watch.query.simple or matches(watch, post)):
                    found.append(watch)
        return found


def match_posts(
    index: WatchIndex, posts: Sequence[WatchPost], followers: Mapping[int, list[WatchTenant]]
) -> dict[WatchTenant, list[WatchHit]]:
    """Per chat following a post's channel, its hits among the posts (in post order)."""
    hits: defaultdict[WatchTenant, list[WatchHit]] = defaultdict(list)
    by_channel: dict[int, dict[int, WatchTenant]] = {}
    for post in posts:
        tenants = by_channel.get(post.channel_id)
        if tenants is None:
            tenants = {t.tenant_id: t for t in followers.get(post.channel_id, [])}
            by_channel[post.channel_id] = tenants
        if not tenants:
            continue
        by_tenant: defaultdict[int, list[Watch]] = defaultdict(list)
        for watch in index.match(PostStems.of(post.text), tenants):
            by_tenant[watch.tenant_id].append(watch)
        for tenant_id, watches in by_tenant.items():
            hits[tenants[tenant_id]].append(
                WatchHit(
                    post,
                    [watch.expression for watch in watches],
                    frozenset().union(*(watch.query.stems for watch in watches)),
                )
            )
    return dict(hits)
