"""Stop words per language from the package's data files: one shared base, extras per use.

`data/stopwords.<lang>.txt` holds the function words every use drops; `data/<use>.<lang>.txt`
adds what one use drops besides (question phrasing for answers, numerals and time words for
trends, question words for interests). One word per line; `#` starts a comment. Adding a
language means adding its files and its name to `LANGUAGES`.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

LANGUAGES = ("ru", "en")


@cache
def word_list(name: str, language: str) -> frozenset[str]:
    """The words of one data file (`<name>.<language>.txt`); empty when there is none."""
    resource = resources.files("core.text").joinpath("data", f"{name}.{language}.txt")
    if not resource.is_file():
        return frozenset()
    lines = resource.read_text(encoding="utf-8").splitlines()
    return frozenset(word for line in lines if (word := line.split("#", 1)[0].strip()))


@cache
def stop_words(*extras: str) -> frozenset[str]:
    """The shared stop words of every language plus the named extra lists."""
    words: set[str] = set()
    for language in LANGUAGES:
        for name in ("stopwords", *extras):
            words |= word_list(name, language)
    return frozenset(words)


def words_of(name: str) -> frozenset[str]:
    """One list (e.g. `questions`) across every language, without the shared base."""
    return frozenset().union(*(word_list(name, language) for language in LANGUAGES))


ANSWER_STOP_WORDS = stop_words("answers")
TREND_STOP_WORDS = stop_words("trends")
QUESTION_WORDS = words_of("questions")
FILLER_STEMS = words_of("filler_stems")
