"""Trend quality on labelled events of the shared corpus (bench/trend_events.json).

Run: .venv/bin/python bench/trend_quality.py [--corpus PATH] [--split tuning|held-out|all] [-v]
For every labelled moment, detection is replayed as of that moment over the corpus, and:

- a trend *matches* an event when at least half of its posts match the event's pattern;
- recall@k: share of the moment's events matched by a trend among the top k;
- an event is *split* when two or more of the top 10 trends match it;
- precision@10: share of the top 10 that are real multi-channel stories. A trend is real when
  it matches a labelled event, or when its headline cluster — its posts sharing at least a
  third of the headline post's words (5-letter prefixes of words of 4+ letters) — spans at
  least three channels of at least two owners (families in the data file);
- boilerplate: trends whose label's first term is in at least a quarter of one of its
  channels' posts over the whole corpus, or whose posts are mostly ads (must be 0).

Tune on the tuning split only; the held-out figures go to docs/BENCHMARKS.md (`--split
held-out --write`).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import machine, write_section
from bench.trends import DEFAULT_CORPUS, load
from core.text.terms import TermExtractor
from core.trends.detector import TrendDetector
from core.trends.models import Trend, TrendPost

EVENTS = Path(__file__).resolve().parent / "trend_events.json"
_WORD = re.compile(r"[a-zа-яё]{4,}")
_HEADLINE_SHARE = 1 / 3


@dataclass
class MomentResult:
    """Figures of one labelled moment."""

    as_of: datetime
    events: int
    found5: int
    found10: int
    split: list[str]
    real10: int
    top10: int
    boilerplate: int
    lines: list[str] = field(default_factory=list)


def _prefixes(text: str) -> set[str]:
    return {word[:5] for word in _WORD.findall(text.lower())}


class Judge:
    """Mechanical judgement of trends against the labels and the corpus."""

    def __init__(self, posts: list[TrendPost], families: list[list[str]]) -> None:
        self.texts = {post.post_id: post.text for post in posts}
        self.family = {name: index for index, names in enumerate(families) for name in names}
        self.extractor = TermExtractor()
        counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
        sizes: Counter[str] = Counter()
        for post in posts:
            sizes[post.channel_name] += 1
            counts[post.channel_name].update(self.extractor.terms(post.text))
        self.channel_share = {
            name: {term: n / sizes[name] for term, n in counter.items()}
            for name, counter in counts.items()
        }

    def owner(self, channel_name: str) -> str:
        """A channel's owner: its family, or itself."""
        found = self.family.get(channel_name)
        return f"family{found}" if found is not None else channel_name

    def matches(self, trend: Trend, pattern: re.Pattern[str]) -> bool:
        """At least half of the trend's posts match the event's pattern."""
        hits = sum(1 for post in trend.posts if pattern.search(self.texts[post.post_id]))
        return hits >= 2 and hits * 2 >= len(trend.posts)

    def coherent(self, trend: Trend) -> bool:
        """Its headline cluster spans three channels of at least two owners."""
        headline = _prefixes(trend.headline)
        if not headline:
            return False
        need = max(2, len(headline) * _HEADLINE_SHARE)
        channels = {
            post.channel_name
            for post in trend.posts
            if len(headline & _prefixes(self.texts[post.post_id])) >= need
        }
        return len(channels) >= 3 and len({self.owner(name) for name in channels}) >= 2

    def boilerplate(self, trend: Trend) -> bool:
        """The trend is a channel's signature or an ad campaign."""
        ads = sum(1 for post in trend.posts if self.extractor.is_advertisement(post.snippet))
        if ads * 2 > len(trend.posts):
            return True
        if not trend.stems:
            return False
        first = trend.stems[0].split(" ")[0]
        return any(
            self.channel_share.get(name, {}).get(first, 0.0) >= 0.25 for name in trend.channels
        )


def evaluate(
    detector: TrendDetector, posts: list[TrendPost], judge: Judge, moment: dict
) -> MomentResult:
    """Replay detection as of the moment and judge its top 10."""
    as_of = datetime.fromisoformat(moment["as_of"]).replace(tzinfo=UTC)
    trends = detector.detect(posts, as_of)[:10]
    # Case-insensitive: a place is also named by its adjective ("Сирия", "сирийских").
    events = [(e["name"], re.compile(e["pattern"], re.IGNORECASE)) for e in moment["events"]]
    matched = [[name for name, pattern in events if judge.matches(t, pattern)] for t in trends]
    found5 = {name for names in matched[:5] for name in names}
    found10 = {name for names in matched for name in names}
    per_event = Counter(name for names in matched for name in names)
    real = [
        bool(names) or judge.coherent(trend) for trend, names in zip(trends, matched, strict=True)
    ]
    boiler = [judge.boilerplate(trend) for trend in trends]
    lines = []
    for rank, (trend, names, ok, bad) in enumerate(
        zip(trends, matched, real, boiler, strict=True), 1
    ):
        mark = "B" if bad else ("+" if ok else "-")
        lines.append(
            f"  {rank:2} {mark} {trend.score:6.2f} ch={len(trend.channel_ids):2} "
            f"p={len(trend.posts):3} {trend.headline[:80]}  [{', '.join(trend.actors[:4])}]"
            + (f"  <= {'; '.join(names)}" if names else "")
        )
    for name, _ in events:
        if name not in found10:
            lines.append(f"     MISSED: {name}")
    return MomentResult(
        as_of=as_of,
        events=len(events),
        found5=len(found5),
        found10=len(found10),
        split=[name for name, count in per_event.items() if count > 1],
        real10=sum(real),
        top10=len(trends),
        boilerplate=sum(boiler),
        lines=lines,
    )


def main() -> None:
    """Evaluate the chosen split, print per moment and totals, optionally record them."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--split", choices=["tuning", "held-out", "all"], default="tuning")
    parser.add_argument("--write", action="store_true", help="record in docs/BENCHMARKS.md")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every top-10 trend")
    args = parser.parse_args()
    data = json.loads(EVENTS.read_text(encoding="utf-8"))
    posts = load(args.corpus)
    judge = Judge(posts, data["families"])
    detector = TrendDetector()
    moments = [m for m in data["moments"] if args.split in ("all", m["split"])]
    results = [evaluate(detector, posts, judge, moment) for moment in moments]
    rows = []
    for result in results:
        row = (
            f"| {result.as_of:%Y-%m-%d %H:%M} | {result.events} | "
            f"{result.found5}/{result.events} | {result.found10}/{result.events} | "
            f"{result.real10}/{result.top10} | {len(result.split)} | {result.boilerplate} |"
        )
        rows.append(row)
        print(row)
        if args.verbose:
            print("\n".join(result.lines))
    events = sum(r.events for r in results)
    recall5 = sum(r.found5 for r in results) / events
    recall10 = sum(r.found10 for r in results) / events
    precision = sum(r.real10 for r in results) / max(1, sum(r.top10 for r in results))
    split = sum(len(r.split) for r in results)
    boilerplate = sum(r.boilerplate for r in results)
    summary = (
        f"{args.split}: {len(results)} moments, {events} events: recall@5 {recall5:.2f}, "
        f"recall@10 {recall10:.2f}, precision@10 {precision:.2f}, events split in the top 10: "
        f"{split}, boilerplate trends: {boilerplate}"
    )
    print(summary)
    if args.write:
        split_names = [f"{r.as_of:%m-%d %H:%M} {name}" for r in results for name in r.split]
        write_section(
            f"trend-quality-{args.split}",
            f"## Trend quality, {args.split} split (`bench/trend_quality.py`)\n\n"
            f"Measured on {machine()} over the labelled events of `bench/trend_events.json` "
            "(targets on the held-out split: recall@5 ≥ 0.9, no event split in the top 10, "
            "precision@10 ≥ 0.8, 0 boilerplate). How a trend is judged: the script's docstring.\n\n"
            "| as of (UTC) | events | found in top 5 | found in top 10 | real stories in top 10 "
            "| events split | boilerplate |\n|---|---|---|---|---|---|---|\n"
            + "\n".join(rows)
            + f"\n\n**{summary}.**"
            + (f" Split: {'; '.join(split_names)}." if split_names else ""),
        )


if __name__ == "__main__":
    main()
