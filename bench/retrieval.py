"""Retrieval quality and latency on the shared corpus: ours (lexical default) vs plain BM25.

Run (the baseline needs the bench extra: .venv/bin/pip install -e '.[dev,bench]'):
     .venv/bin/python bench/retrieval.py [--corpus PATH] [--data-dir DIR] [--rounds N]

Imports the 22,099 posts into one tenant (EMBEDDINGS=none; a --data-dir that already holds the
import is reused), asks the hand-written paraphrased questions of
tests/data/retrieval_questions.json through the same search path as `tgassist search`, and
runs a plain BM25 baseline (rank-bm25 over lower-cased whitespace tokens) on the same
questions. Prints hit@5 and MRR@10 side by side and p50/p95 search latency, and records them
in docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "telegram-news-ru"
QUESTIONS = ROOT / "tests" / "data" / "retrieval_questions.json"
CHAT_ID = 42
HIT_AT = 5
MRR_AT = 10
TARGET_HIT = 0.9
TARGET_P95_MS = 50.0

PostKey = tuple[int, int]  # (channel id as in the export, message id)


@dataclass(frozen=True)
class Question:
    """A question and the posts that answer it."""

    text: str
    answers: frozenset[PostKey]


@dataclass(frozen=True)
class Scores:
    """Ranking quality over a question set."""

    hit: float  # share of questions with an answering post in the top HIT_AT
    mrr: float  # mean reciprocal rank of the first answering post within MRR_AT
    misses: tuple[str, ...]


def load_questions(path: Path = QUESTIONS) -> list[Question]:
    """The evaluation questions."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return [
        Question(item["question"], frozenset((int(c), int(m)) for c, m in item["answers"]))
        for item in data["questions"]
    ]


def url_keys(corpus: Path) -> dict[str, int]:
    """Channel id (as in the export) by the first part of its post links."""
    manifest = json.loads((corpus / "channels.json").read_text(encoding="utf-8"))
    keys = {}
    for entry in manifest:
        if entry.get("username"):
            keys[f"https://t.me/{entry['username'].lower()}"] = int(entry["id"])
        keys[f"https://t.me/c/{entry['id']}"] = int(entry["id"])
    return keys


def key_of(url: str, channels: dict[str, int]) -> PostKey | None:
    """(channel id, message id) of a post link, if it is a corpus post."""
    base, _, message = url.rstrip("/").rpartition("/")
    channel = channels.get(base.lower())
    return (channel, int(message)) if channel is not None and message.isdigit() else None


def score(ranked: Sequence[Sequence[set[PostKey]]], questions: Sequence[Question]) -> Scores:
    """hit@5 and MRR@10; each ranked item is the set of posts behind one result."""
    hits, reciprocal, misses = 0, 0.0, []
    for items, question in zip(ranked, questions, strict=True):
        rank = next(
            (n for n, keys in enumerate(items[:MRR_AT], start=1) if keys & question.answers), None
        )
        if rank is not None and rank <= HIT_AT:
            hits += 1
        else:
            misses.append(question.text)
        reciprocal += 1.0 / rank if rank else 0.0
    return Scores(hits / len(questions), reciprocal / len(questions), tuple(misses))


def result_keys(results: Iterable[dict[str, Any]], channels: dict[str, int]) -> list[set[PostKey]]:
    """Posts behind each `tgassist search --json` result (the post and its collapsed copies)."""
    ranked = []
    for result in results:
        urls = [result["url"], *(other["url"] for other in result.get("also", []))]
        ranked.append({key for url in urls if (key := key_of(url, channels)) is not None})
    return ranked


# --- running it -------------------------------------------------------------------------------


async def import_corpus(data_dir: Path, corpus: Path) -> None:
    """Store and index the corpus for CHAT_ID, unless `data_dir` already holds it."""
    from app.container import build_container
    from app.settings import Settings
    from core.ingest.service import ExportImporter
    from storage.migrate import upgrade_async

    settings = Settings(_env_file=None, data_dir=data_dir, embeddings="none", log_level="WARNING")  # type: ignore[call-arg]
    await upgrade_async(settings.resolved_database_url)
    container = build_container(settings)
    try:
        async with container.uow_factory() as uow:
            tenant = await uow.tenants.by_chat_id(CHAT_ID)
        if tenant is None:
            tenant_id, _ = await container.importer.store(CHAT_ID, ExportImporter.parse([corpus]))
        else:
            tenant_id = tenant.id
        await container.indexer.index_tenant(tenant_id)
    finally:
        await container.close()


async def evaluate_ours(
    data_dir: Path, questions: Sequence[Question], channels: dict[str, int], rounds: int
) -> tuple[Scores, list[float]]:
    """Our search (what `tgassist search` runs): scores, and per-search latencies in ms."""
    from app.container import build_container
    from app.settings import Settings

    settings = Settings(_env_file=None, data_dir=data_dir, embeddings="none", log_level="WARNING")  # type: ignore[call-arg]
    container = build_container(settings)
    try:
        async with container.uow_factory() as uow:
            tenant = await uow.tenants.by_chat_id(CHAT_ID)
        assert tenant is not None
        ranked = []
        for question in questions:  # also warms the shard and caches
            outcome = await container.questions.search(tenant.id, question.text, limit=MRR_AT)
            ranked.append(result_keys([r.to_json() for r in outcome.results], channels))
        latencies = []
        for _ in range(rounds):
            for question in questions:
                started = time.perf_counter()
                await container.questions.search(tenant.id, question.text, limit=HIT_AT)
                latencies.append((time.perf_counter() - started) * 1000)
    finally:
        await container.close()
    return score(ranked, questions), latencies


def evaluate_baseline(corpus: Path, questions: Sequence[Question]) -> Scores:
    """rank-bm25 (BM25Okapi) over lower-cased whitespace tokens of every post."""
    try:
        from rank_bm25 import BM25Okapi
    except ImportError:
        raise SystemExit("the BM25 baseline needs rank-bm25: pip install -e '.[bench]'") from None

    from core.ingest.exports import parse_export

    keys: list[PostKey] = []
    documents: list[list[str]] = []
    for path in sorted(corpus.glob("channel_*.json")):
        for chat in parse_export(path):
            assert chat.info.telegram_id is not None
            for post in chat.posts:
                keys.append((chat.info.telegram_id, post.message_id))
                documents.append(post.text.lower().split())
    bm25 = BM25Okapi(documents)
    ranked = []
    for question in questions:
        scores = bm25.get_scores(question.text.lower().split())
        top = sorted(range(len(scores)), key=lambda i: -scores[i])[:MRR_AT]
        ranked.append([{keys[i]} for i in top])
    return score(ranked, questions)


def percentile(values: Sequence[float], share: float) -> float:
    """The value below which `share` of the values fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def main() -> None:
    """Import (or reuse), evaluate both rankers, print and record the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--data-dir", type=Path, help="reuse (or keep) the imported corpus here")
    parser.add_argument("--rounds", type=int, default=5, help="timed passes over the questions")
    args = parser.parse_args()
    from app.logs import configure_logging

    configure_logging(log_format="console", level="WARNING")
    questions = load_questions()
    channels = url_keys(args.corpus)
    with tempfile.TemporaryDirectory(prefix="tgassist-retrieval-") as scratch:
        data_dir = args.data_dir or Path(scratch)
        started = time.perf_counter()
        asyncio.run(import_corpus(data_dir, args.corpus))
        print(f"corpus ready in {time.perf_counter() - started:.1f} s ({data_dir})")
        ours, latencies = asyncio.run(evaluate_ours(data_dir, questions, channels, args.rounds))
    baseline = evaluate_baseline(args.corpus, questions)
    p50, p95 = statistics.median(latencies), percentile(latencies, 0.95)
    print(f"{len(questions)} questions, {len(latencies)} timed searches")
    print(f"{'ranker':<40} {'hit@5':>6} {'MRR@10':>7}")
    print(f"{'ours (BM25 sparse, Qdrant Edge, lexical)':<40} {ours.hit:>6.3f} {ours.mrr:>7.3f}")
    print(
        f"{'baseline (rank-bm25, whitespace tokens)':<40} {baseline.hit:>6.3f} {baseline.mrr:>7.3f}"
    )
    print(f"search latency p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    for miss in ours.misses:
        print(f"  ours missed: {miss}")
    verdict = "meets" if ours.hit >= TARGET_HIT and ours.hit > baseline.hit else "MISSES"
    latency_verdict = "meets" if p95 < TARGET_P95_MS else "MISSES"
    write_section_text(
        len(questions), len(latencies), ours, baseline, p50, p95, verdict, latency_verdict
    )


def write_section_text(
    count: int,
    searches: int,
    ours: Scores,
    baseline: Scores,
    p50: float,
    p95: float,
    verdict: str,
    latency_verdict: str,
) -> None:
    """Record the figures in docs/BENCHMARKS.md."""
    from bench.report import machine, write_section

    write_section(
        "retrieval",
        "## Retrieval: questions over the shared corpus (`bench/retrieval.py`)\n\n"
        f"Measured on {machine()}; one tenant holding all 22,099 posts, EMBEDDINGS=none (SQLite + "
        f"Qdrant Edge), {count} hand-written paraphrased questions "
        "(`tests/data/retrieval_questions.json`), any listed answering post counts.\n\n"
        "| ranker | hit@5 | MRR@10 | target |\n|---|---|---|---|\n"
        f"| ours: BM25 sparse vector (stemmed ru+en) on Qdrant Edge, albums and cross-posts "
        f"collapsed | {ours.hit:.3f} | {ours.mrr:.3f} | hit@5 ≥ {TARGET_HIT} and above the "
        f"baseline ({verdict}) |\n"
        f"| baseline: rank-bm25 BM25Okapi, lower-cased whitespace tokens | {baseline.hit:.3f} | "
        f"{baseline.mrr:.3f} | — |\n\n"
        f"Search latency (`QuestionService.search`, top 5, {searches} searches after a warm-up "
        f"pass): p50 {p50:.1f} ms, p95 {p95:.1f} ms (target p95 < {TARGET_P95_MS:.0f} ms: "
        f"{latency_verdict}).\n\n"
        "Questions ours misses in the top 5 (words of the answer differ from the question's, "
        "e.g. Lada/Ладой, подорожает/взлетят — what the dense vectors of EMBEDDINGS=local are for; not measured here):\n"
        + "\n".join(f"- {miss}" for miss in ours.misses),
    )


if __name__ == "__main__":
    main()
