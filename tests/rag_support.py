"""Helpers for question tests: chats subscribed to channels with posts, stored and indexed."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import structlog

from core.models import Channel, PostDraft, SourceKind
from core.ports import UnitOfWorkFactory

BASE_DATE = datetime(2024, 12, 1, 12, 0, tzinfo=UTC)
# Eleven short news posts, one about the key rate first: enough to pass the "few posts" warning.
NEWS = [
    "Центробанк повысил ключевую ставку до 21%. Это рекорд за всю историю. Аналитики ждали решения.",
    "В Москве выпал первый снег, синоптики обещают похолодание до минус десяти.",
    "Метро Москвы открыло новую станцию на Большой кольцевой линии.",
    "Курс доллара на бирже снизился после решения регулятора.",
    "Хоккейный клуб ЦСКА выиграл пятый матч подряд.",
    "В парке Горького открывается каток с искусственным льдом.",
    "Учёные нашли воду на спутнике Юпитера Европе.",
    "Сбербанк изменил условия вкладов для пенсионеров.",
    "В центре Москвы перекроют улицы из-за марафона.",
    "Новый смартфон компании получил складной экран.",
    "Аэропорт Шереметьево отменил рейсы из-за тумана.",
]


@dataclass(frozen=True)
class Post:
    """A post to seed: text, and optionally its id, age and album."""

    text: str
    message_id: int | None = None
    age: timedelta = timedelta(0)  # before BASE_DATE
    album: str | None = None


async def seed_channel(
    uow_factory: UnitOfWorkFactory,
    chat_id: int,
    posts: Sequence[Post | str],
    *,
    username: str | None = "newsroom",
    title: str = "Newsroom",
    telegram_id: int | None = None,
    chat_kind: str = "private",
    now: datetime = BASE_DATE,
) -> tuple[int, Channel]:
    """Subscribe chat `chat_id` to a channel holding `posts` (stored, not yet indexed)."""
    drafts = []
    for number, item in enumerate(posts, start=1):
        post = Post(item) if isinstance(item, str) else item
        drafts.append(
            PostDraft(
                message_id=post.message_id or number,
                date=now - post.age,
                text=post.text,
                grouped_id=post.album,
            )
        )
    async with uow_factory() as uow:
        tenant = await uow.tenants.get_or_create(chat_id, chat_kind, None, "en")
        channel = (await uow.channels.by_username(username)) if username else None
        if channel is None:
            channel = await uow.channels.create(
                username=username,
                title=title,
                source=SourceKind.WEB_PREVIEW,
                telegram_id=telegram_id,
            )
        await uow.channels.subscribe(tenant.id, channel.id, None)
        await uow.posts.upsert_many(channel.id, drafts)
        await uow.commit()
    return tenant.id, channel


@contextmanager
def captured_logs(*modules: ModuleType) -> Iterator[list[MutableMapping[str, Any]]]:
    """structlog's capture_logs, with fresh loggers in `modules`.

    A logger first used after an in-process CLI run (which configures logging with caching)
    keeps that configuration's processors; a fresh one sees the capture.
    """
    saved = {module: vars(module)["log"] for module in modules}
    try:
        with structlog.testing.capture_logs() as logs:
            for module in modules:
                vars(module)["log"] = structlog.get_logger(module.__name__)
            yield logs
    finally:
        for module, logger in saved.items():
            vars(module)["log"] = logger


def events(logs: list[MutableMapping[str, Any]], name: str) -> list[MutableMapping[str, Any]]:
    """Captured log entries of one event."""
    return [entry for entry in logs if entry["event"] == name]
