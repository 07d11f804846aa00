"""The small parts of questions: filter parsing, throttling, snippets, citations and their HTML."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.formatting import escape, html_to_text
from bot.views.answer import linkify_citations, render_answer
from core.rag.extractive import SentencePicker
from core.rag.generation import cited_numbers, drop_invalid_citations
from core.rag.models import Answer, AnswerMode, AnswerStatus, Source, SourceRef
from core.rag.query import ParsedQuestion, parse_question
from core.rag.throttle import UserRateLimiter
from core.text.sentences import sentences
from core.text.terms import terms
from core.text.tokens import clip


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("what happened?", ParsedQuestion("what happened?")),
        ("@Mash 7d что случилось?", ParsedQuestion("что случилось?", ("mash",), timedelta(days=7))),
        (
            "24h @mash @rian_ru итоги",
            ParsedQuestion("итоги", ("mash", "rian_ru"), timedelta(hours=24)),
        ),
        (
            "2w https://t.me/s/bbcrussian выборы",
            ParsedQuestion("выборы", ("bbcrussian",), timedelta(weeks=2)),
        ),
        ("3д t.me/mash, снег", ParsedQuestion("снег", ("mash",), timedelta(days=3))),
        ("что писал @durov про блокировку", ParsedQuestion("что писал @durov про блокировку")),
        ("0d 5g вышки", ParsedQuestion("0d 5g вышки")),
        ("@ab вопрос", ParsedQuestion("@ab вопрос")),  # too short to be a username
        ("7d", ParsedQuestion("", (), timedelta(days=7))),
        ("99999d x", ParsedQuestion("99999d x")),
        ("9999d x", ParsedQuestion("x", (), timedelta(days=3650))),
    ],
)
def test_leading_filters_are_parsed(raw: str, expected: ParsedQuestion) -> None:
    """Channels and a window before the question become filters; anything later stays text."""
    assert parse_question(raw) == expected


def test_throttle_admits_the_limit_then_refuses_once_with_the_wait() -> None:
    """N questions per window pass; the next gets one notice with the wait, then silence, then room again."""
    now = [1000.0]
    limiter = UserRateLimiter(2, 60.0, clock=lambda: now[0])
    assert limiter.admit(1) is None
    now[0] += 10
    assert limiter.admit(1) is None
    first = limiter.admit(1)
    assert first is not None
    assert first.notify
    assert first.wait_seconds == 50
    second = limiter.admit(1)
    assert second is not None
    assert not second.notify
    assert limiter.admit(2) is None  # other users are not affected
    now[0] += 50
    assert limiter.admit(1) is None
    again = limiter.admit(1)
    assert again is not None
    assert again.notify  # a new window, a new notice


def test_sentences_terms_and_clipping() -> None:
    """Sentences split on ends and lines; terms are stems without stop words; clips end on words."""
    assert sentences("Первое. Второе!\nТретье? «Четвёртое.» Пятое") == [
        "Первое.",
        "Второе!",
        "Третье?",
        "«Четвёртое.»",
        "Пятое",
    ]
    assert terms("Что случилось с ключевой ставкой и ставками?") == ["ключев", "ставк", "ставк"]
    assert terms("Running the tests") == ["run", "test"]
    assert clip("одно два три четыре", 12) == "одно два…"
    assert clip("короткий", 100) == "короткий"


def test_snippets_prefer_sentences_with_the_rarer_question_words() -> None:
    """The sentence carrying the detail asked about wins over the one repeating the topic."""
    text = (
        "Ставка ЦБ обсуждается. Ставку ЦБ повысили до 21% на заседании в октябре. Погода хорошая."
    )
    other = "Ставка ЦБ остаётся высокой."
    picker = SentencePicker("Когда повысили ставку ЦБ?", [text, other])
    assert picker.snippet(text) == "Ставку ЦБ повысили до 21% на заседании в октябре."
    assert "Погода" not in picker.snippet(text)
    assert (
        picker.snippet("Ничего общего с вопросом. Совсем.") == "Ничего общего с вопросом. Совсем."
    )
    assert picker.snippet("") == ""


def test_citations_are_validated_and_linked() -> None:
    """Valid [n] become links; invented numbers disappear; groups like [1, 3] link each number."""
    text = "Рост [1]. Падение [2, 7]. Выдумка [9]. Группа [1; 3]."
    assert cited_numbers(text, 3) == [1, 2, 3]
    cleaned = drop_invalid_citations(text, 3)
    assert cleaned == "Рост [1]. Падение [2]. Выдумка . Группа [1, 3]."
    urls = {1: "https://t.me/a/1", 2: "https://t.me/a/2", 3: "https://t.me/c/5/3"}
    html = linkify_citations(escape(cleaned), urls)
    assert '<a href="https://t.me/a/1">[1]</a>' in html
    assert '[<a href="https://t.me/a/1">1</a>, <a href="https://t.me/c/5/3">3</a>]' in html
    assert html_to_text(html) == cleaned


def test_model_text_is_escaped_before_markup() -> None:
    """A model's HTML is shown as text; its **bold** becomes bold; plain text keeps link targets."""
    ref = SourceRef(
        None, "Канал <без> имени", 1, 9, "https://t.me/c/5/9", datetime(2024, 12, 1, tzinfo=UTC)
    )
    answer = Answer(
        AnswerStatus.OK,
        ParsedQuestion("q"),
        mode=AnswerMode.LLM,
        text='**Итог**: <script>x</script> & "кавычки" [1]',
        sources=[Source(1, ref, 1.0, "snippet")],
    )
    html = render_answer(answer, "ru")
    assert html.startswith("<b>Итог</b>: &lt;script&gt;x&lt;/script&gt; &amp; &quot;кавычки&quot; ")
    assert '<a href="https://t.me/c/5/9">Канал &lt;без&gt; имени · 2024-12-01</a>' in html
    assert html_to_text(html).endswith("[1] Канал <без> имени · 2024-12-01 (https://t.me/c/5/9)")
