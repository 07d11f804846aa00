"""Ranking variants, chosen on the tuning split and reported on the held-out split.

Run: .venv/bin/python bench/ranking.py [--corpus PATH] [--max-tokens 128]
     [--parts schemes,fusion,recency,expansion] [--hybrid-corpus pool|full]

- schemes: lexical variants over all 22,099 posts: Snowball stems (the scheme before issue 13),
  a headline boost (a post's first line counted once more), pymorphy3 lemmas before stemming,
  both (the default since they won on the tuning split).
- fusion: the hybrid mode over the evaluation pool (bench/vectors.py), or with
  `--hybrid-corpus full` over all posts (every vector from the cache), with RRF k = 2, 10, 60
  and the legs weighted equally or the lexical one lighter (0.7 at k = 2, the default), and
  distribution-based score fusion (DBSF, normalised scores).
- recency: a mild prior for newer posts on questions without a period, re-ranking the fused
  candidates by score x (1 + w x 0.5^(age / half-life)), age counted from the newest candidate:
  on "what happened with..." questions only, or on every question without a period.
- expansion: pseudo-relevance feedback from the dense neighbours: the top terms of the k
  nearest posts' sparse vectors are added (weight b) to the lexical query before fusion.

Every variant is scored on the tuning split; the held-out split is shown for the record, and
only a variant that beats the default on tuning without losing elsewhere is worth keeping.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from functools import partial
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

ALL_PARTS = "schemes,fusion,recency,expansion"
DEFAULT_SCHEME = "lemmas + stems + headline boost (default)"
# "What happened with X?" in both languages: the questions a recency prior is meant for.
WHAT_HAPPENED = re.compile(
    r"\b(что\s+(случилось|произошло|происходит|нового|известно)|"
    r"what('s|\s+is)?\s+(happened|happening|new))\b",
    re.IGNORECASE,
)


def encoders() -> dict[str, Any]:
    """The lexical variants."""
    from storage.index.sparse import SparseEncoder

    return {
        "stems (before issue 13)": SparseEncoder(lemmas=False, headline_repeat=0),
        "stems + headline boost": SparseEncoder(lemmas=False, headline_repeat=1),
        "lemmas + stems": SparseEncoder(lemmas=True, headline_repeat=0),
        DEFAULT_SCHEME: SparseEncoder(),
    }


def recency_index(weight: float, half_life_days: float, every_question: bool) -> type:
    """An EdgePostIndex that re-ranks its candidates with a prior for newer posts."""
    from storage.index.edge import EdgePostIndex

    class RecencyIndex(EdgePostIndex):
        def _query(self, shard: Any, text: str, dense: Any, limit: int, filters: Any) -> Any:
            hits = super()._query(shard, text, dense, limit, filters)
            periodic = filters is not None and (filters.since or filters.until)
            if not hits or periodic or not (every_question or WHAT_HAPPENED.search(text)):
                return hits
            newest = max(hit.document.date for hit in hits)

            def boosted(hit: Any) -> float:
                age = (newest - hit.document.date).total_seconds() / 86400
                return float(hit.score) * (1 + weight * 0.5 ** (age / half_life_days))

            return sorted(hits, key=boosted, reverse=True)

    return RecencyIndex


def expansion_index(neighbours: int, terms: int, weight: float) -> type:
    """An EdgePostIndex that adds the top sparse terms of the dense neighbours to the query."""
    from qdrant_edge import Query, QueryRequest, SearchParams

    from core.ports import SearchHit
    from storage.index.common import from_payload
    from storage.index.edge import EdgePostIndex, _filter, _locked, _request
    from storage.index.sparse import SparseTerms

    class Expanded:
        """Quacks like the searched SparseEncoder, with a fixed, expanded query vector."""

        def __init__(self, vector_name: str, query: SparseTerms) -> None:
            self.vector_name = vector_name
            self._query = query

        def query(self, text: str) -> SparseTerms:
            return self._query

    class ExpansionIndex(EdgePostIndex):
        def _query(self, shard: Any, text: str, dense: Any, limit: int, filters: Any) -> Any:
            if dense is None:
                return super()._query(shard, text, dense, limit, filters)
            searched = shard.searched
            name = searched.vector_name
            nearest = QueryRequest(
                neighbours,
                query=Query.Nearest(dense, using=self._dense_name),
                filter=_filter(filters),
                params=SearchParams(exact=True),
                with_vector=[name],
            )
            with _locked(shard):
                top = shard.shard.query(nearest)
            mass: Counter[int] = Counter()
            for point in top:
                vector = (point.vector or {}).get(name)
                if vector is not None:
                    for term, value in zip(vector.indices, vector.values, strict=True):
                        mass[term] += value / neighbours
            base = searched.query(text)
            known = set(base.indices)
            extra = [(t, v) for t, v in mass.most_common() if t not in known][:terms]
            query = SparseTerms(
                [*base.indices, *(t for t, _ in extra)],
                [*base.values, *(weight * v for _, v in extra)],
            )
            request = _request(
                Expanded(name, query),  # type: ignore[arg-type]
                text,
                dense,
                self._dense_name,
                limit,
                _filter(filters),
                self._ranking,
            )
            if request is None:
                return []
            with _locked(shard):
                points = shard.shard.query(request)
            return [SearchHit(p.score, from_payload(p.payload or {})) for p in points]

    return ExpansionIndex


def main() -> None:
    """Score every variant on both splits; print and record."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=SHARED_CORPUS)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--parts", default=ALL_PARTS)
    parser.add_argument("--hybrid-corpus", choices=["pool", "full"], default="pool")
    args = parser.parse_args()
    from app.logs import configure_logging
    from storage.index.common import RRF_K, RRF_WEIGHTS, Ranking

    configure_logging(log_format="console", level="WARNING")
    parts = set(args.parts.split(","))
    questions = load_questions()
    channels = url_keys(args.corpus)
    rows: list[tuple[str, str, Any]] = []

    def record(scope: str, name: str, ranked: Any) -> None:
        rows.append((scope, name, by_split(ranked, questions)))
        splits = rows[-1][2]
        print(
            f"{scope} | {name} | tuning {splits['tuning'].hit:.3f} {splits['tuning'].mrr:.3f}"
            f" | held-out {splits['heldout'].hit:.3f} {splits['heldout'].mrr:.3f}",
            flush=True,
        )

    recency: dict[str, Callable[[], type]] = {
        f"recency w={w} half-life {h} d, {'every question' if every else 'what-happened'}": (
            partial(recency_index, w, h, every)
        )
        for every in (False, True)
        for w, h in ((0.1, 3.0), (0.1, 30.0), (0.3, 3.0), (0.3, 30.0))
    }
    expansion: dict[str, Callable[[], type]] = {
        f"dense expansion k={k} terms={m} weight={b}": partial(expansion_index, k, m, b)
        for k, m, b in ((3, 10, 0.3), (3, 10, 0.6), (5, 10, 0.3), (5, 20, 0.3), (1, 10, 0.3))
    }
    with tempfile.TemporaryDirectory(prefix="tgassist-ranking-") as scratch:
        base = Path(scratch)
        full_default = base / "lexical-default"
        if "schemes" in parts:
            for number, (name, sparse) in enumerate(encoders().items()):
                data_dir = full_default if name == DEFAULT_SCHEME else base / f"lexical-{number}"
                asyncio.run(import_corpus(data_dir, args.corpus, sparse))
                ranked, _ = asyncio.run(evaluate(data_dir, questions, channels, sparse=sparse))
                record("lexical, full corpus", name, ranked)
        if "recency" in parts:
            asyncio.run(import_corpus(full_default, args.corpus))
            for name, make in recency.items():
                ranked, _ = asyncio.run(
                    evaluate(full_default, questions, channels, index_class=make())
                )
                record("lexical, full corpus", name, ranked)
        texts = corpus_texts(args.corpus)
        pool = evaluation_pool(texts, [k for q in questions for k in sorted(q.answers)])
        subset = subset_corpus(args.corpus, set(pool), base / "pool-corpus")
        hybrid = "hybrid, pool"
        if args.hybrid_corpus == "full":
            subset, hybrid = args.corpus, "hybrid, full corpus"
        model = query_model(args.max_tokens or None)
        lexical, dense = RRF_WEIGHTS
        default_fusion = f"RRF k={RRF_K}, lexical weight {lexical} (default)"
        equal = (1.0, dense)  # the weights before: a hair apart so the two leaders never tie
        fusions = {
            default_fusion: Ranking(),
            "RRF k=2, equal weights": Ranking(rrf_weights=equal),
            "RRF k=10, equal weights": Ranking(rrf_k=10, rrf_weights=equal),
            "RRF k=60, equal weights": Ranking(rrf_k=60, rrf_weights=equal),
            "DBSF (normalised scores)": Ranking(fusion="dbsf"),
            # Dense-only ranks better than hybrid: a lighter lexical leg (Qdrant divides a
            # leg's rank by its weight) keeps its exact-word wins and loses some of its noise.
            **{
                f"RRF k={k}, lexical weight {w}": Ranking(rrf_k=k, rrf_weights=(w, dense))
                for k in (2, 10)
                for w in (0.85, 0.7, 0.5, 0.3)
                if (k, w) != (RRF_K, lexical)
            },
        }
        schemes = ("stems (before issue 13)", DEFAULT_SCHEME) if "fusion" in parts else ()
        for sparse_name in dict.fromkeys([*schemes, DEFAULT_SCHEME]):
            sparse = encoders()[sparse_name]
            data_dir = base / f"hybrid-{sparse_name[:6]}"
            asyncio.run(import_corpus(data_dir, subset, sparse))
            asyncio.run(embed_corpus(data_dir, model, sparse))
            for name, ranking in fusions.items() if sparse_name in schemes else ():
                ranked, _ = asyncio.run(
                    evaluate(
                        data_dir, questions, channels, model=model, ranking=ranking, sparse=sparse
                    )
                )
                record(hybrid, f"{name}; {sparse_name}", ranked)
            if sparse_name != DEFAULT_SCHEME:
                continue
            ideas = {
                **(recency if "recency" in parts else {}),
                **(expansion if "expansion" in parts else {}),
            }
            if ideas and "fusion" not in parts:
                ranked, _ = asyncio.run(evaluate(data_dir, questions, channels, model=model))
                record(hybrid, f"{default_fusion}; {DEFAULT_SCHEME}", ranked)
            for name, make in ideas.items():
                ranked, _ = asyncio.run(
                    evaluate(data_dir, questions, channels, model=model, index_class=make())
                )
                record(hybrid, name, ranked)
    table = "\n".join(
        f"| {scope} | {name} | {splits['tuning'].hit:.3f} | {splits['tuning'].mrr:.3f} | "
        f"{splits['heldout'].hit:.3f} | {splits['heldout'].mrr:.3f} |"
        for scope, name, splits in rows
    )
    print(table)
    if parts != set(ALL_PARTS.split(",")):
        return  # a partial run does not replace the recorded table
    write_section(
        "ranking",
        "## Ranking variants (`bench/ranking.py`)\n\n"
        f"Measured on {machine()}. Chosen on the tuning split, held-out shown for the record. "
        "Lexical variants over all 22,099 posts; variants of the hybrid mode over "
        + (
            "all 22,099 posts, each with its dense vector.\n\n"
            if args.hybrid_corpus == "full"
            else "the evaluation pool (see the retrieval section).\n\n"
        )
        + "| search | variant | tuning hit@5 | tuning MRR@10 | held-out hit@5 | held-out MRR@10 |\n"
        "|---|---|---|---|---|---|\n" + table,
    )


if __name__ == "__main__":
    main()
