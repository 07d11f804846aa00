"""Extractive answers: the sentences of the top posts that best match the question."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from core.text.sentences import sentences
from core.text.terms import term_set
from core.text.tokens import clip

SNIPPET_CHARS = 320


class SentencePicker:
    """Scores sentences by the question's content words, rarer words weighing more.

    Word rarity is measured over the sentences of the posts being answered from, so a word
    every post repeats (the topic itself) counts less than the detail the question asks about.
    """

    def __init__(self, question: str, texts: Sequence[str]) -> None:
        self._query = term_set(question)
        self._split = {text: sentences(text) for text in texts}
        # Each sentence's question words, stemmed once (scoring and choosing both use them).
        self._matched: dict[str, frozenset[str]] = {}
        frequency: Counter[str] = Counter()
        total = 0
        for pieces in self._split.values():
            for piece in pieces:
                frequency.update(self._words(piece))
                total += 1
        self._weights = {
            term: math.log(1.0 + (total + 1) / (frequency[term] + 1)) for term in self._query
        }

    def snippet(self, text: str, limit: int = SNIPPET_CHARS) -> str:
        """The best-matching sentences of `text` in their order, or its opening when none match."""
        pieces = self._split.get(text)
        if pieces is None:
            pieces = sentences(text)
        if not pieces:
            return ""
        scores = [self._score(piece) for piece in pieces]
        if max(scores) <= 0:
            return clip(" ".join(pieces[:3]), limit)
        # The best sentence, then others only while they add question words it lacks.
        chosen: list[int] = []
        covered: set[str] = set()
        length = 0
        for position in sorted(range(len(pieces)), key=lambda i: (-scores[i], i)):
            words = self._words(pieces[position])
            if scores[position] <= 0 or (chosen and not words - covered):
                continue
            if chosen and length + len(pieces[position]) > limit:
                break
            chosen.append(position)
            covered |= words
            length += len(pieces[position]) + 1
        return clip(" ".join(pieces[i] for i in sorted(chosen)), limit)

    def _words(self, piece: str) -> frozenset[str]:
        matched = self._matched.get(piece)
        if matched is None:
            matched = self._matched[piece] = term_set(piece) & self._query
        return matched

    def _score(self, piece: str) -> float:
        return sum(self._weights[term] for term in self._words(piece))


def extractive_text(numbered_snippets: Sequence[tuple[int, str]]) -> str:
    """`[n] snippet` paragraphs for every source that has a snippet."""
    return "\n\n".join(f"[{number}] {snippet}" for number, snippet in numbered_snippets if snippet)
