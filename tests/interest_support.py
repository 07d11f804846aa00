"""Helpers for the interests and DLQ tests: questions in the log, a profiler that fails on cue,
and a private redis-server that a test may kill or pause."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from typing import Any

import pytest

from core.interests.service import InterestProfiler
from core.models import SourceKind
from core.rag.ports import QuestionRecord
from storage.repositories import UnitOfWorkFactory
from tests.services import free_port


async def ask(
    uow_factory: UnitOfWorkFactory,
    tenant_id: int,
    user_id: int,
    text: str,
    *,
    at: datetime | None = None,
    channels: Sequence[int] = (),
) -> int:
    """Record a question in the log as the question service would; returns its id."""
    async with uow_factory() as uow:
        question_id = await uow.questions.add(
            QuestionRecord(
                tenant_id=tenant_id,
                user_id=user_id,
                text=text,
                status="answered",
                mode="extractive",
                source_channel_ids=list(channels),
                created_at=at,
            )
        )
        await uow.commit()
    return question_id


async def make_channel(uow_factory: UnitOfWorkFactory, username: str) -> int:
    """A stored channel; returns its id."""
    async with uow_factory() as uow:
        channel = await uow.channels.create(
            username=username,
            title=username.title(),
            source=SourceKind.WEB_PREVIEW,
            telegram_id=None,
        )
        await uow.commit()
    return channel.id


class FailingProfiler(InterestProfiler):
    """A real profiler that raises for the questions of chosen users (and can run a hook first)."""

    def __init__(
        self,
        failing: set[int],
        *,
        before_failure: Callable[[int], None] | None = None,
        message: str = "profile store rejected user {user}",
    ):
        super().__init__()
        self.failing = failing
        self.before_failure = before_failure
        self.message = message
        self.failures: list[int] = []

    def build(self, questions: Sequence[QuestionRecord], *args: Any, **kwargs: Any) -> Any:
        """Raise for a failing user, else compute the profile."""
        users = {question.user_id for question in questions}
        for user in sorted(u for u in users if u is not None):
            if user in self.failing:
                if self.before_failure is not None:
                    self.before_failure(user)
                self.failures.append(user)
                raise RuntimeError(self.message.format(user=user))
        return super().build(questions, *args, **kwargs)


class OwnRedis:
    """A private redis-server process on a free port (never the machine's Redis)."""

    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self.process = process
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"

    def kill(self) -> None:
        """Stop it for good (SIGKILL) and wait until it is gone."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def pause(self) -> None:
        """Freeze it (SIGSTOP): connections stay open, nothing answers."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        """Let a paused server go on (SIGCONT)."""
        os.kill(self.process.pid, signal.SIGCONT)


@contextmanager
def own_redis() -> Iterator[OwnRedis]:
    """Start `redis-server --port <free> --save '' --appendonly no`; killed afterwards."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = OwnRedis(process, port)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)
        yield server
    finally:
        if process.poll() is None:
            with suppress(ProcessLookupError):
                server.resume()
            server.kill()


async def stream_entries(url: str, stream: str) -> list[dict[str, str]]:
    """The raw fields of every entry of a Redis stream, oldest first."""
    import redis.asyncio as redis

    client = redis.from_url(url, decode_responses=True)
    try:
        rows: list[Any] = list(await client.xrange(stream) or [])
        return [dict(fields) for _id, fields in rows]
    finally:
        await client.aclose()


async def wait_closed(server: OwnRedis) -> None:
    """Let the event loop notice a killed server."""
    await asyncio.sleep(0)
    assert server.process.poll() is not None
