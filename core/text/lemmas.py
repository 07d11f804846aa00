"""Dictionary forms of Russian words (pymorphy3), an option measured against Snowball stems.

pymorphy3 is optional: bench/ranking.py measured lemmas before stemming (better MRR, same hit@5)
but they cost about 3 ms a post, which would take `tgassist import` of 22k posts past a minute,
so the index keeps plain stems by default.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any

_CYRILLIC_WORD = re.compile(r"\b[А-Яа-яЁё]+\b")
_local = threading.local()  # one analyser per thread


def _analyser() -> Any:
    analyser = getattr(_local, "analyser", None)
    if analyser is None:
        import pymorphy3

        analyser = _local.analyser = pymorphy3.MorphAnalyzer()
    return analyser


@lru_cache(maxsize=262144)
def lemma(word: str) -> str:
    """The dictionary form of a Russian word: людей → человек, шёл → идти."""
    return str(_analyser().parse(word.lower())[0].normal_form)


def lemmatise(text: str) -> str:
    """The text with every Russian word in its dictionary form (other words as they are)."""
    return _CYRILLIC_WORD.sub(lambda match: lemma(match.group()), text)
