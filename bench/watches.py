"""Keyword-watch matching cost per ingested post, with 10,000 watches across chats (target ≤ 1 ms).

Run: .venv/bin/python bench/watches.py [--corpus PATH] [--watches 10000] [--chats 1000]
Watches are drawn (seeded) from the shared corpus' own vocabulary: single words, two-word
phrases taken from posts, and words with an -exclusion; each chat follows a random third of the
channels. Every post of the corpus is then matched as the ingestion pass matches it: stems of
the post, the inverted index's candidates, the full check, restricted to the chats following the
post's channel. Timed per post (median, p95, p99, mean) and as the whole run.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import machine, write_section
from bench.trends import DEFAULT_CORPUS
from core.ingest.service import ExportImporter
from core.text.stopwords import ANSWER_STOP_WORDS as STOP_WORDS
from core.text.tokens import words
from core.watches.expression import InvalidWatch, parse_watch
from core.watches.matcher import WatchIndex, match_posts
from core.watches.models import Watch, WatchPost, WatchTenant

TARGET_MS = 1.0


def load(corpus: Path) -> list[WatchPost]:
    """Every post of the corpus, with its channel as a number."""
    posts: list[WatchPost] = []
    for number, (_, chats) in enumerate(ExportImporter.parse([corpus])):
        for chat in chats:
            for draft in chat.posts:
                posts.append(
                    WatchPost(len(posts) + 1, number, chat.info.title, "", draft.date, draft.text)
                )
    return posts


def draw_expressions(posts: list[WatchPost], count: int, rng: random.Random) -> list[str]:
    """Watch expressions a reader might type, from the corpus' own words."""
    vocabulary = Counter(
        word for post in posts for word in words(post.text) if len(word) >= 5 and word.isalpha()
    )
    common = [word for word, seen in vocabulary.most_common(5000) if word not in STOP_WORDS]
    expressions: list[str] = []
    while len(expressions) < count:
        kind = rng.random()
        if kind < 0.6:
            expression = rng.choice(common)
        elif kind < 0.85:
            text = [w for w in words(rng.choice(posts).text) if w.isalpha() and len(w) >= 4]
            if len(text) < 2:
                continue
            start = rng.randrange(len(text) - 1)
            expression = f'"{text[start]} {text[start + 1]}"'
        else:
            expression = f"{rng.choice(common)} -{rng.choice(common)}"
        try:
            parse_watch(expression)
        except InvalidWatch:
            continue
        expressions.append(expression)
    return expressions


def main() -> None:
    """Build the watches, match every post, print and record the cost per post."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--watches", type=int, default=10_000)
    parser.add_argument("--chats", type=int, default=1_000)
    args = parser.parse_args()
    rng = random.Random(15)
    posts = load(args.corpus)
    channels = sorted({post.channel_id for post in posts})
    expressions = draw_expressions(posts, args.watches, rng)
    started = time.perf_counter()
    watches = [
        Watch(number + 1, number % args.chats + 1, text, parse_watch(text))
        for number, text in enumerate(expressions)
    ]
    index = WatchIndex(watches)
    build_seconds = time.perf_counter() - started
    followers: dict[int, list[WatchTenant]] = {channel: [] for channel in channels}
    for chat in range(1, args.chats + 1):
        for channel in rng.sample(channels, max(1, len(channels) // 3)):
            followers[channel].append(WatchTenant(chat, chat, "ru"))

    timings: list[float] = []
    hits = 0
    cpu = time.process_time()
    total = time.perf_counter()
    for post in posts:
        started = time.perf_counter()
        found = match_posts(index, [post], followers)
        timings.append((time.perf_counter() - started) * 1000)
        hits += sum(len(chat_hits) for chat_hits in found.values())
    total_seconds = time.perf_counter() - total
    cpu_seconds = time.process_time() - cpu
    timings.sort()
    median = statistics.median(timings)
    p95 = timings[int(len(timings) * 0.95)]
    p99 = timings[int(len(timings) * 0.99)]
    mean = total_seconds * 1000 / len(posts)
    load_average = os.getloadavg()[0]
    verdict = "meets" if mean <= TARGET_MS else "MISSES"
    print(
        f"{len(watches)} watches of {args.chats} chats, {len(posts)} posts: mean {mean:.3f} ms, "
        f"median {median:.3f} ms, p95 {p95:.3f} ms, p99 {p99:.3f} ms per post; "
        f"{hits} hits; index built in {build_seconds:.2f} s; load average {load_average:.1f} "
        f"({verdict} target ≤ {TARGET_MS:g} ms)"
    )
    write_section(
        "watches",
        "## Keyword watches: matching cost per ingested post (`bench/watches.py`)\n\n"
        f"Measured on {machine()}; {len(watches):,} watches of {args.chats:,} chats drawn (seeded) "
        "from the shared corpus' vocabulary (60 % single words, 25 % two-word phrases, 15 % a word "
        "with an -exclusion), each chat following a random third of the "
        f"{len(channels)} channels; all {len(posts):,} posts matched one by one as the ingestion "
        "pass does (stems, inverted-index candidates, full check, only chats following the "
        f"post's channel). The machine was shared (load average {load_average:.1f}), so the run's "
        "CPU time is given too.\n\n"
        "| per post | ms | target |\n|---|---|---|\n"
        f"| mean | {mean:.3f} | ≤ {TARGET_MS:g} ({verdict}) |\n"
        f"| median | {median:.3f} | |\n| p95 | {p95:.3f} | |\n| p99 | {p99:.3f} | |\n\n"
        f"Whole run {total_seconds:.2f} s ({cpu_seconds:.2f} s CPU), {hits:,} hits; "
        f"building the index of {len(watches):,} watches took {build_seconds:.2f} s.",
    )


if __name__ == "__main__":
    main()
