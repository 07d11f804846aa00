"""Dense vectors of the shared corpus, computed once per setting and kept under bench/.cache.

Embedding all 22,099 posts costs the local model about 20 minutes of both cores, so every
benchmark reads vectors from here and computes only what is missing (then stores it).

Run: .venv/bin/python bench/vectors.py [--max-tokens 512] [--all] [--threads 1]
fills the cache for one setting: the posts of the evaluation pool first (every post a question
lists plus a fixed random sample of the corpus), then, with --all, the rest of the corpus.
Runs at the lowest CPU priority (nice 19): the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import SHARED_CORPUS
from core.embedding.models import text_hash

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / ".cache"
DEFAULT_CORPUS = SHARED_CORPUS
SAMPLE = 1500  # random posts added to the evaluation pool, so dense search has distractors
CHUNK = 64

PostKey = tuple[int, int]


def corpus_texts(corpus: Path) -> dict[PostKey, str]:
    """Every post's text as the product indexes it, by (channel id, message id)."""
    from core.ingest.exports import parse_export

    texts: dict[PostKey, str] = {}
    for path in sorted(corpus.glob("channel_*.json")):
        for chat in parse_export(path):
            assert chat.info.telegram_id is not None
            for post in chat.posts:
                texts[(chat.info.telegram_id, post.message_id)] = post.text
    return texts


def evaluation_pool(texts: dict[PostKey, str], answers: Sequence[PostKey]) -> list[PostKey]:
    """The posts questions list, then a fixed random sample of the others."""
    pool = list(dict.fromkeys(key for key in answers if key in texts))
    rest = sorted(set(texts) - set(pool))
    pool += random.Random(13).sample(rest, min(SAMPLE, len(rest)))
    return pool


class VectorCache:
    """Passage vectors of one model by the hash of the text the model was given (a post clipped
    to its first N tokens, or whole), so clip settings share the vectors of short posts."""

    def __init__(self, setting: str = "e5-small-q4") -> None:
        self.directory = CACHE / f"vectors-{setting}"
        self.vectors: dict[str, np.ndarray] = {}
        self.directory.mkdir(parents=True, exist_ok=True)
        # The first fill keyed whole texts of at most 512 tokens: the same keys.
        for path in sorted(CACHE.glob(f"vectors-{setting}*/*.npz")):
            with np.load(path) as chunk:
                for digest, vector in zip(chunk["hashes"], chunk["vectors"], strict=True):
                    self.vectors.setdefault(str(digest), vector)

    def get(self, text: str) -> np.ndarray | None:
        """The cached vector of a text."""
        return self.vectors.get(text_hash(text))

    def add(self, texts: Sequence[str], vectors: Sequence[Sequence[float]]) -> None:
        """Store new vectors (one file per call)."""
        hashes = [text_hash(text) for text in texts]
        array = np.asarray(vectors, dtype=np.float32)
        name = f"{time.time_ns()}-{os.getpid()}.npz"
        np.savez(self.directory / name, hashes=np.asarray(hashes), vectors=array)
        self.vectors.update(zip(hashes, array, strict=True))


class CachedEmbedder:
    """An embedder that answers passages from the cache and computes (and caches) the rest;
    queries go to the model. Counts the passages asked for and those computed."""

    def __init__(self, model: object, cache: VectorCache) -> None:
        self._model = model
        self._cache = cache
        self.dim: int = model.dim  # type: ignore[attr-defined]
        self.name: str = model.name  # type: ignore[attr-defined]
        self.computed = 0
        self.passage_calls = 0

    async def embed_passages(
        self, texts: Sequence[str], *, threads: int | None = None
    ) -> list[list[float]]:
        """Cached vectors, computing the missing ones."""
        self.passage_calls += len(texts)
        inputs = {self._key(text): self._model.clip(text) for text in texts}  # type: ignore[attr-defined]
        missing = [key for key in inputs if self._cache.get(key) is None]
        if missing:
            vectors = await self._model.embed_passages(  # type: ignore[attr-defined]
                [inputs[key] for key in missing], threads=threads
            )
            self._cache.add(missing, vectors)
            self.computed += len(missing)
        return [self._cache.get(self._key(text)).tolist() for text in texts]  # type: ignore[union-attr]

    def missing(self, text: str) -> bool:
        """Whether the cache lacks this passage's vector."""
        return self._cache.get(self._key(text)) is None

    def _key(self, text: str) -> str:
        """What the model is given; a whole text longer than the first fill's 512-token clip is
        marked, so it never takes that fill's clipped vector."""
        clipped: str = self._model.clip(text)  # type: ignore[attr-defined]
        if self._model.max_tokens is None and self._model.count(clipped) > 512:  # type: ignore[attr-defined]
            return "whole:" + clipped
        return clipped

    async def embed_query(self, text: str) -> list[float]:
        """The model's query vector."""
        vector: list[float] = await self._model.embed_query(text)  # type: ignore[attr-defined]
        return vector


async def fill(
    keys: Sequence[PostKey], texts: dict[PostKey, str], max_tokens: int | None, threads: int | None
) -> None:
    """Compute the vectors the cache lacks for these posts, printing progress."""
    from storage.index.embeddings import LocalE5Embedder

    model = LocalE5Embedder(max_tokens=max_tokens)
    cached = CachedEmbedder(model, VectorCache())
    todo = [texts[key] for key in keys if texts[key].strip()]
    todo = [text for text in dict.fromkeys(todo) if cached.missing(text)]
    print(f"{model.name}: {len(todo)} posts to embed", flush=True)
    started = time.perf_counter()
    for start in range(0, len(todo), CHUNK):
        batch = todo[start : start + CHUNK]
        await cached.embed_passages(batch, threads=threads)
        done = start + len(batch)
        rate = done / (time.perf_counter() - started)
        print(f"  {done}/{len(todo)} ({rate:.1f} posts/s)", flush=True)


def main() -> None:
    """Fill the cache for one setting."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--max-tokens", type=int, default=128, help="0 = the whole text")
    parser.add_argument("--all", action="store_true", help="the whole corpus after the pool")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    os.nice(19)
    from bench.retrieval import load_questions

    texts = corpus_texts(args.corpus)
    answers = [key for question in load_questions() for key in sorted(question.answers)]
    keys = evaluation_pool(texts, answers)
    if args.all:
        keys += sorted(set(texts) - set(keys))
    asyncio.run(fill(keys, texts, args.max_tokens or None, args.threads))


if __name__ == "__main__":
    main()
