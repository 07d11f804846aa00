"""Sentences of a text: lines first, then razdel's sentence splitter within each line.

razdel knows Russian abbreviations and initials ("В. В. Путина", "т. е.", "2024 г."), which a
punctuation regex cuts into pieces that extractive answers would show to users.
"""

from __future__ import annotations

from razdel import sentenize


def sentences(text: str) -> list[str]:
    """Sentences and lines of a text, stripped, in order; empty pieces dropped."""
    found: list[str] = []
    for line in text.splitlines():
        if line.strip():
            found.extend(piece for item in sentenize(line) if (piece := item.text.strip()))
    return found
