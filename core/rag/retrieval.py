"""Ranked posts for a question: the index's hybrid search, then albums and reposts collapsed."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta

from core.ports import IndexDocument, PostIndex, SearchFilter, SearchHit
from core.text.terms import term_set

# When two posts tell the same story, measured on their sets of content-word stems: copies in
# other channels are rewritten (a headline cut, a sentence added), so most of the shorter post's
# words reappear in the longer one while plain Jaccard stays low; posts of very different
# length (a one-line alert and a long digest) are different posts even when one contains the
# other. Within one channel only near-identical texts count: series of formulaic posts
# ("what a frontend developer must know", "... a backend developer") are not duplicates.
SHARED_WORDS = 0.6  # of the shorter post's words found in the other
LENGTH_RATIO = 0.4  # shorter / longer
NEAR_IDENTICAL = 0.8  # Jaccard, for posts of the same channel
MIN_DUPLICATE_TERMS = 5  # shorter posts are too short to call a copy of anything
STORY_WINDOW = timedelta(days=3)  # copies appear within hours; a repeat weeks later is news again


@dataclass(slots=True)
class RankedPost:
    """One hit after collapsing: the best-ranked post and the other posts of the same story."""

    score: float
    document: IndexDocument
    duplicates: list[IndexDocument] = field(default_factory=list)
    terms: frozenset[str] = frozenset()


def candidate_limit(limit: int) -> int:
    """How many hits to ask the index for, so collapsing still leaves `limit` stories."""
    return max(limit * 3, 15)


class Retriever:
    """Searches a tenant's collection and folds album members and cross-posts together."""

    def __init__(self, index: PostIndex) -> None:
        self._index = index

    async def search(
        self, tenant_id: int, query: str, *, limit: int, filters: SearchFilter | None = None
    ) -> list[RankedPost]:
        """Up to `limit` distinct stories, best first (raises what the index raises)."""
        stories, _ = await self.search_counted(tenant_id, query, limit=limit, filters=filters)
        return stories

    async def search_counted(
        self, tenant_id: int, query: str, *, limit: int, filters: SearchFilter | None = None
    ) -> tuple[list[RankedPost], int]:
        """`search`, and how many hits the index gave before collapsing (it holds at least
        that many posts)."""
        hits = await self._index.search(
            tenant_id, query, limit=candidate_limit(limit), filters=filters
        )
        return collapse(hits, limit), len(hits)


def collapse(hits: list[SearchHit], limit: int) -> list[RankedPost]:
    """Fold hits (best first) into at most `limit` stories.

    Members of one album (same channel and album id) are one post: the first-ranked member
    stands for it, with the text of a member that has some if it has none. A post that
    `same_story` matches with an earlier, better-ranked one is another source of that story.
    """
    ranked: list[RankedPost] = []
    albums: dict[tuple[int, str], RankedPost] = {}
    for hit in hits:
        document = hit.document
        if document.album_id is not None:
            key = (document.channel_id, document.album_id)
            album = albums.get(key)
            if album is not None:
                if not album.document.text.strip() and document.text.strip():
                    album.document = replace(album.document, text=document.text)
                    album.terms = stems_of(document)
                continue
        terms = stems_of(document)
        story = next((post for post in ranked if same_story(post, document, terms)), None)
        if story is not None:
            if all(other.permalink != document.permalink for other in story.duplicates):
                story.duplicates.append(document)
            continue
        if len(ranked) >= limit:
            continue  # later hits may still be copies of kept stories
        post = RankedPost(hit.score, document, terms=terms)
        ranked.append(post)
        if document.album_id is not None:
            albums[(document.channel_id, document.album_id)] = post
    return ranked


def stems_of(document: IndexDocument) -> frozenset[str]:
    """The document's content stems: stored with the point, computed for older points."""
    return document.stems if document.stems is not None else term_set(document.text)


def same_story(post: RankedPost, document: IndexDocument, terms: frozenset[str]) -> bool:
    """Whether `document` (with content stems `terms`) retells the story of `post`."""
    if post.document.permalink == document.permalink:
        return True
    smaller, larger = sorted((len(post.terms), len(terms)))
    if smaller < MIN_DUPLICATE_TERMS or abs(post.document.date - document.date) > STORY_WINDOW:
        return False
    shared = len(post.terms & terms)
    if shared / (smaller + larger - shared) >= NEAR_IDENTICAL:
        return True
    if post.document.channel_id == document.channel_id:
        return False
    return shared / smaller >= SHARED_WORDS and smaller / larger >= LENGTH_RATIO
