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
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import Stemmer
from qdrant_edge import Bm25, Bm25Config, Language, StopwordsSet

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
_stemmers = threading.local()  # PyStemmer objects must not be shared between threads


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
    stemmer = getattr(_stemmers, "english", None)
    if stemmer is None:
        stemmer = _stemmers.english = Stemmer.Stemmer("english")
    return str(stemmer.stemWord(lower))


def _latin_stem_match(match: re.Match[str]) -> str:
    return _stem_latin(match.group())


_CYRILLIC_WORD = re.compile(r"\b[А-Яа-яЁё]+\b")
_morph = threading.local()  # one pymorphy3 analyser per thread


@lru_cache(maxsize=262144)
def _lemma(word: str) -> str:
    """The dictionary form of a Russian word (pymorphy3): людей → человек, шёл → идти."""
    analyser = getattr(_morph, "analyser", None)
    if analyser is None:
        import pymorphy3  # optional: only the lemma variant measured by bench/ranking.py needs it

        analyser = _morph.analyser = pymorphy3.MorphAnalyzer()
    return str(analyser.parse(word)[0].normal_form)


def _lemma_match(match: re.Match[str]) -> str:
    return _lemma(match.group().lower())


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
            headline = text.strip().split("\n", 1)[0]
            text = "\n".join([*[headline] * self._headline_repeat, text])
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
        if self._lemmas:
            text = _CYRILLIC_WORD.sub(_lemma_match, text)
        return _normalise(text)


def _normalise(text: str) -> str:
    # Russian Snowball treats "ё" and "е" as different letters, writers do not.
    text = text.replace("ё", "е").replace("Ё", "Е")
    return _LATIN_WORD.sub(_latin_stem_match, text)
