"""What a person recognises a story by: a clean headline and its named actors.

The headline is the first sentence of the story's most representative post, without emoji,
markup, links, mentions and the channel's signature. Actors are the people, places and
organisations its posts name: capitalised words that are not merely sentence-initial,
recognised and brought to the nominative by pymorphy3 ("Грузии", "Грузией" → "Грузия",
"Южной Кореи" → "Южная Корея"); several capitalised words in a row are one name.
"""

from __future__ import annotations

import re
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from core.text.morphology import analyse
from core.text.sentences import sentences
from core.text.stopwords import TREND_STOP_WORDS as STOP_WORDS

_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f\u200d\u20e3\u2190-\u21ff\u2300-\u23ff]"
)
_LINKS = re.compile(r"(?:https?://|www\.)\S+|@\w+|#\w+")
_MARKUP = re.compile(r"\*\*|__|~~|`")
_LEADING_JUNK = re.compile(r"^[\W_]+")
_WORD = re.compile(r"[A-Za-zА-Яа-яЁё](?:[A-Za-zА-Яа-яЁё']|-(?=[A-Za-zА-Яа-яЁё]))*")
_NOT_ACTORS = frozenset({"сми", "подписаться", "прислать"})  # who reports it, not who acts
_OPENERS = ':;•—–-«"(\n'  # a capital after these starts a clause, not a name
_NAME_TAGS = {"Name", "Surn", "Patr", "Geox", "Orgn", "Trad"}
_HEADLINE_LIMIT = 160
_MAX_NAME_WORDS = 3
_TEXT_CACHE = 20_000  # texts whose names are remembered
_MAX_POSTS = 40  # posts read for actors: the story's best, enough to count names reliably


def clean_text(text: str) -> str:
    """Text without emoji, markup, links, mentions and hashtags."""
    text = _EMOJI.sub(" ", text)
    text = _LINKS.sub(" ", text)
    return _MARKUP.sub("", text)


def headline(
    text: str, is_signature: Callable[[str], bool] | None = None, limit: int = _HEADLINE_LIMIT
) -> str:
    """The first sentence of the first line with words in it, cleaned and shortened.

    `is_signature` tells a lower-cased word of the channel's signature ("подписаться"): a
    line made only of such words is the signature, not the headline.
    """
    for raw in clean_text(text).splitlines():
        line = _LEADING_JUNK.sub("", raw).strip()
        words = [word.lower() for word in _WORD.findall(line)]
        if sum(len(word) for word in words) < 8:
            continue
        if is_signature is not None and all(is_signature(word) for word in words):
            continue
        sentence = (sentences(line) or [line])[0]
        sentence = re.sub(r"\s{2,}", " ", sentence).strip(" |—–-")
        return _shorten(sentence, limit)
    return _shorten(re.sub(r"\s+", " ", clean_text(text)).strip(), limit)


def _shorten(line: str, limit: int) -> str:
    if len(line) <= limit:
        return line
    cut = line[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",.;:—- ") + "…"


@dataclass(slots=True)
class _Word:
    key: str  # normal form, lower case
    is_name: bool  # a person, place or organisation (or an unknown capitalised word)
    nominative: str  # the word in the nominative, lower case
    first_name_only: bool = False
    place: bool = False  # a geographical noun: the last word of a place's name


@dataclass(slots=True)
class _Actor:
    count: int = 0
    channels: set[int] = field(default_factory=set)
    forms: Counter[str] = field(default_factory=Counter)


class ActorFinder:
    """Named actors of a group of posts; remembers every word it has analysed."""

    def __init__(self) -> None:
        self._words: dict[str, _Word] = {}
        self._texts: dict[int, list[tuple[str, str]]] = {}
        self._lock = threading.Lock()

    def actors(
        self,
        posts: Iterable[tuple[int, str]],
        limit: int = 5,
        ignore: Callable[[str], bool] | None = None,
    ) -> list[str]:
        """Up to `limit` names found in at least two posts, by channels then mentions.

        `posts` are (channel id, text) pairs; `ignore` tells lower-cased words never to
        report (the channels' own names and signatures).
        """
        skip = ignore or (lambda word: False)
        found: defaultdict[str, _Actor] = defaultdict(_Actor)
        posts_seen = 0
        with self._lock:
            for channel_id, text in posts:
                posts_seen += 1
                if posts_seen > _MAX_POSTS:
                    break
                names: dict[str, str] = {}
                for key, form in self._names_of(text):
                    if not any(skip(part) for part in form.lower().split(" ")):
                        names.setdefault(key, form)
                for key, form in names.items():
                    actor = found[key]
                    actor.count += 1
                    actor.channels.add(channel_id)
                    actor.forms[form] += 1
        _fold_short_names(found)
        ranked = sorted(
            (item for item in found.items() if item[1].count >= 2),
            key=lambda item: (-len(item[1].channels), -item[1].count, item[0]),
        )
        result: list[str] = []
        chosen_keys: list[str] = []
        for key, actor in ranked:
            # A single word inside a longer chosen name ("Корея" in "Южная Корея") says nothing new.
            if any(f" {key} " in f" {other} " for other in chosen_keys):
                continue
            if any(f" {other} " in f" {key} " for other in chosen_keys):
                continue
            chosen_keys.append(key)
            result.append(actor.forms.most_common(1)[0][0])
            if len(result) >= limit:
                break
        return result

    def _names_of(self, text: str) -> list[tuple[str, str]]:
        """The names of a text, remembered (a story's posts are read again every run)."""
        key = hash(text)
        found = self._texts.get(key)
        if found is None:
            found = self._names(clean_text(text))
            if len(self._texts) >= _TEXT_CACHE:
                del self._texts[next(iter(self._texts))]
            self._texts[key] = found
        return found

    def _names(self, text: str) -> list[tuple[str, str]]:
        """(key, display form) of every run of capitalised name words in the text."""
        result = []
        for sentence in sentences(text):
            run: list[tuple[_Word, str]] = []
            previous_end = 0
            for match in _WORD.finditer(sentence):
                surface = match.group()
                before = sentence[: match.start()].rstrip(" \t\u00a0")
                starts = not before or before[-1] in _OPENERS
                word = self._word(surface, starts)
                gap = sentence[previous_end : match.start()]
                joined = not gap.strip() and "\n" not in gap  # only spaces between
                previous_end = match.end()
                if word is not None and run and (not joined or run[-1][0].place):
                    # A place name ends at its noun: "Южной Кореи | Юн Сок Ёль".
                    result.append(_join(run))
                    run = []
                if word is not None and len(run) < _MAX_NAME_WORDS:
                    run.append((word, surface))
                    continue
                if run:
                    result.append(_join(run))
                run = [(word, surface)] if word is not None else []
            if run:
                result.append(_join(run))
        return [item for item in result if item[0]]

    def _word(self, surface: str, sentence_start: bool) -> _Word | None:
        """The word as part of a name, or None when it is not one."""
        if not surface[:1].isupper() or len(surface) < 2:
            return None
        lowered = surface.lower()
        if lowered in STOP_WORDS:
            return None
        cache_key = surface
        word = self._words.get(cache_key)
        if word is None:
            word = self._analyse(surface)
            self._words[cache_key] = word
        if word.key in _NOT_ACTORS:
            return None
        # Inside a sentence a capital letter marks a name ("Юн Сок Ёль", "Кит Келлог");
        # at its start only what the dictionary calls a name counts.
        if sentence_start and not word.is_name:
            return None
        return word

    @staticmethod
    def _analyse(surface: str) -> _Word:
        lowered = surface.lower()
        found = analyse(surface)
        if found is None:  # Latin names (Leonardo, Tron): the word as written
            return _Word(lowered, True, lowered)
        tags = found.tags
        is_name = bool(tags & _NAME_TAGS) or (surface.isupper() and "Abbr" in tags)
        is_name = is_name or not found.known or ("ADJF" in tags)  # "Южной" before "Кореи"
        return _Word(
            found.normal_form,
            is_name,
            found.nominative,
            first_name_only="Name" in tags and not tags & (_NAME_TAGS - {"Name"}),
            place="Geox" in tags and "NOUN" in tags,
        )


def _fold_short_names(found: dict[str, _Actor]) -> None:
    """ "Кобахидзе" counts for "Ираклий Кобахидзе" when that is the only longer name with it."""
    for key in [key for key in found if " " not in key]:
        longer = [other for other in found if " " in other and key in other.split(" ")]
        if len(longer) == 1:
            short, full = found.pop(key), found[longer[0]]
            full.count += short.count
            full.channels |= short.channels


def _join(run: list[tuple[_Word, str]]) -> tuple[str, str]:
    """A name's key and display form; adjectives alone are not names."""
    while run and _is_adjective_only(run[-1][0]):
        run = run[:-1]
    if not run or all(_is_adjective_only(word) for word, _ in run):
        return "", ""
    if len(run) == 1 and run[0][0].first_name_only:
        return "", ""  # "Михаил" alone names nobody in particular
    key = " ".join(word.key for word, _ in run)
    shown = " ".join(_display(word, surface) for word, surface in run)
    return key, shown


def _is_adjective_only(word: _Word) -> bool:
    return word.nominative.endswith(("ая", "ий", "ый", "ое", "ой", "ые", "ие"))


def _display(word: _Word, surface: str) -> str:
    if surface.isupper() or not ("а" <= surface[:1].lower() <= "я" or surface[:1] in "ЁЁ"):
        return surface  # acronyms and Latin names as written
    form = word.nominative
    return form[:1].upper() + form[1:]
