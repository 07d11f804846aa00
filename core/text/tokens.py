"""Words of Russian and English text: lower case with "ё" folded into "е", script, clipping."""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*", re.UNICODE)
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)


def fold_yo(text: str) -> str:
    """ "ё" folded into "е", case kept (writers use them interchangeably, Snowball does not)."""
    return text.replace("ё", "е").replace("Ё", "Е")


def fold(text: str) -> str:
    """Lower case with "ё" folded into "е"."""
    return fold_yo(text.lower())


def words(text: str) -> list[str]:
    """Lower-case words ("ё" folded into "е")."""
    return _WORD.findall(fold(text))


def headline(text: str) -> str:
    """The first non-empty line of a post (news posts lead with their headline)."""
    return text.strip().split("\n", 1)[0]


def is_cyrillic(text: str) -> bool:
    """Whether a text has Cyrillic letters (a Russian question gets a Russian reply)."""
    return bool(_CYRILLIC.search(text))


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary with an ellipsis when shortened."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-—") + "…"
