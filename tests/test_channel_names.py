"""How /subscribe understands channel names."""

import pytest

from core.channels.names import ChannelName, parse_channel_name
from core.errors import InvalidChannelName


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@durov", ChannelName(username="durov")),
        ("Durov", ChannelName(username="durov")),
        ("t.me/durov", ChannelName(username="durov")),
        ("https://t.me/durov", ChannelName(username="durov")),
        ("https://t.me/s/durov", ChannelName(username="durov")),
        ("https://t.me/durov/123", ChannelName(username="durov")),
        ("http://telegram.me/durov?start=1", ChannelName(username="durov")),
        ("  @news_channel  ", ChannelName(username="news_channel")),
        ("-1001234567890", ChannelName(telegram_id=-1001234567890)),
        ("https://t.me/c/1234567890/5", ChannelName(telegram_id=-1001234567890)),
    ],
)
def test_accepts_every_usual_form(text: str, expected: ChannelName) -> None:
    """@name, bare names, t.me links, /s/ previews, post links and private ids all parse."""
    assert parse_channel_name(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "@a",
        "@bad-name",
        "@1abc",
        "@name_",
        "https://example.com/durov",
        "https://t.me/+AbCdEf",
        "https://t.me/joinchat/AbCdEf",
        "https://t.me/",
        "../etc/passwd",
        "@" + "x" * 40,
        "x" * 500,
        "[",
        "https://[t.me/durov",
        "https://t.me/c/²/1",
        "https://t.me/c/99999999999999999999999/1",
    ],
)
def test_rejects_what_is_not_a_channel(text: str) -> None:
    """Wrong names, foreign hosts, invite links and oversized input are refused clearly."""
    with pytest.raises(InvalidChannelName):
        parse_channel_name(text)


@pytest.mark.parametrize("name", ["abcd", "news", "a" * 32, "a1_b", "News_24"])
def test_usernames_of_four_to_thirty_two_characters_pass(name: str) -> None:
    """Ordinary names have 5–32 characters, collectible ones 4: both are followed."""
    assert parse_channel_name(f"@{name}") == ChannelName(username=name.lower())


@pytest.mark.parametrize("name", ["abc", "a" * 33, "name_", "1name", "_name"])
def test_refusal_states_the_rule_that_refused(name: str) -> None:
    """The message names the same bounds the pattern enforces (4–32, letter first, no "_" last)."""
    with pytest.raises(InvalidChannelName, match="4–32") as refused:
        parse_channel_name(f"@{name}")
    assert "underscore" in str(refused.value)
