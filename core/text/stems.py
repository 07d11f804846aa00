"""Snowball stems (PyStemmer): one stemmer per language and thread, results cached."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from functools import lru_cache

import Stemmer

_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_local = threading.local()  # PyStemmer objects must not be shared between threads


def stemmer(language: str) -> Stemmer.Stemmer:
    """This thread's Snowball stemmer of a language ("russian", "english")."""
    stemmers: dict[str, Stemmer.Stemmer] | None = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = {}
    found = stemmers.get(language)
    if found is None:
        found = stemmers[language] = Stemmer.Stemmer(language)
    return found


def language_of(word: str) -> str:
    """The stemmer language of a word: Russian when it has Cyrillic letters, else English."""
    return "russian" if _CYRILLIC.search(word) else "english"


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The Snowball stem of one lower-case word, Russian or English by its letters."""
    return str(stemmer(language_of(word)).stemWord(word))


def stem_words(words: Sequence[str], language: str) -> list[str]:
    """Stems of many words of one language at once (PyStemmer's batch call is much faster)."""
    return [str(item) for item in stemmer(language).stemWords(words)]
