"""Text to terms: content stems of a text, and the trend detector's `TermExtractor`.

`terms`/`term_set` serve the answer side (choosing the sentences of a post that match a
question, telling whether two posts tell the same story). `TermExtractor` serves trends and
interests: URLs, mentions and numbers out, stop words and filler stems out, Snowball stems.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable

from core.text import stems as snowball
from core.text.stopwords import ANSWER_STOP_WORDS, FILLER_STEMS, TREND_STOP_WORDS
from core.text.tokens import fold, words

# Links and @mentions name where a post came from, not what it is about.
_NOISE = re.compile(
    r"(?:https?://|www\.)\S+|\b[\w.-]+\.(?:ru|com|org|net|io|me|ly|cc|in|su|рф)/\S*|@\w+",
    re.IGNORECASE,
)
# Letters only: digits split words and numbers never become terms.
_WORD = re.compile(r"[a-zа-я]+")
_WORD_ANY_CASE = re.compile(r"[A-Za-zА-Яа-яЁё]+")
_ACRONYM = re.compile(r"\b[A-ZА-ЯЁ]{2}\b")  # ЦБ, ИИ, ЕС, UK: short but meaningful
# Russian law marks every paid post with "Реклама" and an erid token; hashtags mark the rest.
_AD_MARK = re.compile(
    r"\berid\b|#реклам|#партн[её]р|на правах рекламы|(?:^|\n)\W*реклама\b", re.IGNORECASE
)
_MIN_LENGTH = 3
_PHRASE_GAP = re.compile(r"[ \t\u00a0«»\"'-]+")  # what may separate the words of one phrase


def terms(text: str) -> list[str]:
    """Stems of the content words of a text, in order (stop words and 1-letter words dropped)."""
    return [
        snowball.stem(word)
        for word in words(text)
        if len(word) > 1 and word not in ANSWER_STOP_WORDS
    ]


def term_set(text: str) -> frozenset[str]:
    """Distinct content stems of a text."""
    return frozenset(terms(text))


class TermExtractor:
    """Normalises post text into stemmed terms; remembers every word it has stemmed."""

    def __init__(self) -> None:
        self._stems: dict[str, str] = {}  # lower-cased word -> stem, "" for a stop word

    def stem(self, word: str) -> str:
        """The stem of a lower-cased word, or "" when the word carries no topic."""
        stem = self._stems.get(word)
        if stem is None:
            stem = self._stem_new(word)
            self._stems[word] = stem
        return stem

    def _stem_new(self, word: str) -> str:
        if word in TREND_STOP_WORDS:
            return ""
        language = "english" if "a" <= word[0] <= "z" else "russian"
        found: str = snowball.stemmer(language).stemWord(word)
        return "" if found in FILLER_STEMS or found in TREND_STOP_WORDS else found

    def stem_many(self, words: Iterable[str]) -> None:
        """Stem every word not seen yet at once (PyStemmer's batch call is much faster)."""
        stems = self._stems
        english: list[str] = []
        russian: list[str] = []
        for word in words:
            if word in stems:
                continue
            if word in TREND_STOP_WORDS:
                stems[word] = ""
            else:
                (english if "a" <= word[0] <= "z" else russian).append(word)
        for language, batch in (("english", english), ("russian", russian)):
            if batch:
                for word, found in zip(batch, snowball.stem_words(batch, language), strict=True):
                    stems[word] = (
                        "" if found in FILLER_STEMS or found in TREND_STOP_WORDS else found
                    )

    @staticmethod
    def clean(text: str) -> str:
        """The text without links and mentions."""
        if "/" not in text and "@" not in text and "www" not in text:
            return text  # nothing the (costly) pattern could match
        return _NOISE.sub(" ", text)

    def terms(self, text: str) -> set[str]:
        """The distinct stems of a text (unigrams)."""
        cleaned = self.clean(text)
        lowered = fold(cleaned)
        found = {word for word in _WORD.findall(lowered) if len(word) >= _MIN_LENGTH}
        found.update(fold(match) for match in _ACRONYM.findall(cleaned))
        self.stem_many(found)
        stems = self._stems
        result = {stems[word] for word in found}
        result.discard("")
        return result

    def sequence(self, text: str) -> list[tuple[str, str]]:
        """(stem, surface word) for every word in order; stop words keep an empty stem.

        Punctuation, numbers or a line break between two words add a ("", "") break, so
        phrases never span them.
        """
        result: list[tuple[str, str]] = []
        cleaned = self.clean(text)
        previous_end = 0
        for match in _WORD_ANY_CASE.finditer(cleaned):
            gap = cleaned[previous_end : match.start()]
            if result and gap and not _PHRASE_GAP.fullmatch(gap):
                result.append(("", ""))
            previous_end = match.end()
            surface = match.group()
            word = fold(surface)
            if len(word) < _MIN_LENGTH and not (len(word) == 2 and surface.isupper()):
                result.append(("", surface))
                continue
            result.append((self.stem(word), surface))
        return result

    def phrases(self, sequence: list[tuple[str, str]]) -> set[str]:
        """Pairs of adjacent content words ("южн кор"): names and set phrases."""
        pairs = set()
        for (first, _), (second, _) in itertools.pairwise(sequence):
            if first and second and first != second:
                pairs.add(f"{first} {second}")
        return pairs

    @staticmethod
    def is_advertisement(text: str) -> bool:
        """True for paid posts: an ad campaign bought in several channels is not news."""
        lowered = text.lower()
        if "реклам" not in lowered and "erid" not in lowered and "#партн" not in lowered:
            return False  # the pattern needs one of these; skip its slower search
        return _AD_MARK.search(text) is not None


def surface_forms(
    sequences: Iterable[list[tuple[str, str]]], terms: Iterable[str]
) -> dict[str, str]:
    """The most frequent written form of each term (a stem or a stem pair) in the given texts."""
    wanted = set(terms)
    counts: dict[str, Counter[str]] = {term: Counter() for term in wanted}
    for sequence in sequences:
        for index, (stem, surface) in enumerate(sequence):
            if stem in wanted:
                counts[stem][surface] += 1
            if index + 1 < len(sequence):
                following = sequence[index + 1]
                pair = f"{stem} {following[0]}"
                if pair in wanted:
                    counts[pair][f"{surface} {following[1]}"] += 1
    forms = {}
    for term, counter in counts.items():
        if counter:
            forms[term] = _display(counter)
    return forms


def _display(counter: Counter[str]) -> str:
    """The commonest form; lower-case unless it is capitalised most of the time (a name)."""
    by_lower: Counter[str] = Counter()
    for form, count in counter.items():
        by_lower[form.lower()] += count
    best_lower, total = by_lower.most_common(1)[0]
    variants = Counter({f: c for f, c in counter.items() if f.lower() == best_lower})
    form, count = variants.most_common(1)[0]
    capitalised = sum(c for f, c in variants.items() if f[:1].isupper())
    if form.isupper() and len(form) <= 5:
        return form  # an acronym
    return form if capitalised * 2 > total and form[:1].isupper() else best_lower
