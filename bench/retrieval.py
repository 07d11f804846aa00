"""Retrieval quality and latency of every search mode on the shared corpus.

Run (the baseline needs the bench extra: .venv/bin/pip install -e '.[dev,bench]'):
     .venv/bin/python bench/retrieval.py [--corpus PATH] [--data-dir DIR] [--rounds N]
     [--max-tokens 128] [--dense-corpus pool|full]

The questions of tests/data/retrieval_questions.json (hand-written, tuning and held-out splits)
are asked through `QuestionService.search`, the path of `tgassist search` and the bot:

- lexical (BM25 sparse vector) over all 22,099 posts, and the plain rank-bm25 baseline;
- lexical, dense-only and hybrid (the default) over the dense corpus: by default the evaluation
  pool (every post a question lists plus a fixed random sample of 1,500 others, see
  bench/vectors.py), because embedding the whole corpus takes the local model ~20 minutes of
  both cores on a quiet machine (hours on a shared one); `--dense-corpus full` embeds it all.

Vectors come from the product's embed job (EmbeddingService) with a cache under bench/.cache,
so each post is embedded once across runs. Query embedding is timed inside search latency.
Prints hit@1, hit@5 and MRR@10 per split and mode and records them in docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import SHARED_CORPUS

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = SHARED_CORPUS
QUESTIONS = ROOT / "tests" / "data" / "retrieval_questions.json"
CHAT_ID = 42
HIT_AT = 5
MRR_AT = 10
TARGET_HIT = 0.9
TARGET_P95_MS = 50.0

PostKey = tuple[int, int]  # (channel id as in the export, message id)


@dataclass(frozen=True)
class Question:
    """A question, the posts that answer it, its split and kind, and the moment it is asked."""

    text: str
    answers: frozenset[PostKey]
    split: str = "tuning"
    kind: str = "paraphrase"
    as_of: datetime | None = None  # for period filters (7d, 24h): "now" when it is asked


@dataclass(frozen=True)
class Scores:
    """Ranking quality over a question set."""

    hit: float  # share of questions with an answering post in the top HIT_AT
    mrr: float  # mean reciprocal rank of the first answering post within MRR_AT
    misses: tuple[str, ...]
    hit1: float = 0.0  # share with an answering post first


def load_questions(path: Path = QUESTIONS, split: str | None = None) -> list[Question]:
    """The evaluation questions (of one split, or all)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    questions = [
        Question(
            item["question"],
            frozenset((int(c), int(m)) for c, m in item["answers"]),
            item.get("split", "tuning"),
            item.get("kind", "paraphrase"),
            datetime.fromisoformat(item["as_of"]) if item.get("as_of") else None,
        )
        for item in data["questions"]
    ]
    return [q for q in questions if split is None or q.split == split]


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
    hits, firsts, reciprocal, misses = 0, 0, 0.0, []
    for items, question in zip(ranked, questions, strict=True):
        rank = next(
            (n for n, keys in enumerate(items[:MRR_AT], start=1) if keys & question.answers), None
        )
        if rank is not None and rank <= HIT_AT:
            hits += 1
            firsts += rank == 1
        else:
            misses.append(question.text)
        reciprocal += 1.0 / rank if rank else 0.0
    count = len(questions)
    return Scores(hits / count, reciprocal / count, tuple(misses), firsts / count)


def result_keys(results: Iterable[dict[str, Any]], channels: dict[str, int]) -> list[set[PostKey]]:
    """Posts behind each `tgassist search --json` result (the post and its collapsed copies)."""
    ranked = []
    for result in results:
        urls = [result["url"], *(other["url"] for other in result.get("also", []))]
        ranked.append({key for url in urls if (key := key_of(url, channels)) is not None})
    return ranked


# --- running it -------------------------------------------------------------------------------


def bench_settings(data_dir: Path) -> Any:
    """Settings of a bench run: no .env, data under `data_dir`, the index built by the caller."""
    from app.settings import Settings

    return Settings(_env_file=None, data_dir=data_dir, embeddings="none", log_level="WARNING")  # type: ignore[call-arg]


async def import_corpus(data_dir: Path, corpus: Path, sparse: Any = None) -> None:
    """Store and index (lexically) the corpus for CHAT_ID, unless `data_dir` already holds it;
    channels get their public usernames from channels.json, as subscribing would give them."""
    from sqlalchemy import update

    from app.container import build_container
    from core.channels.names import bot_api_channel_id
    from core.ingest.service import ExportImporter
    from storage.index.edge import EdgePostIndex
    from storage.index.sparse import SparseEncoder
    from storage.migrate import upgrade_async
    from storage.models import ChannelRow

    settings = bench_settings(data_dir)
    await upgrade_async(settings.resolved_database_url)
    index = EdgePostIndex(settings.qdrant_path, sparse or SparseEncoder(), None)
    container = build_container(settings, index=index)
    try:
        async with container.uow_factory() as uow:
            tenant = await uow.tenants.by_chat_id(CHAT_ID)
        if tenant is None:
            tenant_id, _ = await container.importer.store(CHAT_ID, ExportImporter.parse([corpus]))
            manifest = json.loads((corpus / "channels.json").read_text(encoding="utf-8"))
            async with container.uow_factory() as uow:
                for entry in manifest:
                    if entry.get("username"):
                        await uow.session.execute(
                            update(ChannelRow)
                            .where(ChannelRow.telegram_id == bot_api_channel_id(int(entry["id"])))
                            .values(username=entry["username"].lower())
                        )
                await uow.commit()
        else:
            tenant_id = tenant.id
        await container.indexer.index_tenant(tenant_id)
    finally:
        await container.close()


def subset_corpus(corpus: Path, keys: set[PostKey], into: Path) -> Path:
    """A copy of the export folder holding only the given posts."""
    into.mkdir(parents=True, exist_ok=True)
    (into / "channels.json").write_text(
        (corpus / "channels.json").read_text(encoding="utf-8"), encoding="utf-8"
    )
    for file in sorted(corpus.glob("channel_*.json")):
        export = json.loads(file.read_text(encoding="utf-8"))
        export["messages"] = [m for m in export["messages"] if (export["id"], m["id"]) in keys]
        (into / file.name).write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    return into


def query_model(max_tokens: int | None) -> Any:
    """The local e5 model (its name says the clip setting the stored vectors were made with)."""
    from storage.index.embeddings import LocalE5Embedder

    return LocalE5Embedder(max_tokens=max_tokens)


async def embed_corpus(data_dir: Path, model: Any, sparse: Any = None) -> Any:
    """Give every post its vector through the product's embed job (vectors from the cache)."""
    from app.container import build_container
    from bench.vectors import CachedEmbedder, VectorCache
    from core.embedding.service import EmbeddingService
    from storage.index.edge import EdgePostIndex
    from storage.index.sparse import SparseEncoder

    cached = CachedEmbedder(model, VectorCache())
    settings = bench_settings(data_dir)
    index = EdgePostIndex(settings.qdrant_path, sparse or SparseEncoder(), cached)
    container = build_container(settings, index=index)
    try:
        service = EmbeddingService(container.uow_factory, index, cached, batch_size=256)
        report = await service.drain()
    finally:
        await container.close()
    return report, cached


async def evaluate(
    data_dir: Path,
    questions: Sequence[Question],
    channels: dict[str, int],
    *,
    model: Any = None,
    ranking: Any = None,
    rounds: int = 0,
    sparse: Any = None,
    index_class: Any = None,
) -> tuple[list[list[set[PostKey]]], list[float]]:
    """Ranked posts per question through `QuestionService.search` with the given model and
    ranking (on `index_class`, an EdgePostIndex by default), and per-search latencies in ms
    over `rounds` timed passes."""
    from app.container import build_container
    from core.rag.service import QuestionService
    from storage.index.common import DEFAULT_RANKING
    from storage.index.edge import EdgePostIndex
    from storage.index.sparse import SparseEncoder

    settings = bench_settings(data_dir)
    index = (index_class or EdgePostIndex)(
        settings.qdrant_path, sparse or SparseEncoder(), model, ranking=ranking or DEFAULT_RANKING
    )
    container = build_container(settings, index=index)
    now = [datetime.now(UTC)]
    service = QuestionService(container.uow_factory, index, clock=lambda: now[0])
    try:
        async with container.uow_factory() as uow:
            tenant = await uow.tenants.by_chat_id(CHAT_ID)
        assert tenant is not None
        # A data directory kept from a run before the sparse scheme changed is re-encoded in
        # the background when opened: measure the scheme of this release, not the old one.
        for _ in range(3000):
            stats = await index.stats(tenant.id)
            if stats is None or not stats.extra.get("sparse_reencoding"):
                break
            await asyncio.sleep(0.2)
        ranked = []
        for question in questions:  # also warms the shard and caches
            now[0] = question.as_of or datetime.now(UTC)
            outcome = await service.search(tenant.id, question.text, limit=MRR_AT)
            ranked.append(result_keys([r.to_json() for r in outcome.results], channels))
        latencies = []
        for _ in range(rounds):
            for question in questions:
                now[0] = question.as_of or datetime.now(UTC)
                started = time.perf_counter()
                await service.search(tenant.id, question.text, limit=HIT_AT)
                latencies.append((time.perf_counter() - started) * 1000)
    finally:
        await container.close()
    return ranked, latencies


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


@dataclass
class ModeResult:
    """One mode over one corpus: scores per split and latencies."""

    corpus: str
    mode: str
    splits: dict[str, Scores]
    latencies: list[float]

    def row(self) -> str:
        """A Markdown table row."""
        held, tune = self.splits["heldout"], self.splits["tuning"]
        p50 = statistics.median(self.latencies) if self.latencies else float("nan")
        p95 = percentile(self.latencies, 0.95) if self.latencies else float("nan")
        return (
            f"| {self.corpus} | {self.mode} | {held.hit1:.3f} | {held.hit:.3f} | {held.mrr:.3f} "
            f"| {tune.hit:.3f} | {tune.mrr:.3f} | {p50:.1f} | {p95:.1f} |"
        )


def by_split(
    ranked: Sequence[list[set[PostKey]]], questions: Sequence[Question]
) -> dict[str, Scores]:
    """Scores of each split."""
    result = {}
    for split in ("tuning", "heldout"):
        chosen = [(r, q) for r, q in zip(ranked, questions, strict=True) if q.split == split]
        result[split] = score([r for r, _ in chosen], [q for _, q in chosen])
    return result


def by_kind(
    ranked: Sequence[list[set[PostKey]]], questions: Sequence[Question]
) -> dict[str, float]:
    """Held-out hit@5 of each kind of question."""
    result = {}
    for kind in sorted({q.kind for q in questions}):
        chosen = [
            (r, q)
            for r, q in zip(ranked, questions, strict=True)
            if q.kind == kind and q.split == "heldout"
        ]
        if chosen:
            result[kind] = score([r for r, _ in chosen], [q for _, q in chosen]).hit
    return result


def main() -> None:
    """Import (or reuse), embed from the cache, evaluate every mode, print and record."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--data-dir", type=Path, help="reuse (or keep) the imported corpora here")
    parser.add_argument("--rounds", type=int, default=3, help="timed passes over the questions")
    parser.add_argument("--max-tokens", type=int, default=128, help="clip of the passages")
    parser.add_argument("--dense-corpus", choices=["pool", "full"], default="pool")
    args = parser.parse_args()
    from app.logs import configure_logging
    from bench.vectors import corpus_texts, evaluation_pool

    configure_logging(log_format="console", level="WARNING")
    questions = load_questions()
    channels = url_keys(args.corpus)
    results: list[ModeResult] = []
    kinds: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="tgassist-retrieval-") as scratch:
        base = args.data_dir or Path(scratch)
        full_dir, pool_dir = base / "full", base / "pool"
        started = time.perf_counter()
        asyncio.run(import_corpus(full_dir, args.corpus))
        print(f"full corpus ready in {time.perf_counter() - started:.1f} s", flush=True)
        ranked, latencies = asyncio.run(evaluate(full_dir, questions, channels, rounds=args.rounds))
        results.append(
            ModeResult("full (22,099)", "lexical", by_split(ranked, questions), latencies)
        )
        kinds["full lexical"] = by_kind(ranked, questions)
        print(results[-1].row(), flush=True)

        if args.dense_corpus == "full":
            dense_dir, label = full_dir, "full (22,099)"
        else:
            texts = corpus_texts(args.corpus)
            pool = evaluation_pool(texts, [k for q in questions for k in sorted(q.answers)])
            subset = subset_corpus(args.corpus, set(pool), base / "pool-corpus")
            asyncio.run(import_corpus(pool_dir, subset))
            dense_dir, label = pool_dir, f"pool ({len(pool):,})"
            ranked, latencies = asyncio.run(
                evaluate(pool_dir, questions, channels, rounds=args.rounds)
            )
            results.append(ModeResult(label, "lexical", by_split(ranked, questions), latencies))
            kinds["pool lexical"] = by_kind(ranked, questions)
            print(results[-1].row(), flush=True)
        model = query_model(args.max_tokens or None)
        report, cached = asyncio.run(embed_corpus(dense_dir, model))
        print(f"dense vectors: {report.embedded} from the job ({cached.computed} computed now)")
        from storage.index.common import Ranking

        for mode in ("dense", "hybrid"):
            ranked, latencies = asyncio.run(
                evaluate(
                    dense_dir,
                    questions,
                    channels,
                    model=model,
                    ranking=Ranking(legs=mode),
                    rounds=args.rounds,
                )
            )
            name = "dense only" if mode == "dense" else "hybrid (default)"
            results.append(ModeResult(label, name, by_split(ranked, questions), latencies))
            kinds[f"{label.split()[0]} {name}"] = by_kind(ranked, questions)
            print(results[-1].row(), flush=True)
    baseline = evaluate_baseline(args.corpus, questions)
    baseline_split = by_split_baseline(args.corpus, questions)
    write_report(questions, results, kinds, baseline_split, args.max_tokens, baseline)


def by_split_baseline(corpus: Path, questions: Sequence[Question]) -> dict[str, Scores]:
    """The rank-bm25 baseline per split."""
    return {
        split: evaluate_baseline(corpus, [q for q in questions if q.split == split])
        for split in ("tuning", "heldout")
    }


def _dense_corpus_note(results: Sequence[ModeResult]) -> str:
    """Which posts the dense modes searched, and why."""
    if all(result.corpus.startswith("full") for result in results):
        return "Every mode searches all 22,099 posts, each with its dense vector.\n\n"
    return (
        "The dense modes run over the evaluation pool (every post a question lists plus a fixed "
        "random sample of 1,500 other posts), not the whole corpus, because embedding 22,099 "
        "posts costs the shared 2-core machine hours (`--dense-corpus full` does it); the "
        "lexical mode is shown on both, so the pool's lexical row is the fair comparison for "
        "the dense rows.\n\n"
    )


def write_report(
    questions: Sequence[Question],
    results: Sequence[ModeResult],
    kinds: dict[str, dict[str, float]],
    baseline: dict[str, Scores],
    max_tokens: int,
    overall: Scores,
) -> None:
    """Print the table and record it in docs/BENCHMARKS.md."""
    from bench.report import machine, write_section

    held = sum(q.split == "heldout" for q in questions)
    header = (
        "| corpus | mode | held-out hit@1 | held-out hit@5 | held-out MRR@10 | tuning hit@5 "
        "| tuning MRR@10 | p50 ms | p95 ms |\n|---|---|---|---|---|---|---|---|---|"
    )
    rows = [result.row() for result in results]
    rows.append(
        f"| full (22,099) | baseline: rank-bm25, whitespace tokens | — | "
        f"{baseline['heldout'].hit:.3f} | {baseline['heldout'].mrr:.3f} | "
        f"{baseline['tuning'].hit:.3f} | {baseline['tuning'].mrr:.3f} | — | — |"
    )
    kind_names = sorted({kind for values in kinds.values() for kind in values})
    kind_rows = [
        f"| {name} | " + " | ".join(f"{values.get(k, float('nan')):.2f}" for k in kind_names) + " |"
        for name, values in kinds.items()
    ]
    table = "\n".join([header, *rows])
    print(table)
    misses = next(r for r in results if r.mode.startswith("hybrid")).splits["heldout"].misses
    write_section(
        "retrieval",
        "## Retrieval: every search mode on the shared corpus (`bench/retrieval.py`)\n\n"
        f"Measured on {machine()} (1-minute load average {os.getloadavg()[0]:.1f} at the end; "
        f"latencies grow with load). {len(questions)} hand-written questions "
        f"(`tests/data/retrieval_questions.json`: {len(questions) - held} tuning, {held} "
        "held-out; paraphrases, other grammatical forms, English questions about Russian posts, "
        "`@channel` and period filters), any listed answering post counts. Searches go through "
        "`QuestionService.search` (what `tgassist search` and the bot run); latency includes "
        f"the query embedding. Dense vectors: local e5 on each post's first {max_tokens} tokens "
        "(chosen in the embedding section below), stored by the embed job.\n\n"
        + _dense_corpus_note(results)
        + f"{table}\n\nHeld-out hit@5 by kind of question:\n\n"
        f"| run | {' | '.join(kind_names)} |\n|---|{'---|' * len(kind_names)}\n"
        + "\n".join(kind_rows)
        + f"\n\nBaseline over all questions: hit@5 {overall.hit:.3f}, MRR@10 {overall.mrr:.3f}."
        + "\n\nHeld-out questions the hybrid mode misses in the top 5:\n"
        + "\n".join(f"- {miss}" for miss in misses),
    )


if __name__ == "__main__":
    main()
