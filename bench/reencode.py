"""Re-encoding an index written by the previous sparse scheme, with search going on.

Run: .venv/bin/python bench/reencode.py [--corpus PATH]

The whole corpus is imported with the stems-only scheme of releases before issue 13 (lexical,
one chat), then the index is opened with the default scheme as a new release would: the held-out
questions are searched over and over (`QuestionService.search`) while the background thread
re-encodes every post from its stored text. Reports the seconds until the shard searches the new
vector, search p50/p95 during and after, and the held-out hit@5 of both phases.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import SHARED_CORPUS, machine, write_section
from bench.retrieval import (
    CHAT_ID,
    HIT_AT,
    bench_settings,
    import_corpus,
    load_questions,
    percentile,
    result_keys,
    score,
    url_keys,
)


async def search_while_reencoding(data_dir: Path, corpus: Path) -> dict[str, Any]:
    """Open the old index with the default scheme; search until re-encoded, then a while more."""
    from app.container import build_container
    from core.rag.service import QuestionService
    from storage.index.edge import EdgePostIndex
    from storage.index.sparse import SparseEncoder

    questions = [q for q in load_questions(split="heldout") if q.as_of is None]
    channels = url_keys(corpus)
    settings = bench_settings(data_dir)
    index = EdgePostIndex(settings.qdrant_path, SparseEncoder(), None)
    container = build_container(settings, index=index)
    service = QuestionService(container.uow_factory, index, clock=lambda: datetime.now(UTC))
    phases: dict[str, dict[str, Any]] = {
        "during": {"latencies": [], "ranked": []},
        "after": {"latencies": [], "ranked": []},
    }
    try:
        async with container.uow_factory() as uow:
            tenant = await uow.tenants.by_chat_id(CHAT_ID)
        assert tenant is not None
        started = time.perf_counter()
        settled: float | None = None
        rounds_after = 0
        while rounds_after < 2:
            phase = "during" if settled is None else "after"
            ranked = []
            for question in questions:
                began = time.perf_counter()
                outcome = await service.search(tenant.id, question.text, limit=HIT_AT)
                phases[phase]["latencies"].append((time.perf_counter() - began) * 1000)
                ranked.append(result_keys([r.to_json() for r in outcome.results], channels))
            if not phases[phase]["ranked"]:
                phases[phase]["ranked"] = ranked  # the first complete pass of the phase
            stats = await index.stats(tenant.id)
            assert stats is not None
            if settled is None and not stats.extra["sparse_reencoding"]:
                settled = time.perf_counter() - started
            elif settled is not None:
                rounds_after += 1
    finally:
        await container.close()
    assert stats is not None
    return {
        "seconds": settled,
        "posts": stats.points_count,
        "vector": stats.extra["sparse"],
        **{
            f"{name} {key}": value
            for name, phase in phases.items()
            for key, value in (
                ("searches", len(phase["latencies"])),
                ("p50", statistics.median(phase["latencies"])),
                ("p95", percentile(phase["latencies"], 0.95)),
                ("hit", score(phase["ranked"], questions).hit if phase["ranked"] else None),
            )
        },
    }


def main() -> None:
    """Import with the old scheme, re-encode under search, print and record."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=SHARED_CORPUS)
    args = parser.parse_args()
    from app.logs import configure_logging
    from storage.index.sparse import SparseEncoder

    configure_logging(log_format="console", level="WARNING")
    with tempfile.TemporaryDirectory(prefix="tgassist-reencode-") as scratch:
        data_dir = Path(scratch) / "data"
        old = SparseEncoder(lemmas=False, headline_repeat=0)
        asyncio.run(import_corpus(data_dir, args.corpus, old))
        figures = asyncio.run(search_while_reencoding(data_dir, args.corpus))
    print(figures)
    load = os.getloadavg()[0]
    f = figures
    hit = "—" if f["during hit"] is None else f"{f['during hit']:.3f}"
    write_section(
        "reencode",
        "## Sparse scheme change: re-encoding an old index (`bench/reencode.py`)\n\n"
        f"Measured on {machine()} (1-minute load average {load:.1f} at the end). All 22,099 "
        f"posts imported with the stems-only scheme (vector `sparse`), then opened with the "
        f"default (`{f['vector']}`): the background thread re-encoded the {f['posts']:,} points "
        f"from their stored text in **{f['seconds']:.1f} s** while the held-out questions "
        "(without a period) were searched over and over through `QuestionService.search`.\n\n"
        "| phase | searches | p50 ms | p95 ms | held-out hit@5 (first pass) |\n"
        "|---|---|---|---|---|\n"
        f"| re-encoding (old vector searched) | {f['during searches']} | {f['during p50']:.1f} | "
        f"{f['during p95']:.1f} | {hit} |\n"
        f"| after (new vector) | {f['after searches']} | {f['after p50']:.1f} | "
        f"{f['after p95']:.1f} | {f['after hit']:.3f} |",
    )


if __name__ == "__main__":
    main()
