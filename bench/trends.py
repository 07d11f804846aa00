"""Trend detection over the whole shared corpus: cold ≤ 2 s, the 15-minute warm run ≤ 0.3 s.

Run: .venv/bin/python bench/trends.py [--corpus PATH] [--runs 5]
All 22,099 posts go to the detector as of the corpus' last day (window 6 h, baseline 7 days
before it): a cold run (fresh detector, every post's terms extracted, the morphological
dictionary for actors loaded) and the job's next runs 15 minutes apart (term cache filled).
Stories are grouped, headlined and given their actors in every run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import machine, write_section
from core.ingest.service import ExportImporter
from core.models import permalink
from core.text.morphology import analyzer
from core.trends.detector import TrendDetector
from core.trends.models import TrendPost

# The shared corpus beside the checkout (worktrees sit one level deeper than the main one).
DEFAULT_CORPUS = next(
    (
        parent / "shared" / "data" / "telegram-news-ru"
        for parent in Path(__file__).resolve().parents
        if (parent / "shared" / "data" / "telegram-news-ru").is_dir()
    ),
    Path(__file__).resolve().parents[2] / "shared" / "data" / "telegram-news-ru",
)
COLD_TARGET = 2.0  # seconds
WARM_TARGET = 0.3
AS_OF = datetime(2024, 12, 3, 20, 0, tzinfo=UTC)


def load(corpus: Path) -> list[TrendPost]:
    """Every post of the corpus as the detector sees it, oldest first."""
    posts: list[TrendPost] = []
    for number, (_, chats) in enumerate(ExportImporter.parse([corpus])):
        for chat in chats:
            name = f"@{chat.info.username}" if chat.info.username else chat.info.title
            for draft in chat.posts:
                posts.append(
                    TrendPost(
                        post_id=len(posts) + 1,
                        channel_id=number,
                        channel_name=name,
                        date=draft.date,
                        text=draft.text,
                        url=permalink(chat.info.username, chat.info.telegram_id, draft.message_id),
                    )
                )
    posts.sort(key=lambda post: (post.date, post.post_id))
    return posts


def main() -> None:
    """Time cold and warm runs, print them, record them."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    posts = load(args.corpus)
    analyzer.cache_clear()  # the cold run loads the morphological dictionary too
    detector = TrendDetector()
    started, cpu = time.perf_counter(), time.process_time()
    trends = detector.detect(posts, AS_OF)
    cold, cold_cpu = time.perf_counter() - started, time.process_time() - cpu
    warm, warm_cpu = [], []
    for run in range(1, args.runs + 1):  # the job's next runs, 15 minutes apart
        started, cpu = time.perf_counter(), time.process_time()
        detector.detect(posts, AS_OF + timedelta(minutes=15 * run))
        warm.append(time.perf_counter() - started)
        warm_cpu.append(time.process_time() - cpu)
    median, median_cpu = statistics.median(warm), statistics.median(warm_cpu)
    load_average = os.getloadavg()[0]
    verdict = "meets" if cold <= COLD_TARGET else "MISSES"
    warm_verdict = "meets" if median <= WARM_TARGET else "MISSES"
    print(
        f"{len(posts)} posts as of {AS_OF:%Y-%m-%d %H:%M}Z: {len(trends)} trends; cold run "
        f"{cold:.2f} s ({cold_cpu:.2f} s CPU, {verdict} <= {COLD_TARGET:g} s), warm median "
        f"{median:.2f} s ({median_cpu:.2f} s CPU, {warm_verdict} <= {WARM_TARGET:g} s); "
        f"load average {load_average:.1f}"
    )
    for trend in trends[:5]:
        print(f"  {trend.score:6.2f}  {trend.headline}  [{', '.join(trend.actors)}]")
    write_section(
        "trends",
        "## Trends: detection over the whole shared corpus (`bench/trends.py`)\n\n"
        f"Measured on {machine()}; all {len(posts)} posts handed to `TrendDetector.detect` as of "
        f"{AS_OF:%Y-%m-%d %H:%M} UTC (window 6 h, baseline 7 days), {len(trends)} stories found, "
        "each grouped, headlined and with its actors (pymorphy3; the cold run loads its "
        f"dictionary). The machine was shared with other engineers' work (load average "
        f"{load_average:.1f}), so CPU seconds are given too.\n\n"
        "| run | seconds | CPU seconds | target |\n|---|---|---|---|\n"
        f"| cold (fresh detector: every post's terms extracted, dictionary loaded) | {cold:.2f} "
        f"| {cold_cpu:.2f} | ≤ {COLD_TARGET:g} ({verdict}) |\n"
        f"| warm: the 15-minute job's next runs (term cache filled), median of {args.runs} | "
        f"{median:.2f} | {median_cpu:.2f} | ≤ {WARM_TARGET:g} ({warm_verdict}) |\n\n"
        "Top stories: "
        + "; ".join(f"{trend.headline} [{', '.join(trend.actors)}]" for trend in trends[:5])
        + ".",
    )


if __name__ == "__main__":
    main()
