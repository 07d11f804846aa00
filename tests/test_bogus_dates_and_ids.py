"""Bogus dates and ids crash parsers: out-of-range items are refused one by one, the rest is kept.

An ISO date such as `0001-01-01T00:00:00+01:00` parses but overflows when made UTC; a message id
of 2^63 or -5 parses but cannot be stored. Each must cost its own post only, with a clear
message, never the whole t.me page (a /subscribe) or the whole export (a traceback).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.bounds import from_unixtime, parse_iso_date
from storage.models import PostRow
from tests.cli import run_cli
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.tme import FakeTelegramWeb, render
from tests.harness import BotHarness, make_settings

TEXTS = [f"Новость {n}: бюджет и выборы" for n in range(1, 6)]


@pytest.fixture
async def tme() -> AsyncIterator[FakeTelegramWeb]:
    """A fake t.me whose page of @bogusdates holds one post with an overflowing date and one with a huge id."""
    async with FakeTelegramWeb() as web:
        channel = web.add_channel("bogusdates", "Bogus dates", TEXTS)
        page = render(channel, sorted(channel.posts))
        post_two_date = channel.posts[2].date.isoformat()
        page = page.replace(post_two_date, "0001-01-01T00:00:00+01:00")
        page = page.replace(
            'data-post="bogusdates/4"', 'data-post="bogusdates/99999999999999999999"'
        )
        channel.body = page.encode()
        yield web


async def test_bogus_date_on_a_preview_page_costs_one_post_not_the_page(
    tmp_path: Path, bot_api: FakeBotAPI, tme: FakeTelegramWeb
) -> None:
    """/subscribe to a channel whose page has an overflowing date and a 20-digit id keeps the other three posts."""
    settings = make_settings(tmp_path, bot_api, telegram_web_base=tme.base_url)
    async with BotHarness(settings, bot_api) as harness:
        [reply] = await harness.send("/subscribe @bogusdates")
        assert "Bogus dates" in reply and "3" in reply, reply
        async with harness.container.uow_factory() as uow:
            stored = await uow.session.scalars(select(PostRow.message_id))  # type: ignore[attr-defined,unused-ignore]
            assert sorted(stored) == [1, 3, 5]


def _message(message_id: Any, **fields: Any) -> dict[str, Any]:
    return {
        "id": message_id,
        "type": "message",
        "date": "2024-12-01T10:00:00",
        "date_unixtime": "1733047200",
        "text": f"Пост {message_id}",
        **fields,
    }


def test_bogus_dates_and_ids_in_an_export_are_rejected_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`tgassist import`: out-of-range ids and dates are listed as rejected, the good posts are stored."""
    overflowing = _message(3, date="0001-01-01T00:00:00+01:00")
    del overflowing["date_unixtime"]
    messages = [
        _message(1),
        _message(2**63),
        overflowing,
        _message(-5),
        _message(6, date_unixtime="999999999999"),
        _message(7, edited_unixtime=str(2**36)),  # year 4147
        _message(8),
    ]
    export = tmp_path / "result.json"
    document = {"name": "Bogus", "type": "public_channel", "id": 777, "messages": messages}
    export.write_text(json.dumps(document), encoding="utf-8")

    result = run_cli(monkeypatch, capsys, tmp_path, "import", str(export), "--chat", "5", "--json")

    assert result.code == 0, result.err
    assert "Traceback" not in result.err
    report = result.json()
    assert report["inserted"] == 2
    rejected = report["rejected"]
    assert len(rejected) == 5, rejected
    assert "message #1: message id 9223372036854775808 is out of range" in rejected[0]
    assert 'message 3 (#2): "date" is out of range' in rejected[1]
    assert "message #3: message id -5 is out of range" in rejected[2]
    assert '"date_unixtime" is out of range' in rejected[3]
    assert '"edited_unixtime" is out of range' in rejected[4]
    assert all(reason.startswith(f"{export}: ") for reason in rejected)
    listing = run_cli(monkeypatch, capsys, tmp_path, "channels", "--chat", "5", "--json").json()
    assert [c["posts"] for c in listing["channels"]] == [2]


@pytest.mark.parametrize(
    "text",
    [
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "1970-01-01T00:00:00+00:00",
        "2200-01-01T00:00:00",
        "not a date",
    ],
)
def test_bogus_iso_dates_are_none_not_an_exception(text: str) -> None:
    """The shared date helper never raises; out-of-range and overflowing dates are None."""
    assert parse_iso_date(text) is None


def test_dates_within_bounds_are_kept_in_utc() -> None:
    """A real date with an offset is converted to UTC; Unix times far out are None."""
    moment = parse_iso_date("2024-12-01T13:00:00+03:00")
    assert moment is not None and moment.isoformat() == "2024-12-01T10:00:00+00:00"
    assert from_unixtime(10**30) is None and from_unixtime(-1) is None
