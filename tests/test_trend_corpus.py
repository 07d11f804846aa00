"""Trend detection replayed over the shared corpus of real channels, through `tgassist trends`.

The corpus is imported once (ExportImporter, as `tgassist import` does) into a data directory;
each case runs `tgassist trends --chat --as-of --json` as of a real moment. The events below
were read off the corpus by hand: each was covered by many channels within hours.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from core.ingest.service import ExportImporter
from core.text.terms import TermExtractor
from tests.cli import cli_database_url, run_cli
from tests.conftest import SHARED_DATA
from tests.quota_support import migrated

pytestmark = pytest.mark.slow

CHAT = -1002024112700

# As of (UTC) -> for each event, stems its trend's displayed terms must carry, and what happened.
EVENTS: dict[str, list[tuple[set[str], str]]] = {
    "2024-11-27T20:00:00Z": [
        ({"кофеман", "выстрел"}, "shots fired at the Kofemania café in central Moscow"),
        ({"бюджетн", "валют"}, "Bank of Russia stops currency purchases until the year end"),
    ],
    "2024-11-28T12:00:00Z": [
        (
            {"центр", "принят", "орешник"},
            "Putin: Kyiv's decision centres may be targets for Oreshnik",
        ),
        ({"посольств швец"}, "the Swedish embassy in Moscow pelted with bottles"),
    ],
    "2024-11-29T20:00:00Z": [
        ({"leonardo", "аэрофлот"}, "global failure of the Leonardo booking system (Aeroflot)"),
        ({"алепп"}, "rebels' offensive on Aleppo in Syria"),
    ],
    "2024-12-02T20:00:00Z": [
        ({"telegram", "сбо"}, "Telegram outage"),
    ],
    "2024-12-03T20:00:00Z": [
        ({"южн", "кор", "воен", "положен"}, "martial law declared in South Korea"),
        ({"астероид", "якут"}, "an asteroid falls over Yakutia"),
    ],
}


@pytest.fixture(scope="module")
def corpus() -> Path:
    """The shared corpus (the `shared_corpus` fixture's folder, here once per module)."""
    if not (SHARED_DATA / "channels.json").exists():
        pytest.skip(f"shared corpus not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> Path:
    """A CLI working directory whose database holds the whole corpus for one chat."""
    root = tmp_path_factory.mktemp("corpus")
    (root / "data").mkdir()
    url = cli_database_url(root)

    async def load() -> None:
        async with migrated(url) as database:
            importer = ExportImporter(database.uow_factory)
            await importer.store(CHAT, importer.parse([corpus]))

    asyncio.run(load())
    return root


@pytest.fixture(scope="module")
def signatures(corpus: Path) -> set[str]:
    """Every channel's boilerplate: stems in at least 30% of that channel's posts."""
    extractor = TermExtractor()
    found: set[str] = set()
    for _path, chats in ExportImporter.parse([corpus]):
        for chat in chats:
            counts: Counter[str] = Counter()
            for post in chat.posts:
                counts.update(extractor.terms(post.text))
            found |= {stem for stem, n in counts.items() if n >= 0.3 * len(chat.posts)}
    assert {"подписыва", "присла", "vpn"} <= found  # footers the corpus really has
    return found


def _norm(word: str) -> str:
    return word.lower().replace("ё", "е")


def _trends(
    corpus_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    as_of: str,
) -> list[dict[str, Any]]:
    result = run_cli(
        monkeypatch, capsys, corpus_dir, "trends", "--chat", str(CHAT), "--as-of", as_of, "--json"
    )
    assert result.code == 0, result.err
    document = result.json()
    assert list(document) == ["trends"]
    trends: list[dict[str, Any]] = document["trends"]
    return trends


@pytest.mark.parametrize("as_of", list(EVENTS))
def test_real_events_are_found_on_their_day_and_no_boilerplate_trends(
    as_of: str,
    corpus_dir: Path,
    signatures: set[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The day's real stories are among the top 10 trends; none of the top 10 is a footer."""
    trends = _trends(corpus_dir, monkeypatch, capsys, as_of)
    top = trends[:10]
    extractor = TermExtractor()
    by_label: defaultdict[str, set[str]] = defaultdict(set)
    for trend in top:
        for term in trend["terms"]:
            by_label[trend["label"]] |= {extractor.stem(_norm(w)) for w in term.split()}
    for stems, event in EVENTS[as_of]:
        words = {part for stem in stems for part in stem.split()}
        assert any(words <= found for found in by_label.values()), (event, list(by_label))
    for trend in top:
        for term in trend["terms"][:3]:  # the label: no term made of footer words only
            stems = {extractor.stem(_norm(word)) for word in term.split()}
            assert not stems <= signatures, (trend["label"], term)
        assert len(trend["channels"]) >= 3 and trend["mentions"] >= 3
    scores = [trend["score"] for trend in trends]
    assert scores == sorted(scores, reverse=True)


def test_json_shape_and_a_quiet_moment(
    corpus_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every trend has exactly the documented keys; before the corpus begins nothing trends."""
    trends = _trends(corpus_dir, monkeypatch, capsys, "2024-12-03T20:00:00Z")
    # The Korean martial law story and the Yakutian asteroid lead the evening, almost level.
    [first] = [trend for trend in trends[:2] if "Коре" in trend["headline"]]
    assert list(first) == [
        "trend_key",
        "label",
        "terms",
        "score",
        "mentions",
        "baseline",
        "channels",
        "posts",
        "headline",
        "actors",
        "summary",
        "summary_sources",
        "story_posts",
    ]
    assert all(list(post) == ["url", "date"] for post in first["posts"])
    # The Korean martial law story: one story, its headline and actors, every post attached.
    assert "Коре" in first["headline"] and "Южная Корея" in first["actors"]
    assert first["summary"] is None  # no LLM configured
    folded = [first["story_posts"], *[item["copies"] for item in first["story_posts"]]]
    urls = [entry["url"] for entries in folded for entry in entries]
    assert sorted(urls) == sorted(post["url"] for post in first["posts"])
    assert any(item["copies"] for item in first["story_posts"])
    assert all(post["url"].startswith("https://t.me/") for post in first["posts"])
    assert len(first["posts"]) == first["mentions"]
    assert all(post["date"] < "2024-12-03T20:00:00" for post in first["posts"])
    assert _trends(corpus_dir, monkeypatch, capsys, "2023-01-01T00:00:00Z") == []


def test_text_output_leads_each_story_with_its_headline(
    corpus_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`tgassist trends` prints each story's headline first, then actors and why it trends."""
    as_of = "2024-11-30T22:00:00Z"
    trends = _trends(corpus_dir, monkeypatch, capsys, as_of)
    result = run_cli(
        monkeypatch, capsys, corpus_dir, "trends", "--chat", str(CHAT), "--as-of", as_of
    )
    assert result.code == 0, result.err
    titles = [line for line in result.out.splitlines() if not line.startswith(" ")]
    assert titles == [f"{n}. {trend['headline']}" for n, trend in enumerate(trends, start=1)]
    first = result.out.split("\n2. ")[0]
    assert f"   {', '.join(trends[0]['actors'])}\n" in first
    assert f"   why: {trends[0]['label']} — {trends[0]['mentions']} posts in " in first


@pytest.mark.parametrize(
    ("as_of", "pattern"),
    [
        ("2024-12-03T20:00:00Z", r"Коре|Сеул"),  # South Korea's martial law: once, not 3-6 times
        # The Syrian offensive, days old: the army's statement and Assad's are one story.
        ("2024-11-30T22:00:00Z", r"Сири|Асад|Алеппо"),
    ],
)
def test_one_event_is_one_story_in_the_top_ten(
    as_of: str,
    pattern: str,
    corpus_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Facets of one big event are one story, with one headline, among the top 10."""
    top = _trends(corpus_dir, monkeypatch, capsys, as_of)[:10]
    about = [
        trend
        for trend in top
        if re.search(pattern, trend["headline"] + " " + " ".join(trend["actors"]), re.IGNORECASE)
    ]
    assert len(about) == 1, [trend["headline"] for trend in top]
