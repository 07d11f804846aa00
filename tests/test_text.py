"""The shared text analysis (core.text): sentences, stop-word lists, stems, ё folding."""

import threading

import pytest

from core.text import stems
from core.text.sentences import sentences
from core.text.stopwords import (
    ANSWER_STOP_WORDS,
    FILLER_STEMS,
    LANGUAGES,
    QUESTION_WORDS,
    TREND_STOP_WORDS,
    stop_words,
    word_list,
)
from core.text.terms import TermExtractor, terms
from core.text.tokens import fold, fold_yo, words


def test_russian_initials_and_abbreviations_do_not_cut_sentences() -> None:
    """ "В. В. Путина", "т. е." and "г." stay inside their sentence (a regex made seven pieces)."""
    text = "По словам В. В. Путина, т. е. … в 2024 г. Это рекорд."

    pieces = sentences(text)

    assert len(pieces) <= 2
    assert "В. В. Путина, т. е." in pieces[0]
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "")


def test_sentences_split_on_end_marks_and_line_breaks() -> None:
    """Ordinary sentence ends and every line break separate pieces; blank lines vanish."""
    text = "Первое предложение. Второе! Третье?\n\nНовая строка без точки\nEnglish one. Two."

    assert sentences(text) == [
        "Первое предложение.",
        "Второе!",
        "Третье?",
        "Новая строка без точки",
        "English one.",
        "Two.",
    ]


def test_every_use_is_the_shared_base_plus_its_extras() -> None:
    """Answers and trends read one base list per language and add only their own extras."""
    base = stop_words()
    for language in LANGUAGES:
        assert word_list("stopwords", language), f"no base stop words for {language}"
    assert base <= ANSWER_STOP_WORDS and base <= TREND_STOP_WORDS
    assert ANSWER_STOP_WORDS - base == stop_words("answers") - base
    assert {"и", "the", "это"} <= base
    assert "тыс" in TREND_STOP_WORDS - ANSWER_STOP_WORDS  # a trend-only extra
    assert "расскажи" in ANSWER_STOP_WORDS - TREND_STOP_WORDS  # an answer-only extra
    assert {"расскажи", "news"} <= QUESTION_WORDS
    assert "заяв" in FILLER_STEMS


def test_stop_word_files_are_folded_and_lower_case() -> None:
    """Lists hold words as the analysers compare them: lower case, "ё" folded into "е"."""
    for name in ("stopwords", "answers", "trends", "questions"):
        for language in LANGUAGES:
            for word in word_list(name, language):
                assert word == fold(word), (name, language, word)


def test_yo_folds_so_spellings_meet() -> None:
    """ "Ещё"/"еще" and "Её"/"ее" give the same words and the same terms."""
    assert fold_yo("Ёлка ещё") == "Елка еще"
    assert words("Ещё её") == words("еще ее") == ["еще", "ее"]
    assert terms("Зелёный ёжик") == terms("Зеленый ежик")
    extractor = TermExtractor()
    assert extractor.terms("Зелёный ёжик") == extractor.terms("Зеленый ежик")


def test_stems_pick_the_language_by_letters() -> None:
    """Cyrillic words get the Russian stemmer, Latin ones the English stemmer."""
    assert stems.stem("новости") == "новост"
    assert stems.stem("running") == "run"
    assert stems.stem_words(["ставки", "ставку"], "russian") == ["ставк", "ставк"]


def test_one_stemmer_per_language_and_thread() -> None:
    """A thread reuses its stemmer; another thread gets its own (PyStemmer is not thread-safe)."""
    mine = stems.stemmer("russian")
    assert stems.stemmer("russian") is mine
    theirs: list[object] = []
    worker = threading.Thread(target=lambda: theirs.append(stems.stemmer("russian")))
    worker.start()
    worker.join()
    assert theirs and theirs[0] is not mine


@pytest.mark.parametrize("word", ["и", "the", "расскажи"])
def test_answer_terms_drop_stop_words(word: str) -> None:
    """Answer-side terms leave out every stop word of the answers list."""
    assert terms(f"{word} ракета") == terms("ракета")
