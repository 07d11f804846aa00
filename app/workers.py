"""`tgassist bot|run --workers N`: webhook updates answered by N processes on one machine.

One receiver, N answer workers:

- The parent process binds the webhook port once, checks each call's secret, and hands the
  update to worker `i` chosen from its conversation: the chat, and the topic in forum groups
  (`ordering_key`). Every update of one conversation goes to the same worker, which handles them
  one after another in the order they arrived; different conversations run concurrently.
  So replies in a chat keep the order of its messages, as with one process.
- The parent also holds what only one process may: the embedded index (Qdrant Edge shards are
  locked by the process that opens them), served to the workers by `app.index_host`, and with
  `run` the scheduled jobs (run once, in the parent; job leases keep other processes off them).
- Workers are `python -m app.workers --number i --sockets DIR`: the whole bot (container,
  Dispatcher, Bot) without the HTTP server. Updates reach them over a Unix socket in a private
  temporary directory. A worker that dies stops the whole group (exit code 1), so a supervisor
  (systemd, Docker) restarts it; SIGTERM/SIGINT to the parent stops taking calls, lets each
  worker finish what it was given, and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import json
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Mapping
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import structlog
from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiohttp import web

from app.index_host import IndexHost, RemoteIndex, read_frame, write_frame
from app.settings import Settings, reveal
from app.webhook import SECRET_HEADER

log = structlog.get_logger(__name__)

# Updates one worker handles at once (over all its conversations): more would only wait for a
# database connection (the pool holds 15 on SQLite), and time out there under overload.
MAX_IN_PROGRESS = 16
UPDATES_SOCKET = "updates.sock"
INDEX_SOCKET = "index.sock"
# Update fields whose value carries the chat (message-like) or the chat directly.
_MESSAGE_FIELDS = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_message",
    "edited_business_message",
)
_CHAT_FIELDS = ("my_chat_member", "chat_member", "chat_join_request", "message_reaction")


def ordering_key(update: Mapping[str, Any]) -> tuple[int, int]:
    """The conversation an update belongs to: (chat id, forum topic or 0).

    Updates without a chat (inline queries, ...) belong to their sender; failing that, each is its
    own conversation.
    """
    for name in _MESSAGE_FIELDS:
        message = update.get(name)
        if isinstance(message, Mapping):
            return _chat_and_topic(message)
    callback = update.get("callback_query")
    if isinstance(callback, Mapping):
        message = callback.get("message")
        if isinstance(message, Mapping):
            return _chat_and_topic(message)
        return _sender(callback, update)
    for name in _CHAT_FIELDS:
        event = update.get(name)
        if isinstance(event, Mapping) and isinstance(event.get("chat"), Mapping):
            return _int(event["chat"].get("id")), 0
    for value in update.values():
        if isinstance(value, Mapping):
            return _sender(value, update)
    return _int(update.get("update_id")), 0


def _chat_and_topic(message: Mapping[str, Any]) -> tuple[int, int]:
    chat = message.get("chat")
    chat_id = _int(chat.get("id")) if isinstance(chat, Mapping) else 0
    topic = _int(message.get("message_thread_id")) if message.get("is_topic_message") else 0
    return chat_id, topic


def _sender(event: Mapping[str, Any], update: Mapping[str, Any]) -> tuple[int, int]:
    sender = event.get("from")
    if isinstance(sender, Mapping) and "id" in sender:
        return _int(sender["id"]), 0
    return _int(update.get("update_id")), 0


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def worker_for(key: tuple[int, int], workers: int) -> int:
    """Which of `workers` handles this conversation (the same one every time)."""
    chat, topic = key
    return (chat * 1_000_003 + topic) % workers


# -- the parent: receiver, index host, jobs, supervisor ------------------------------------------


class _Outbox:
    """Updates waiting for one worker, written to its socket in arrival order."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.connected = asyncio.Event()
        self.writer: asyncio.StreamWriter | None = None

    async def pump(self) -> None:
        await self.connected.wait()
        assert self.writer is not None
        try:
            while (update := await self.queue.get()) is not None:
                write_frame(self.writer, update)
                await self.writer.drain()
            self.writer.write_eof()  # the worker finishes what it was given, then exits
            await self.writer.drain()
        except ConnectionError:  # the worker died: its watcher stops the group
            log.warning("worker_connection_lost", waiting=self.queue.qsize())


async def run_workers(settings: Settings, workers: int, *, with_jobs: bool) -> int:
    """Serve the webhook with `workers` answer processes until SIGINT/SIGTERM; the exit code."""
    from app.runner import build_fsm_storage, prepare, start_jobs, start_services
    from app.webhook import webhook_settings_error
    from bot.app import create_dispatcher, set_commands

    error = webhook_settings_error(settings)
    secret = reveal(settings.webhook_secret)
    if error or not settings.webhook_url or not secret:
        raise ValueError(error or "--workers needs webhook mode: WEBHOOK_URL and WEBHOOK_SECRET")
    container = await prepare(settings)  # migrates once, before any worker starts
    sockets = Path(tempfile.mkdtemp(prefix="tgassist-workers-"))  # mode 0700
    outboxes = [_Outbox() for _ in range(workers)]
    stop = asyncio.Event()
    code = 0
    async with AsyncExitStack() as stack:
        stack.callback(shutil.rmtree, sockets, ignore_errors=True)
        bot = await start_services(stack, container, settings)
        host: IndexHost | None = None
        if not settings.qdrant_url:  # embedded shards: this process holds them for all
            host = IndexHost(container.index, sockets / INDEX_SOCKET)
            await host.start()
            stack.push_async_callback(host.stop)
        if with_jobs:
            start_jobs(stack, container, settings, bot)

        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            hello = await read_frame(reader)
            number = int(hello or b"-1")
            if not 0 <= number < workers or outboxes[number].connected.is_set():
                writer.close()
                return
            outboxes[number].writer = writer
            outboxes[number].connected.set()

        updates_server = await asyncio.start_unix_server(accept, path=str(sockets / UPDATES_SOCKET))
        stack.callback(updates_server.close)
        pumps = [asyncio.create_task(outbox.pump()) for outbox in outboxes]
        processes = [await _spawn(number, sockets) for number in range(workers)]

        async def watch(number: int, process: asyncio.subprocess.Process) -> None:
            status = await process.wait()
            if not stop.is_set():
                log.error("worker_exited", worker=number, code=status, action="stopping all")
                stop.set()

        watchers = [
            asyncio.create_task(watch(number, process)) for number, process in enumerate(processes)
        ]
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)

        def deliver(update: bytes, key: tuple[int, int]) -> None:
            outboxes[worker_for(key, workers)].queue.put_nowait(update)

        app = web.Application()
        app.router.add_post(settings.resolved_webhook_path, _receiver(secret, deliver))
        runner = web.AppRunner(app, access_log=None)  # the access log would print the path
        await runner.setup()
        try:
            site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
            await site.start()
            fsm_storage = build_fsm_storage(settings)
            stack.push_async_callback(fsm_storage.close)
            dispatcher = create_dispatcher(  # only to learn which update types are used
                container.uow_factory, fsm_storage=fsm_storage, **container.handler_services()
            )
            await set_commands(bot, settings.admin_ids)
            await bot.set_webhook(
                settings.webhook_url.rstrip("/") + settings.resolved_webhook_path,
                secret_token=secret,
                allowed_updates=dispatcher.resolve_used_update_types(),
            )
            log.info("webhook_started", port=int(runner.addresses[0][1]), workers=workers)
            await stop.wait()
            if any(process.returncode is not None for process in processes):
                code = 1
        finally:
            await runner.cleanup()  # no more calls taken; then each worker drains its queue
            for outbox in outboxes:
                outbox.queue.put_nowait(None)
            await _stop_processes(processes, pumps)
            for watcher in watchers:
                watcher.cancel()
    log.info("stopped", workers=workers)
    return code


def _receiver(secret: str, deliver: Any) -> Any:
    expected = secret.encode()

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, expected):
            return web.Response(status=401)
        body = await request.read()
        try:
            update = json.loads(body)
        except ValueError:
            return web.Response(status=400)
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            return web.Response(status=400)
        deliver(body, ordering_key(update))
        return web.Response()

    return receive


async def _spawn(number: int, sockets: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app.workers", "--number", str(number), "--sockets", str(sockets)
    )


async def _stop_processes(
    processes: list[asyncio.subprocess.Process], pumps: list[asyncio.Task[None]]
) -> None:
    """Let the workers drain (their update streams end), then wait; kill what hangs."""
    for pump, process in zip(pumps, processes, strict=True):
        if process.returncode is not None:
            pump.cancel()  # nobody reads it any more
    await asyncio.wait(pumps, timeout=30)
    for pump, process in zip(pumps, processes, strict=True):
        if not pump.done():  # the worker never connected or stopped reading
            pump.cancel()
            if process.returncode is None:
                process.terminate()
    try:
        await asyncio.wait_for(asyncio.gather(*(p.wait() for p in processes)), timeout=60)
    except TimeoutError:
        for process in processes:
            if process.returncode is None:
                log.error("worker_killed", pid=process.pid)
                process.kill()
        await asyncio.gather(*(p.wait() for p in processes))


# -- a worker ------------------------------------------------------------------------------------


class _Conversations:
    """Handles each conversation's updates one after another; conversations run concurrently."""

    def __init__(self, dispatcher: Dispatcher, bot: Bot) -> None:
        self._dispatcher = dispatcher
        self._bot = bot
        self._queues: dict[tuple[int, int], asyncio.Queue[dict[str, Any]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(MAX_IN_PROGRESS)

    def add(self, update: dict[str, Any]) -> None:
        key = ordering_key(update)
        queue = self._queues.get(key)
        if queue is not None:
            queue.put_nowait(update)
            return
        queue = asyncio.Queue()
        queue.put_nowait(update)
        self._queues[key] = queue
        task = asyncio.create_task(self._run(key, queue))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, key: tuple[int, int], queue: asyncio.Queue[dict[str, Any]]) -> None:
        while not queue.empty():  # no await between the check and the removal below
            await self._handle(queue.get_nowait())
        del self._queues[key]

    async def _handle(self, raw: dict[str, Any]) -> None:
        async with self._slots:
            await self._handle_now(raw)

    async def _handle_now(self, raw: dict[str, Any]) -> None:
        try:
            update = Update.model_validate(raw, context={"bot": self._bot})
            response = await self._dispatcher.feed_update(self._bot, update)
            if isinstance(response, TelegramMethod):
                await self._dispatcher.silent_call_request(bot=self._bot, result=response)
        except Exception:  # one update's failure never stops its conversation
            log.exception("update_failed", update_id=raw.get("update_id"))

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


async def serve_worker(settings: Settings, number: int, sockets: Path) -> int:
    """One answer worker: take updates from the parent until it ends the stream (or a signal)."""
    from app.container import build_container
    from app.runner import build_fsm_storage, connect_bot
    from bot.app import create_bot, create_dispatcher
    from bot.middlewares.rate_limit_counter import RateLimitCounter

    structlog.contextvars.bind_contextvars(worker=number)
    # Ctrl-C reaches the whole process group: the parent decides, then ends our update stream.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    remote = None if settings.qdrant_url else RemoteIndex(sockets / INDEX_SOCKET)
    if remote is not None:
        await remote.connect()
    container = build_container(settings, index=remote)
    async with AsyncExitStack() as stack:
        stack.push_async_callback(container.close)
        bot = create_bot(reveal(settings.bot_token) or "", settings.telegram_api_base)
        stack.push_async_callback(bot.session.close)
        connect_bot(container, bot)
        container.background_indexer.start()  # the parent resumes what earlier runs left
        bot.session.middleware(RateLimitCounter(container.metrics))
        fsm_storage = build_fsm_storage(settings)
        stack.push_async_callback(fsm_storage.close)
        dispatcher = create_dispatcher(
            container.uow_factory, fsm_storage=fsm_storage, **container.handler_services()
        )
        conversations = _Conversations(dispatcher, bot)
        reader, writer = await asyncio.open_unix_connection(str(sockets / UPDATES_SOCKET))
        write_frame(writer, str(number).encode())
        await writer.drain()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)

        async def read() -> None:
            while (frame := await read_frame(reader)) is not None:
                conversations.add(json.loads(frame))

        log.info("worker_started", pid=os.getpid())
        reading = asyncio.create_task(read())
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({reading, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            reading.cancel()
            stopping.cancel()
            writer.close()
            await conversations.drain()
    log.info("worker_stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of a worker process (started by `run_workers`)."""
    from app.commands.common import load_settings
    from app.memory import limit_malloc_arenas

    limit_malloc_arenas()  # before any thread starts

    parser = argparse.ArgumentParser(prog="tgassist-worker")
    parser.add_argument("--number", type=int, required=True)
    parser.add_argument("--sockets", type=Path, required=True)
    args = parser.parse_args(argv)
    settings = load_settings()
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(serve_worker(settings, args.number, args.sockets))
    return 130


if __name__ == "__main__":
    sys.exit(main())
