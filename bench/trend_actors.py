"""Actors of trend stories: the built-in finder (pymorphy3 + capitals) against Natasha's NER.

Run: .venv/bin/python bench/trend_actors.py [--corpus PATH] [-v]   (needs `pip install natasha`)
On every tuning moment of bench/trend_events.json the detector's top 10 stories are taken, and
both finders read the same posts of each story (oldest first, at most 40, as the detector does)
and report up to five names found in at least two posts, by channels then mentions:

- the built-in `ActorFinder` (core/trends/labels.py);
- Natasha (`Segmenter`, `NewsEmbedding`, `NewsNERTagger`): PER/LOC/ORG spans, each word
  brought to the nominative with the same pymorphy3 analysis, counted the same way.

Quality: for each labelled tuning event with expected actors (`actors`, regular expressions),
the share of them found among the matched story's five actors (actor recall). Cost: Natasha's
import and model load (wall seconds, RSS growth) and its time per post; the built-in finder's
time over the same posts with a cold cache. `-v` prints both lists for every story.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.trend_quality import EVENTS, Judge
from bench.trends import DEFAULT_CORPUS, load
from core.text.morphology import analyse
from core.trends.detector import TrendDetector
from core.trends.labels import ActorFinder, clean_text
from core.trends.models import Trend

_MAX_POSTS = 40
_LIMIT = 5


def rss_mb() -> float:
    """Resident memory of this process now, MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _nominative(text: str) -> str:
    words = []
    for word in text.split():
        found = analyse(word) if word[:1].isalpha() and not word.isupper() else None
        if found is None or not ("а" <= word[:1].lower() <= "я" or word[:1] in "Ёё"):
            words.append(word)
        else:
            words.append(found.nominative[:1].upper() + found.nominative[1:])
    return " ".join(words)


class NatashaActors:
    """Actors from Natasha's NER spans, counted like the built-in finder counts its names."""

    def __init__(self) -> None:
        from natasha import Doc, NewsEmbedding, NewsNERTagger, Segmenter

        self._doc = Doc
        self._segmenter = Segmenter()
        self._tagger = NewsNERTagger(NewsEmbedding())
        self.posts = 0
        self.seconds = 0.0
        self._cache: dict[int, list[str]] = {}

    def names(self, text: str) -> list[str]:
        """PER/LOC/ORG spans of a text, in the nominative (remembered by text)."""
        key = hash(text)
        if key not in self._cache:
            started = time.perf_counter()
            doc = self._doc(clean_text(text))
            doc.segment(self._segmenter)
            doc.tag_ner(self._tagger)
            self._cache[key] = [
                _nominative(span.text) for span in doc.spans if span.type in {"PER", "LOC", "ORG"}
            ]
            self.seconds += time.perf_counter() - started
            self.posts += 1
        return self._cache[key]

    def actors(self, posts: list[tuple[int, str]]) -> list[str]:
        """Up to five names in at least two posts, by channels then mentions."""
        count: Counter[str] = Counter()
        channels: defaultdict[str, set[int]] = defaultdict(set)
        for channel_id, text in posts[:_MAX_POSTS]:
            for name in set(self.names(text)):
                count[name] += 1
                channels[name].add(channel_id)
        ranked = sorted(
            (name for name in count if count[name] >= 2),
            key=lambda name: (-len(channels[name]), -count[name], name),
        )
        return ranked[:_LIMIT]


def _recall(actors: list[str], expected: list[str]) -> float:
    found = sum(1 for pattern in expected if any(re.search(pattern, a, re.I) for a in actors))
    return found / len(expected)


def main() -> None:
    """Compare both finders on the tuning moments and print costs and actor recall."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    data = json.loads(EVENTS.read_text(encoding="utf-8"))
    posts = load(args.corpus)
    judge = Judge(posts, data["families"])
    detector = TrendDetector()
    stories: list[tuple[dict[str, Any] | None, Trend]] = []
    for moment in (m for m in data["moments"] if m["split"] == "tuning"):
        as_of = datetime.fromisoformat(moment["as_of"]).replace(tzinfo=UTC)
        for trend in detector.detect(posts, as_of)[:10]:
            event = next(
                (e for e in moment["events"] if judge.matches(trend, re.compile(e["pattern"]))),
                None,
            )
            stories.append((event, trend))
    inputs = [[(p.channel_id, p.text) for p in trend.posts] for _, trend in stories]

    builtin = ActorFinder()  # a fresh finder: no word or text remembered
    started = time.perf_counter()
    ours = [builtin.actors(items) for items in inputs]
    ours_seconds = time.perf_counter() - started
    read = sum(min(len(items), _MAX_POSTS) for items in inputs)

    before = rss_mb()
    started = time.perf_counter()
    natasha = NatashaActors()
    load_seconds = time.perf_counter() - started
    grown = rss_mb() - before
    theirs = [natasha.actors(items) for items in inputs]

    recalls: dict[str, list[float]] = {"built-in": [], "natasha": []}
    for (event, trend), mine, other in zip(stories, ours, theirs, strict=True):
        if event is not None and event.get("actors"):
            recalls["built-in"].append(_recall(mine, event["actors"]))
            recalls["natasha"].append(_recall(other, event["actors"]))
        if args.verbose:
            print(f"{trend.headline[:90]}" + (f"  <= {event['name']}" if event else ""))
            print(f"    built-in: {mine}\n    natasha:  {other}")
    per_post = natasha.seconds / max(1, natasha.posts) * 1000
    print(
        f"{len(stories)} stories, {read} posts read. Natasha: import + load {load_seconds:.2f} s, "
        f"RSS +{grown:.0f} MB, {per_post:.1f} ms per post ({natasha.seconds:.2f} s for "
        f"{natasha.posts} posts). Built-in, cold: {ours_seconds:.2f} s "
        f"({ours_seconds / max(1, read) * 1000:.2f} ms per post)."
    )
    for name, values in recalls.items():
        print(
            f"  {name}: actor recall on {len(values)} labelled events "
            f"{sum(values) / max(1, len(values)):.2f}"
        )


if __name__ == "__main__":
    main()
