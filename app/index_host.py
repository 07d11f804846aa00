"""One process holds the embedded index; answer workers on the same machine use it over a socket.

A Qdrant Edge shard can be open in one process only (its WAL is locked), so with
`tgassist bot --workers N` the parent process opens the shards (`IndexHost`) and every worker
talks to it through `RemoteIndex`, a `PostIndex` whose calls travel over a Unix socket in a
directory only this user can read (frames of pickled calls and results: both ends are this
program, run by the same user). A Qdrant server (`QDRANT_URL`) needs none of this: every worker
connects to it directly.
"""

from __future__ import annotations

import asyncio
import itertools
import pickle
import struct
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import structlog

from core.errors import IndexUnavailable
from core.ports import CollectionStats, IndexDocument, PostIndex, SearchFilter, SearchHit

log = structlog.get_logger(__name__)

_LENGTH = struct.Struct("!I")
# What a worker may call: the PostIndex methods, never close (the host closes the index).
_METHODS = frozenset({"stats", "upsert", "set_vectors", "delete_channel", "delete_posts", "search"})


def write_frame(writer: asyncio.StreamWriter, payload: bytes) -> None:
    """Queue one length-prefixed frame."""
    writer.write(_LENGTH.pack(len(payload)) + payload)


async def read_frame(reader: asyncio.StreamReader) -> bytes | None:
    """The next frame, or None at the end of the stream."""
    try:
        head = await reader.readexactly(_LENGTH.size)
        return await reader.readexactly(_LENGTH.unpack(head)[0])
    except asyncio.IncompleteReadError:
        return None


class IndexHost:
    """Serves one `PostIndex` to the workers on a Unix socket."""

    def __init__(self, index: PostIndex, path: Path) -> None:
        self._index = index
        self._path = path
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Listen on the socket."""
        self._server = await asyncio.start_unix_server(self._serve, path=str(self._path))

    async def stop(self) -> None:
        """Stop listening and finish the calls in progress (the index itself stays open)."""
        if self._server is not None:
            self._server.close()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        lock = asyncio.Lock()
        try:
            while (frame := await read_frame(reader)) is not None:
                task = asyncio.create_task(self._answer(frame, writer, lock))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        finally:
            writer.close()

    async def _answer(self, frame: bytes, writer: asyncio.StreamWriter, lock: asyncio.Lock) -> None:
        call_id, method, args, kwargs = pickle.loads(frame)  # noqa: S301 - our own worker
        try:
            if method not in _METHODS:
                raise IndexUnavailable(f"no index method {method!r}")
            result: Any = await getattr(self._index, method)(*args, **kwargs)
            reply = pickle.dumps((call_id, True, result))
        except Exception as error:  # the worker raises it where the call was made
            try:
                reply = pickle.dumps((call_id, False, error))
            except Exception:  # an exception that does not pickle: its message does
                reply = pickle.dumps((call_id, False, IndexUnavailable(str(error))))
        async with lock:
            if writer.is_closing():
                return
            write_frame(writer, reply)
            try:
                await writer.drain()
            except ConnectionError:
                log.warning("index_host_worker_gone", method=method)


class RemoteIndex:
    """`PostIndex` whose calls run in the process holding the index (`IndexHost`)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count(1)
        self._lock = asyncio.Lock()

    async def connect(self) -> None:
        """Open the connection to the host."""
        reader, self._writer = await asyncio.open_unix_connection(str(self._path))
        self._reader_task = asyncio.create_task(self._read(reader))

    async def _read(self, reader: asyncio.StreamReader) -> None:
        try:
            while (frame := await read_frame(reader)) is not None:
                call_id, ok, value = pickle.loads(frame)  # noqa: S301 - our own parent
                future = self._pending.pop(call_id, None)
                if future is None or future.done():
                    continue  # the caller was cancelled meanwhile
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(IndexUnavailable("the index process is gone"))
            self._pending.clear()

    async def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        writer = self._writer
        if writer is None or writer.is_closing():
            raise IndexUnavailable("the post index is closed")
        call_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[call_id] = future
        try:
            async with self._lock:
                write_frame(writer, pickle.dumps((call_id, method, args, kwargs)))
                await writer.drain()
        except ConnectionError as error:
            self._pending.pop(call_id, None)
            raise IndexUnavailable("the index process is gone") from error
        try:
            return await future
        finally:
            self._pending.pop(call_id, None)

    async def stats(self, tenant_id: int) -> CollectionStats | None:
        """See `PostIndex.stats`."""
        result: CollectionStats | None = await self._call("stats", tenant_id)
        return result

    async def upsert(
        self,
        tenant_id: int,
        documents: Sequence[IndexDocument],
        vectors: Mapping[int, Sequence[float]] | None = None,
    ) -> None:
        """See `PostIndex.upsert`."""
        await self._call("upsert", tenant_id, list(documents), dict(vectors or {}) or None)

    async def set_vectors(
        self, tenant_id: int, vectors: Sequence[tuple[int, Sequence[float]]]
    ) -> int:
        """See `PostIndex.set_vectors`."""
        held: int = await self._call("set_vectors", tenant_id, list(vectors))
        return held

    async def delete_channel(self, tenant_id: int, channel_id: int) -> None:
        """See `PostIndex.delete_channel`."""
        await self._call("delete_channel", tenant_id, channel_id)

    async def delete_posts(self, tenant_id: int, point_ids: Sequence[int]) -> None:
        """See `PostIndex.delete_posts`."""
        await self._call("delete_posts", tenant_id, list(point_ids))

    async def search(
        self,
        tenant_id: int,
        query: str,
        *,
        limit: int = 10,
        filters: SearchFilter | None = None,
    ) -> list[SearchHit]:
        """See `PostIndex.search`."""
        hits: list[SearchHit] = await self._call(
            "search", tenant_id, query, limit=limit, filters=filters
        )
        return hits

    async def close(self) -> None:
        """Close the connection (the host keeps the index open for the others)."""
        if self._writer is not None:
            self._writer.close()
        if self._reader_task is not None:
            await asyncio.gather(self._reader_task, return_exceptions=True)
