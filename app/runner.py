"""Long-running entry points: the bot (polling or webhook), the worker, or both."""

from __future__ import annotations

import asyncio
import signal
from contextlib import AsyncExitStack

import structlog
from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import MemoryStorage

from adapters.metrics import MetricsServer
from app.container import Container, build_container
from app.settings import Settings, reveal
from app.webhook import webhook_server
from bot.app import create_bot, create_dispatcher, set_commands
from bot.index_notices import BotIndexedNotices
from bot.middlewares.rate_limit_counter import RateLimitCounter
from core.extras import require
from jobs.registry import build_jobs
from jobs.scheduler import build_scheduler
from storage.migrate import upgrade_async

log = structlog.get_logger(__name__)


def build_fsm_storage(settings: Settings) -> BaseStorage:
    """Where prompts for bare commands wait: Redis with REDIS_URL (webhook replicas share it)."""
    if settings.redis_url:
        require("redis", "redis")  # the 'redis' extra; a plain install runs without it
        from aiogram.fsm.storage.redis import RedisStorage

        return RedisStorage.from_url(
            settings.redis_url, key_builder=DefaultKeyBuilder(prefix="fsm")
        )
    return MemoryStorage()


def connect_bot(container: Container, bot: Bot) -> None:
    """Give the services that message chats on their own (indexed notices) the bot."""
    container.index_progress.sender = BotIndexedNotices(bot)


async def prepare(settings: Settings) -> Container:
    """Migrate the schema and build the container."""
    await upgrade_async(settings.resolved_database_url)
    return build_container(settings)


async def start_services(stack: AsyncExitStack, container: Container, settings: Settings) -> Bot:
    """Everything a long-running process serves besides updates, closed by `stack`: the
    container, the bot (connected to the services that message chats, its sends counted),
    background work a previous process left, and the /metrics server when configured."""
    stack.push_async_callback(container.close)
    bot = create_bot(reveal(settings.bot_token) or "", settings.telegram_api_base)
    stack.push_async_callback(bot.session.close)
    connect_bot(container, bot)
    await resume_background_work(container)
    bot.session.middleware(RateLimitCounter(container.metrics))
    if settings.metrics_port is not None:
        metrics_server = MetricsServer(
            container.metrics,
            host=settings.metrics_host,
            port=settings.metrics_port,
            cache_seconds=settings.metrics_cache_seconds,
        )
        await metrics_server.start()
        stack.push_async_callback(metrics_server.stop)
    return bot


def start_jobs(stack: AsyncExitStack, container: Container, settings: Settings, bot: Bot) -> None:
    """Start the scheduled jobs (their leases keep other processes off them); `stack` stops them."""
    scheduler = build_scheduler(build_jobs(container).values(), container.job_locks, settings, bot)
    scheduler.start()
    stack.callback(scheduler.shutdown, wait=False)
    log.info("scheduler_started", jobs=[job.id for job in scheduler.get_jobs()])


# Telegram gives each update to one getUpdates caller: a second poller would steal updates.
POLLING_LEASE = "bot-polling"
# Updates handled at once while polling; the next getUpdates waits for a free slot. A burst of
# hundreds of questions then queues at Telegram instead of as tasks holding memory here.
UPDATES_IN_PROGRESS = 64


async def run(settings: Settings, *, with_bot: bool = True, with_jobs: bool = True) -> int:
    """Run the bot and/or the scheduled jobs until SIGINT/SIGTERM, then shut down cleanly.

    Returns the process exit code: 0, or 3 when another process already polls for this bot.
    """
    container = await prepare(settings)
    async with AsyncExitStack() as stack:
        bot = await start_services(stack, container, settings)
        if with_jobs:
            start_jobs(stack, container, settings, bot)
        if not with_bot:
            await _wait_for_signal()
            return 0
        fsm_storage = build_fsm_storage(settings)
        stack.push_async_callback(fsm_storage.close)
        dispatcher = create_dispatcher(
            container.uow_factory, fsm_storage=fsm_storage, **container.handler_services()
        )
        await set_commands(bot, settings.admin_ids)
        if settings.webhook_url:
            await _run_webhook(bot, dispatcher, settings)
        else:
            polling = await stack.enter_async_context(
                container.job_locks.hold(f"{POLLING_LEASE}-{bot.id}", 60)
            )
            if not polling:
                log.error(
                    "polling_refused",
                    reason="another tgassist process polls for this bot; "
                    "run one polling process, or set WEBHOOK_URL for several replicas",
                )
                return 3
            await bot.delete_webhook(drop_pending_updates=False)
            log.info("polling_started")
            await dispatcher.start_polling(
                bot,
                handle_signals=True,
                close_bot_session=False,
                tasks_concurrency_limit=UPDATES_IN_PROGRESS,
            )
    log.info("stopped")
    return 0


async def resume_background_work(container: Container) -> None:
    """Start the background indexer on what a previous process left: posts still pending, and
    indexed notices not sent yet."""
    container.background_indexer.start()
    async with container.uow_factory() as uow:
        pending = await uow.posts.tenants_with_pending()
    container.background_indexer.kick(*pending, *await container.index_progress.tenants_waiting())


async def _wait_for_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def _run_webhook(bot: Bot, dispatcher: Dispatcher, settings: Settings) -> None:
    """Serve Telegram's webhook calls; several replicas may run behind a load balancer."""
    async with webhook_server(bot, dispatcher, settings):
        await _wait_for_signal()
