"""Ranking variants, chosen on the tuning split and reported on the held-out split.

Run: .venv/bin/python bench/ranking.py [--corpus PATH] [--max-tokens 512]

Lexical variants over all 22,099 posts: Snowball stems (the default), a headline boost (a post's
first line counted once more), pymorphy3 lemmas before stemming, both. Fusion variants of the
hybrid mode over the evaluation pool (bench/vectors.py): RRF with k = 2 (the default), 10, 60,
and distribution-based score fusion (DBSF, normalised scores). Every variant is scored on the
tuning split; the held-out split is shown for the record, and only a variant that beats the
default on tuning and holds on held-out is worth keeping.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
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


def encoders() -> dict[str, Any]:
    """The lexical variants."""
    from storage.index.sparse import SparseEncoder

    return {
        "stems (default)": SparseEncoder(),
        "stems + headline boost": SparseEncoder(headline_repeat=1),
        "lemmas + stems": SparseEncoder(lemmas=True),
        "lemmas + stems + headline boost": SparseEncoder(lemmas=True, headline_repeat=1),
    }


def main() -> None:
    """Score every variant on both splits; print and record."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=SHARED_CORPUS)
    parser.add_argument("--max-tokens", type=int, default=128)
    args = parser.parse_args()
    from app.logs import configure_logging
    from storage.index.common import Ranking

    configure_logging(log_format="console", level="WARNING")
    questions = load_questions()
    channels = url_keys(args.corpus)
    rows: list[tuple[str, str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="tgassist-ranking-") as scratch:
        base = Path(scratch)
        for number, (name, sparse) in enumerate(encoders().items()):
            data_dir = base / f"lexical-{number}"
            asyncio.run(import_corpus(data_dir, args.corpus, sparse))
            ranked, _ = asyncio.run(evaluate(data_dir, questions, channels, sparse=sparse))
            rows.append(("lexical, full corpus", name, by_split(ranked, questions)))
            print(rows[-1][1], rows[-1][2]["tuning"].hit, rows[-1][2]["heldout"].hit, flush=True)
        texts = corpus_texts(args.corpus)
        pool = evaluation_pool(texts, [k for q in questions for k in sorted(q.answers)])
        subset = subset_corpus(args.corpus, set(pool), base / "pool-corpus")
        model = query_model(args.max_tokens or None)
        fusions = {
            "RRF k=2 (default)": Ranking(),
            "RRF k=10": Ranking(rrf_k=10),
            "RRF k=60": Ranking(rrf_k=60),
            "DBSF (normalised scores)": Ranking(fusion="dbsf"),
        }
        for sparse_name in ("stems (default)", "lemmas + stems + headline boost"):
            sparse = encoders()[sparse_name]
            data_dir = base / f"pool-{sparse_name[:6]}"
            asyncio.run(import_corpus(data_dir, subset, sparse))
            asyncio.run(embed_corpus(data_dir, model, sparse))
            for name, ranking in fusions.items():
                ranked, _ = asyncio.run(
                    evaluate(
                        data_dir, questions, channels, model=model, ranking=ranking, sparse=sparse
                    )
                )
                label = f"{name}; {sparse_name}"
                rows.append(("hybrid, pool", label, by_split(ranked, questions)))
                print(label, rows[-1][2]["tuning"].hit, rows[-1][2]["heldout"].hit, flush=True)
    table = "\n".join(
        f"| {scope} | {name} | {splits['tuning'].hit:.3f} | {splits['tuning'].mrr:.3f} | "
        f"{splits['heldout'].hit:.3f} | {splits['heldout'].mrr:.3f} |"
        for scope, name, splits in rows
    )
    print(table)
    write_section(
        "ranking",
        "## Ranking variants (`bench/ranking.py`)\n\n"
        f"Measured on {machine()}. Chosen on the tuning split, held-out shown for the record. "
        "Lexical variants over all 22,099 posts; fusion variants of the hybrid mode over the "
        "evaluation pool (see the retrieval section).\n\n"
        "| search | variant | tuning hit@5 | tuning MRR@10 | held-out hit@5 | held-out MRR@10 |\n"
        "|---|---|---|---|---|---|\n" + table,
    )


if __name__ == "__main__":
    main()
