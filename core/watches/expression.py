"""Parsing `/watch` expressions: words, "quoted phrases" and -exclusions, normalised to stems.

Matching is on Snowball stems (Russian and English) of lower-cased words with ё folded into е,
so "Ставки", "ставку" and "ставка" are one term. An expression that would match almost every
post (nothing but stop words, terms too short, only exclusions) is refused with the reason.
"""

from __future__ import annotations

import re

from core.errors import CoreError
from core.text.stems import stem
from core.text.stopwords import ANSWER_STOP_WORDS as STOP_WORDS
from core.text.tokens import words
from core.watches.models import Phrase, WatchQuery

MAX_EXPRESSION_LENGTH = 200
MAX_TERMS = 8
MIN_WORD_LENGTH = 3  # shorter words match too much ("ai", "ес"), unless typed as an acronym

# A term: optional minus, then a quoted phrase or a run of non-space characters.
_TERM = re.compile(r'\s*(-?)(?:"([^"]*)"?|«([^»]*)»?|([^\s"«]+))')
_ACRONYM = re.compile(r"^[A-ZА-ЯЁ0-9]{2,}$")


class InvalidWatch(CoreError):
    """The expression cannot become a watch; `reason` names the text key, `values` fill it."""

    def __init__(self, reason: str, **values: str | int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.values = values


def _phrase(raw: str) -> Phrase | None:
    """A phrase of the stems of its words, or None when it has no words at all."""
    found = words(raw)
    if not found:
        return None
    return Phrase(" ".join(found), tuple(stem(word) for word in found))


def _meaningful(raw: str, phrase: Phrase) -> str | None:
    """Why this included phrase would match too much, or None when it is fine."""
    if all(word in STOP_WORDS for word in phrase.text.split()):
        return "watch_stop_words"
    short = len(phrase.stems) == 1 and len(phrase.text) < MIN_WORD_LENGTH
    if short and not _ACRONYM.match(raw.strip('"«» ')):
        return "watch_too_short"
    return None


def parse_watch(expression: str) -> WatchQuery:
    """The query of an expression, or InvalidWatch saying why it is refused."""
    text = " ".join(expression.split())
    if not text:
        raise InvalidWatch("watch_usage")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise InvalidWatch("watch_too_long", limit=MAX_EXPRESSION_LENGTH)
    include: list[Phrase] = []
    exclude: list[Phrase] = []
    refused: list[tuple[str, str]] = []
    for match in _TERM.finditer(text):
        minus, quoted, guillemets, bare = match.groups()
        raw = quoted if quoted is not None else guillemets if guillemets is not None else bare
        phrase = _phrase(raw or "")
        if phrase is None:
            continue
        if minus:
            exclude.append(phrase)
            continue
        reason = _meaningful(raw or "", phrase)
        if reason is None:
            include.append(phrase)
        else:
            refused.append((reason, phrase.text))
    if len(include) + len(exclude) + len(refused) > MAX_TERMS:
        raise InvalidWatch("watch_too_many_terms", limit=MAX_TERMS)
    if not include:
        if refused:
            reason, term = refused[0]
            raise InvalidWatch(reason, term=term, length=MIN_WORD_LENGTH)
        raise InvalidWatch("watch_only_exclusions" if exclude else "watch_usage")
    return WatchQuery(tuple(dict.fromkeys(include)), tuple(dict.fromkeys(exclude)))
