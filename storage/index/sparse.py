"""BM25 sparse vectors for posts and queries, computed the same way for every index adapter.

qdrant-edge's built-in `Bm25` tokenises, drops stop words and applies one Snowball stemmer.
Posts are mostly Russian with English names and terms mixed in, so the Russian stemmer runs
inside Bm25 while ASCII words are stemmed with Snowball English beforehand (the Russian
stemmer leaves Latin letters untouched), and both stop-word lists apply.

Document vectors carry BM25 term-frequency weights only; the collections use Qdrant's IDF
modifier, so the engine multiplies in the IDF of each term at query time. Query vectors
weigh each distinct term 1.0, which makes the dot product exactly BM25.

Each way of turning text into terms (a scheme) writes its own named sparse vector
(`SparseEncoder.vector_name`): an index built with another scheme is found by that name and
re-encoded from its stored post texts while search goes on with the old vector.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from qdrant_edge import Bm25, Bm25Config, Language, StopwordsSet

from core.text.lemmas import lemmatise
from core.text.stems import stemmer
from core.text.tokens import fold_yo, headline

# Telegram posts are short: ~54 words on average in a 22k-post Russian news sample, ~40
# after stop words. BM25's length normalisation needs a realistic average (default is 256).
DEFAULT_AVG_LEN = 40.0

# The vector of the first scheme (Snowball stems only), named before schemes had names.
LEGACY_VECTOR = "sparse"
_BM25_DEFAULTS = (1.2, 0.75, DEFAULT_AVG_LEN)
_VECTOR_NAME = re.compile(
    r"sparse(?P<lemmas>-lemmas)?(?:-head(?P<head>\d+))?"
    r"(?:-k(?P<k>[\d.]+)-b(?P<b>[\d.]+)-len(?P<len>[\d.]+))?"
)

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

    Chosen by bench/ranking.py on the tuning split: `lemmas` puts Russian words in their
    dictionary form (pymorphy3) before Snowball stemming, and `headline_repeat` counts a post's
    first line that many extra times (news headlines name the story).
    """

    def __init__(
        self,
        *,
        avg_len: float = DEFAULT_AVG_LEN,
        k: float = 1.2,
        b: float = 0.75,
        headline_repeat: int = 1,
        lemmas: bool = True,
    ):
        self._headline_repeat = headline_repeat
        self._lemmas = lemmas
        self._bm25 = (k, b, avg_len)
        self._documents = Bm25(
            Bm25Config(
                k=k,
                b=b,
                avg_len=avg_len,
                language="russian",
                stopwords=StopwordsSet(languages={Language.Russian, Language.English}),
            )
        )

    @property
    def vector_name(self) -> str:
        """The named sparse vector this scheme writes: texts encoded another way go elsewhere."""
        if not self._lemmas and not self._headline_repeat and self._bm25 == _BM25_DEFAULTS:
            return LEGACY_VECTOR
        name = "sparse" + ("-lemmas" if self._lemmas else "")
        if self._headline_repeat:
            name += f"-head{self._headline_repeat}"
        if self._bm25 != _BM25_DEFAULTS:
            name += "-k{:g}-b{:g}-len{:g}".format(*self._bm25)
        return name

    @classmethod
    def for_vector(cls, name: str) -> SparseEncoder | None:
        """The encoder of the scheme that wrote a named vector; None for a name it never writes."""
        found = _VECTOR_NAME.fullmatch(name)
        if found is None:
            return None
        k, b, avg_len = _BM25_DEFAULTS
        if found["k"]:
            k, b, avg_len = float(found["k"]), float(found["b"]), float(found["len"])
        return cls(
            avg_len=avg_len,
            k=k,
            b=b,
            headline_repeat=int(found["head"] or 0),
            lemmas=bool(found["lemmas"]),
        )

    def searched_until_reencoded(self, stale: Sequence[str]) -> SparseEncoder:
        """The scheme to search an index with while its older vectors (`stale`) are re-encoded
        to this one: the first older scheme this release can still encode, else this one."""
        return next(
            (found for name in stale if (found := SparseEncoder.for_vector(name)) is not None),
            self,
        )

    def documents_for(
        self, searched: SparseEncoder, texts: Sequence[str]
    ) -> dict[str, list[SparseTerms]]:
        """The texts' terms under this scheme and, while an index still searches an older one
        (`searched`), under that one too: vector name -> terms per text."""
        encoded = {self.vector_name: self.documents(texts)}
        if searched.vector_name not in encoded:
            encoded[searched.vector_name] = searched.documents(texts)
        return encoded

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


def per_text(
    encoded: Mapping[str, list[SparseTerms]], keep: Collection[str]
) -> list[dict[str, SparseTerms]]:
    """`SparseEncoder.documents_for` turned per text: vector name -> terms, for the names in
    `keep` (a scheme whose vector was dropped meanwhile is left out)."""
    kept = {name: terms for name, terms in encoded.items() if name in keep}
    return [dict(zip(kept, row, strict=True)) for row in zip(*kept.values(), strict=True)]


def _normalise(text: str) -> str:
    return _LATIN_WORD.sub(_latin_stem_match, fold_yo(text))
