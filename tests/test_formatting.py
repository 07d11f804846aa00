"""Splitting long HTML replies for Telegram."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.formatting import echo, escape, split_html
from tests.telegram_rules import check_markup


def test_short_text_stays_whole() -> None:
    """A reply under the limit is sent as one message, unchanged."""
    assert split_html("<b>hello</b> world") == ["<b>hello</b> world"]


def test_splits_on_paragraphs_first() -> None:
    """A long reply breaks between paragraphs, not inside them."""
    paragraph = "Слово " * 300
    text = "\n\n".join(paragraph.strip() for _ in range(5))
    parts = split_html(text)
    assert len(parts) > 1
    assert all(len(part) <= 4096 for part in parts)
    assert all(part.endswith("Слово") for part in parts)


def test_tags_are_closed_and_reopened_across_parts() -> None:
    """A bold span crossing a split is closed in one part and reopened in the next."""
    text = "<b>" + ("word " * 2000) + "</b>"
    parts = split_html(text)
    assert len(parts) >= 3
    for part in parts:
        assert part.startswith("<b>") and part.endswith("</b>")
        check_markup(part)


def test_never_cuts_inside_an_entity_or_tag() -> None:
    """Escaped entities and link tags are never split in half."""
    text = " ".join([escape("<&>") + ' <a href="https://t.me/x/1">link</a>'] * 800)
    for part in split_html(text):
        check_markup(part)
        assert not re.search(r"&[a-z]*$", part)
        assert part.count("<a ") == part.count("</a>")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=900), min_size=1, max_size=20))
def test_any_escaped_text_splits_validly(chunks: list[str]) -> None:
    """Whatever the text, every part is within the limit, balanced and nothing is lost."""
    text = "\n\n".join("<i>" + escape(chunk) + "</i>" for chunk in chunks)
    parts = split_html(text)
    assert all(len(part) <= 4096 for part in parts)
    for part in parts:
        check_markup(part)
    joined = "".join(re.sub(r"<[^>]+>", "", part) for part in parts)
    original = re.sub(r"<[^>]+>", "", text)
    assert re.sub(r"\s", "", joined) == re.sub(r"\s", "", original)


def test_echo_escapes_and_cuts_user_input() -> None:
    """Input repeated back is HTML-escaped and cut to the limit with an ellipsis."""
    assert echo("<b>") == "&lt;b&gt;"
    cut = echo("x" * 5000, limit=64)
    assert len(cut) == 64 and cut.endswith("…")
    assert echo("y" * 64, limit=64) == "y" * 64
