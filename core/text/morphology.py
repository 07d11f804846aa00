"""Russian morphology through pymorphy3: a word's dictionary form, grammemes and nominative.

Used to bring names to one form ("Грузии", "Грузией" → "Грузия"). The analyzer loads its
dictionary once (~0.3 s) on first use; without the package every word is left as written.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_CASES = frozenset({"gent", "datv", "accs", "ablt", "loct", "voct", "gen2", "acc2", "loc2"})


@dataclass(frozen=True, slots=True)
class Analysis:
    """The likeliest reading of a word."""

    normal_form: str  # lower case
    tags: frozenset[str]  # grammemes (NOUN, Geox, Surn, gent, ...)
    known: bool  # in the dictionary
    nominative: str  # lower case; the word as written when it may already be the nominative


@lru_cache(maxsize=1)
def analyzer() -> Any:
    """pymorphy3's analyzer, loaded once; None when the package is missing."""
    try:
        import pymorphy3
    except ImportError:  # pragma: no cover - a declared dependency; degrade to surface forms
        return None
    return pymorphy3.MorphAnalyzer()


def analyse(word: str) -> Analysis | None:
    """The word's likeliest reading; None for non-Cyrillic words or without the analyzer."""
    lowered = word.lower()
    morph = analyzer()
    if morph is None or not lowered or not ("а" <= lowered[0] <= "я" or lowered[0] == "ё"):
        return None
    parses = morph.parse(word)
    best = parses[0]
    tags = frozenset(best.tag.grammemes)
    # "Набиуллина" is a surname in the nominative though its likeliest reading is a genitive.
    as_written = (
        not tags & _CASES
        or "nomn" in tags
        or any("nomn" in parse.tag and "Surn" in parse.tag for parse in parses[:3])
    )
    nominative = None if as_written else best.inflect({"nomn"})
    return Analysis(
        normal_form=best.normal_form,
        tags=tags,
        known=bool(morph.word_is_known(lowered)),
        nominative=nominative.word if nominative else lowered,
    )
