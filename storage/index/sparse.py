"""BM25 sparse vectors for posts and queries, computed the same way for every index adapter.

qdrant-edge's built-in `Bm25` tokenises, drops stop words and applies one Snowball stemmer.
Posts are mostly Russian with English names and terms mixed in, so the Russian stemmer runs
inside Bm25 while ASCII words are stemmed with Snowball English beforehand (the Russian
stemmer leaves Latin letters untouched), and both stop-word lists apply.

Document vectors carry BM25 term-frequency weights only; the collections use Qdrant's IDF
modifier, so the engine multiplies in the IDF of each term at query time. Query vectors
weigh each distinct term 1.0, which makes the dot product exactly BM25.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from qdrant_edge import Bm25, Bm25Config, Language, StopwordsSet

from core.text.lemmas import lemmatise
from core.text.stems import stemmer
from core.text.tokens import fold_yo, headline

# Telegram posts are short: ~54 words on average in a 22k-post Russian news sample, ~40
# after stop words. BM25's length normalisation needs a realistic average (default is 256).
DEFAULT_AVG_LEN = 40.0

# Whole words of ASCII letters only: mixed tokens such as "iphone15" stay as they are.
_LATIN_WORD = re.compile(r"\b[A-Za-z]+\b")

_BM25 = Bm25(
    Bm25Config(
        language="russian",
        stopwords=StopwordsSet(languages={Language.Russian, Language.English}),
    )
)


@dataclass(frozen=True, slots=True)
class SparseTerms:
    """A sparse vector: hashed term ids and their weights."""

    indices: list[int]
    values: list[float]

    def __bool__(self) -> bool:
        return bool(self.indices)


@lru_cache(maxsize=65536)
def _stem_latin(word: str) -> str:
    """Snowball-English stem of one ASCII word; stop words stay whole so Bm25 still drops them."""
    lower = word.lower()
    if not _BM25.embed_query(lower).indices:
        return lower
    return str(stemmer("english").stemWord(lower))


def _latin_stem_match(match: re.Match[str]) -> str:
    return _stem_latin(match.group())


class SparseEncoder:
    """Turns post texts and queries into BM25 sparse vectors; thread-safe and cheap to share.

    Variants measured by bench/ranking.py: `headline_repeat` counts a post's first line that
    many extra times (news headlines name the story); `lemmas` puts Russian words in their
    dictionary form (pymorphy3) before Snowball stemming.
    """

    def __init__(
        self,
        *,
        avg_len: float = DEFAULT_AVG_LEN,
        k: float = 1.2,
        b: float = 0.75,
        headline_repeat: int = 0,
        lemmas: bool = False,
    ):
        self._headline_repeat = headline_repeat
        self._lemmas = lemmas
        self._documents = Bm25(
            Bm25Config(
                k=k,
                b=b,
                avg_len=avg_len,
                language="russian",
                stopwords=StopwordsSet(languages={Language.Russian, Language.English}),
            )
        )

    def document(self, text: str) -> SparseTerms:
        """Term-frequency weights of a post (IDF is applied by the index)."""
        if self._headline_repeat:
            text = "\n".join([*[headline(text)] * self._headline_repeat, text])
        vector = self._documents.embed_document(self._normalise(text))
        return SparseTerms(vector.indices, vector.values)

    def documents(self, texts: Sequence[str]) -> list[SparseTerms]:
        """`document` for many texts."""
        return [self.document(text) for text in texts]

    def query(self, text: str) -> SparseTerms:
        """Weight 1.0 for each distinct query term; empty when the query is all stop words."""
        vector = _BM25.embed_query(self._normalise(text))
        return SparseTerms(vector.indices, vector.values)

    def _normalise(self, text: str) -> str:
        return _normalise(lemmatise(text) if self._lemmas else text)


def _normalise(text: str) -> str:
    return _LATIN_WORD.sub(_latin_stem_match, fold_yo(text))
