"""`tgassist bot --workers N`: one webhook receiver, N answer processes, per-chat order kept."""

from __future__ import annotations

import asyncio
import os
import re
import signal
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from app.index_host import IndexHost, RemoteIndex
from app.workers import ordering_key, worker_for
from core.ports import IndexDocument
from storage.index.edge import EdgePostIndex
from storage.index.sparse import SparseEncoder
from tests.cli import run_cli_process, start_cli_process, stop_cli_process
from tests.fakes.bot_api import FakeBotAPI
from tests.services import (
    create_postgres_database,
    drop_postgres_databases,
    free_port,
    postgres_unavailable,
    redis_url_or_skip,
)

SECRET = "AAH-very-secret-token-part-0123456789abcdefgh"
HOOK_SECRET = "hook-secret-0123456789-abcdefghijklmnop"
CHATS = (501, 502, 503, 504, 505, 506)
PER_CHAT = 15


def _env(bot_api: FakeBotAPI, port: int) -> dict[str, str]:
    return {
        "BOT_TOKEN": f"{bot_api.bot_user['id']}:{SECRET}",
        "TELEGRAM_API_BASE": bot_api.base_url,
        "WEBHOOK_URL": f"http://127.0.0.1:{port}",
        "WEBHOOK_HOST": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
        "WEBHOOK_SECRET": HOOK_SECRET,
        "QUESTION_RATE_LIMIT": "1000",
    }


def test_ordering_key_is_the_chat_and_its_forum_topic(bot_api: FakeBotAPI) -> None:
    """Messages route by chat (and forum topic), buttons by their message's chat, the rest by sender."""
    plain = {"update_id": 1, **bot_api.message("hi", chat_id=-100, chat_type="supergroup")}
    topic = {
        "update_id": 2,
        **bot_api.message(
            "hi",
            chat_id=-100,
            chat_type="supergroup",
            message_thread_id=7,
            is_topic_message=True,
        ),
    }
    reply_in_general = {
        "update_id": 3,
        **bot_api.message("hi", chat_id=-100, chat_type="supergroup", message_thread_id=7),
    }
    button = {
        "update_id": 4,
        "callback_query": {
            "id": "q",
            "from": {"id": 9, "is_bot": False, "first_name": "U"},
            "message": {"message_id": 1, "date": 0, "chat": {"id": 42, "type": "private"}},
            "chat_instance": "c",
            "data": "x",
        },
    }
    inline = {"update_id": 5, "inline_query": {"id": "i", "from": {"id": 77}, "query": ""}}
    member = {"update_id": 6, "my_chat_member": {"chat": {"id": -5, "type": "group"}}}
    assert ordering_key(plain) == (-100, 0)
    assert ordering_key(topic) == (-100, 7)
    assert ordering_key(reply_in_general) == (-100, 0)
    assert ordering_key(button) == (42, 0)
    assert ordering_key(inline) == (77, 0)
    assert ordering_key(member) == (-5, 0)
    assert ordering_key({"update_id": 8}) == (8, 0)
    assert {worker_for((chat, 0), 2) for chat in CHATS} == {0, 1}
    assert all(worker_for((-100, topic), 3) in range(3) for topic in range(50))


async def test_workers_share_one_embedded_index_through_the_host(tmp_path: Path) -> None:
    """A worker's RemoteIndex writes and searches the host's Qdrant Edge shard; errors come back."""
    index = EdgePostIndex(tmp_path / "qdrant", SparseEncoder(), None)
    host = IndexHost(index, tmp_path / "index.sock")
    await host.start()
    remote = RemoteIndex(tmp_path / "index.sock")
    await remote.connect()
    try:
        documents = [
            IndexDocument(
                post_id=number,
                channel_id=10,
                channel_username="news",
                channel_title="News",
                message_id=number,
                date=datetime(2024, 12, 1, 10, number, tzinfo=UTC),
                permalink=f"https://t.me/news/{number}",
                text=text,
            )
            for number, text in enumerate(("Central bank raises the key rate", "Rain in Moscow"), 1)
        ]
        await remote.upsert(1, documents)
        hits = await remote.search(1, "key rate", limit=5)
        assert [hit.document.post_id for hit in hits] == [
            hit.document.post_id for hit in await index.search(1, "key rate", limit=5)
        ]
        assert hits[0].document.post_id == 1
        assert await remote.stats(2) is None
        await index.close()
        with pytest.raises(Exception, match="closed"):
            await remote.search(1, "key rate")
    finally:
        await remote.close()
        await host.stop()


def test_workers_need_webhook_mode(tmp_path: Path, bot_api: FakeBotAPI) -> None:
    """`tgassist bot --workers 2` without WEBHOOK_URL exits 2 saying webhook mode is needed."""
    result = run_cli_process(
        tmp_path,
        "bot",
        "--workers",
        "2",
        BOT_TOKEN=f"{bot_api.bot_user['id']}:{SECRET}",
        TELEGRAM_API_BASE=bot_api.base_url,
    )
    assert result.code == 2, result.err[-2000:]
    assert "--workers needs webhook mode" in result.err


async def test_two_workers_answer_every_update_once_in_chat_order(
    tmp_path: Path, bot_api: FakeBotAPI
) -> None:
    """`tgassist bot --workers 2` on PostgreSQL and Redis answers 90 webhook updates from six chats
    posted concurrently: each exactly once, each chat's replies in the order of its messages."""
    reason = await postgres_unavailable()
    if reason:
        pytest.skip(reason)
    redis_url = await redis_url_or_skip()
    database = await create_postgres_database()
    port = free_port()
    process = await start_cli_process(
        tmp_path,
        "bot",
        "--workers",
        "2",
        **_env(bot_api, port),
        DATABASE_URL=database,
        REDIS_URL=redis_url,
    )
    try:
        [registered] = await bot_api.wait_for("setWebhook", timeout=90)
        url = registered.params["url"]
        headers = {"X-Telegram-Bot-Api-Secret-Token": HOOK_SECRET}
        update_ids = iter(range(1, 10_000))

        async def chat(http: aiohttp.ClientSession, chat_id: int) -> None:
            for number in range(PER_CHAT):
                # The reply names the channel asked about: which message it answers.
                text = f"/ask @order{chat_id}n{number:03d} what is new"
                update = {"update_id": next(update_ids), **bot_api.message(text, user_id=chat_id)}
                async with http.post(url, json=update, headers=headers) as response:
                    assert response.status == 200

        async with aiohttp.ClientSession() as http:
            await asyncio.gather(*(chat(http, chat_id) for chat_id in CHATS))
        total = len(CHATS) * PER_CHAT
        await bot_api.wait_for("sendMessage", count=total, timeout=120)
        await asyncio.sleep(1.0)  # a duplicate answer would arrive meanwhile
        sends = bot_api.calls("sendMessage")
        assert len(sends) == total
        for chat_id in CHATS:
            asked = [
                re.search(r"@order\d+n(\d{3})", call.params["text"])
                for call in sends
                if call.chat_id == chat_id
            ]
            numbers = [int(match.group(1)) for match in asked if match]
            assert numbers == list(range(PER_CHAT)), (chat_id, numbers)
    finally:
        logs = await stop_cli_process(process)
        await drop_postgres_databases([database])
    assert process.returncode == 0, logs[-3000:]
    started = re.findall(r'"event": "worker_started"[^\n]*"pid": (\d+)', logs) or re.findall(
        r'"pid": (\d+)[^\n]*"event": "worker_started"', logs
    )
    assert len(set(started)) == 2, logs[-3000:]
    assert SECRET not in logs


async def test_run_with_workers_on_sqlite_schedules_jobs_once(
    tmp_path: Path, bot_api: FakeBotAPI
) -> None:
    """`tgassist run --workers 2` on the embedded backends answers in every chat, starts the
    scheduler once (in the parent) and stops cleanly on SIGTERM."""
    port = free_port()
    process = await start_cli_process(tmp_path, "run", "--workers", "2", **_env(bot_api, port))
    try:
        [registered] = await bot_api.wait_for("setWebhook", timeout=90)
        headers = {"X-Telegram-Bot-Api-Secret-Token": HOOK_SECRET}
        async with aiohttp.ClientSession() as http:
            for update_id, chat_id in enumerate(CHATS, 1):
                update = {"update_id": update_id, **bot_api.message("/start", user_id=chat_id)}
                async with http.post(
                    registered.params["url"], json=update, headers=headers
                ) as response:
                    assert response.status == 200
        for chat_id in CHATS:
            [reply] = await bot_api.wait_for("sendMessage", chat_id=chat_id, timeout=60)
            assert "/subscribe" in reply.params["text"]
    finally:
        logs = await stop_cli_process(process)
    assert process.returncode == 0, logs[-3000:]
    assert logs.count('"event": "scheduler_started"') == 1, logs[-3000:]
    assert logs.count('"event": "worker_stopped"') == 2, logs[-3000:]


async def test_a_dead_worker_stops_the_group_with_code_1(
    tmp_path: Path, bot_api: FakeBotAPI
) -> None:
    """When one answer worker dies, the parent stops the other one and exits 1 (for the
    supervisor to restart the group) instead of leaving its chats unanswered."""
    port = free_port()
    process = await start_cli_process(tmp_path, "bot", "--workers", "2", **_env(bot_api, port))
    try:
        await bot_api.wait_for("setWebhook", timeout=90)
        workers = await _worker_pids(process.pid)
        assert len(workers) == 2
        os.kill(workers[0], signal.SIGKILL)
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        if process.returncode is None:
            await stop_cli_process(process)
    logs = (out + err).decode()
    assert process.returncode == 1, logs[-3000:]
    assert '"event": "worker_exited"' in logs
    assert not await _worker_pids(process.pid)


async def _worker_pids(parent: int) -> list[int]:
    """The parent's `python -m app.workers` children (once both have started)."""
    for _ in range(300):
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            return []
        if len(children) >= 2 or not children:
            return [int(pid) for pid in children]
        await asyncio.sleep(0.1)
    return []
