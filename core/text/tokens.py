"""Words, stems and sentences of Russian and English text, for snippets and duplicate detection.

The index has its own BM25 analyser; this one serves the answer side: choosing the sentences of
a post that best match a question, and telling whether two posts tell the same story.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

import Stemmer

_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*", re.UNICODE)
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
# A sentence ends at . ! ? … (possibly followed by a closing quote or bracket) and whitespace,
# or at a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|(?<=[.!?…][\"»”)\]])\s+|\n+")

STOP_WORDS = frozenset(
    [
        "а",
        "без",
        "более",
        "бы",
        "был",
        "была",
        "были",
        "было",
        "быть",
        "в",
        "вам",
        "вас",
        "весь",
        "во",
        "вот",
        "все",
        "всего",
        "всех",
        "вы",
        "где",
        "да",
        "даже",
        "для",
        "до",
        "его",
        "ее",
        "её",
        "если",
        "есть",
        "еще",
        "ещё",
        "же",
        "за",
        "здесь",
        "и",
        "из",
        "или",
        "им",
        "их",
        "к",
        "как",
        "какая",
        "какие",
        "какой",
        "когда",
        "кто",
        "ли",
        "либо",
        "между",
        "меня",
        "мне",
        "много",
        "может",
        "можно",
        "мой",
        "мы",
        "на",
        "над",
        "надо",
        "наш",
        "не",
        "него",
        "нее",
        "неё",
        "нет",
        "ни",
        "них",
        "но",
        "ну",
        "о",
        "об",
        "один",
        "он",
        "она",
        "они",
        "оно",
        "от",
        "очень",
        "по",
        "под",
        "после",
        "при",
        "про",
        "раз",
        "с",
        "сам",
        "свой",
        "себя",
        "со",
        "так",
        "также",
        "такой",
        "там",
        "те",
        "тем",
        "то",
        "того",
        "тоже",
        "той",
        "только",
        "том",
        "ты",
        "у",
        "уже",
        "хотя",
        "чего",
        "чей",
        "чем",
        "что",
        "чтобы",
        "чье",
        "чья",
        "эта",
        "эти",
        "это",
        "этот",
        "я",
        "ещё",
        "сейчас",
        "будет",
        "будут",
        "были",
        "который",
        "которая",
        "которые",
        "которых",
        "котором",
        "которой",
        "почему",
        "зачем",
        "сколько",
        "какое",
        "каких",
        "каким",
        "чём",
        "сегодня",
        "вчера",
        "завтра",
        "теперь",
        "тут",
        "всё",
        "всем",
        "всеми",
        "нам",
        "нас",
        "них",
        "ним",
        "ними",
        "нём",
        "нем",
        "них",
        "ей",
        "ему",
        "им",
        "ими",
        "ею",
        "свою",
        "своих",
        "своей",
        "своим",
        "свои",
        "своего",
        "своё",
        "своем",
        "своём",
        "этого",
        "этой",
        "этом",
        "этих",
        "этим",
        "этими",
        "тех",
        "теми",
        "той",
        "расскажи",
        "скажи",
        "подскажи",
        "напиши",
        "известно",
        "произошло",
        "случилось",
        "пишут",
        "писали",
        "говорят",
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "tell",
        "say",
        "said",
    ]
)

_local = threading.local()  # PyStemmer objects must not be shared between threads


def _stemmer(language: str) -> Stemmer.Stemmer:
    stemmers: dict[str, Stemmer.Stemmer] | None = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = {}
    if language not in stemmers:
        stemmers[language] = Stemmer.Stemmer(language)
    return stemmers[language]


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The Snowball stem of one lower-case word, Russian or English by its letters."""
    language = "russian" if _CYRILLIC.search(word) else "english"
    return str(_stemmer(language).stemWord(word))


def words(text: str) -> list[str]:
    """Lower-case words ("ё" folded into "е")."""
    return _WORD.findall(text.lower().replace("ё", "е"))


def terms(text: str) -> list[str]:
    """Stems of the content words of a text, in order (stop words and 1-letter words dropped)."""
    return [stem(word) for word in words(text) if len(word) > 1 and word not in STOP_WORDS]


def term_set(text: str) -> frozenset[str]:
    """Distinct content stems of a text."""
    return frozenset(terms(text))


def sentences(text: str) -> list[str]:
    """Sentences and lines of a text, stripped, in order; empty pieces dropped."""
    return [piece.strip() for piece in _SENTENCE_END.split(text) if piece and piece.strip()]


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
