"""Synthetic channel streams for trend tests: steady news, footers, ads, and injected bursts."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from core.trends.models import TrendPost

NOW = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)

# Everyday topics every channel writes about all the time (they must never trend).
STEADY_TOPICS = [
    "погода прогноз синоптики температура осадки ветер облачность выходные",
    "футбол матч команда тренер счет сезон болельщики стадион",
    "экономика бюджет налоги инфляция бизнес компании рынок инвесторы",
    "город транспорт метро дороги ремонт парки жители власти",
    "технологии смартфон приложение разработчики обновление сервис пользователи",
    "здоровье врачи больница лечение пациенты клиника медицина",
]
FOOTERS = [
    "Подписывайся на Вестник",
    "Прислать новость | Подписаться на Городские вести",
    "Читать нас без VPN можно здесь",
    "Наш канал: свежие новости каждый день",
    "Поддержать редакцию донатом",
    "Главное за день — в нашем канале",
]


@dataclass
class Stream:
    """Posts of several channels over days; ids grow in creation order."""

    channels: int = 6
    seed: int = 7
    posts: list[TrendPost] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._next_id = 1

    def name(self, channel: int) -> str:
        """The display name of a synthetic channel."""
        return f"@channel{channel}"

    def add(self, channel: int, date: datetime, text: str, *, footer: bool = True) -> TrendPost:
        """One post, with the channel's footer unless told otherwise."""
        if footer:
            text = f"{text}\n\n{FOOTERS[channel % len(FOOTERS)]}"
        post = TrendPost(
            post_id=self._next_id,
            channel_id=channel,
            channel_name=self.name(channel),
            date=date,
            text=text,
            url=f"https://t.me/channel{channel}/{self._next_id}",
        )
        self._next_id += 1
        self.posts.append(post)
        return post

    def steady(self, *, days: float = 8, until: datetime = NOW, every_hours: float = 1.5) -> None:
        """Everyday news from every channel at a steady pace."""
        start = until - timedelta(days=days)
        for channel in range(1, self.channels + 1):
            moment = start + timedelta(minutes=self._random.randint(0, 60))
            while moment < until:
                words = self._random.choice(STEADY_TOPICS).split()
                sentence = " ".join(self._random.sample(words, 5)).capitalize()
                self.add(channel, moment, f"{sentence}. {' '.join(self._random.sample(words, 4))}.")
                moment += timedelta(hours=every_hours * self._random.uniform(0.6, 1.4))

    def burst(
        self,
        channels: list[int],
        texts: list[str],
        *,
        start: datetime,
        spread: timedelta = timedelta(hours=3),
    ) -> list[TrendPost]:
        """The same story told by several channels in their own words within `spread`."""
        found = []
        for number, channel in enumerate(channels):
            moment = start + spread * (number / max(1, len(channels)))
            found.append(self.add(channel, moment, texts[number % len(texts)]))
        return found

    def sorted(self) -> list[TrendPost]:
        """All posts, oldest first."""
        return sorted(self.posts, key=lambda post: post.date)


QUAKE = [
    "Землетрясение магнитудой 6 произошло в Тбилиси, эвакуированы жители нескольких районов",
    "В Тбилиси произошло сильное землетрясение: толчки ощущались по всей Грузии",
    "Сейсмологи: землетрясение в Тбилиси стало самым сильным за десять лет",
    "Тбилиси после землетрясения: повреждены дома, спасатели разбирают завалы",
    "Подземные толчки в Тбилиси: власти Грузии рассказали о последствиях землетрясения",
]


def every_quarter_hour(start: datetime, end: datetime) -> Iterator[datetime]:
    """Moments 15 minutes apart from start to end."""
    moment = start
    while moment <= end:
        yield moment
        moment += timedelta(minutes=15)


def ongoing_story(
    stream: Stream, first: datetime, rise: datetime, every: timedelta = timedelta(minutes=45)
) -> list[TrendPost]:
    """The Tbilisi earthquake: a burst at `first`, then a post `every` so often (a known
    story at its own level), then every channel twice in the 3 hours before `rise` (it
    escalates). Returns the posts of the rise."""
    stream.burst([1, 2, 3, 4, 5], QUAKE, start=first)
    moment, number = first + timedelta(hours=3), 0
    while moment < rise - timedelta(hours=6):
        stream.add(number % stream.channels + 1, moment, QUAKE[number % len(QUAKE)])
        moment += every
        number += 1
    channels = [channel for channel in range(1, stream.channels + 1) for _ in range(2)]
    return stream.burst(channels, QUAKE, start=rise - timedelta(hours=3), spread=timedelta(hours=3))


FLOOD = [
    "Наводнение в приморских сёлах: вода продолжает прибывать",
    "Приморских жителей эвакуируют, паводок не отступает",
    "В приморских районах затоплены дороги и мосты",
]
FLOOD_GOVERNOR = [
    "Губернатор объявил режим чрезвычайной ситуации в приморских районах",
    "Режим чрезвычайной ситуации введён губернатором в приморских районах",
    "В приморских районах губернатор ввёл режим чрезвычайной ситуации",
    "Губернатор: в приморских районах действует режим чрезвычайной ситуации",
]


def flood_for_two_days(stream: Stream) -> None:
    """A flood in the news for the two days before NOW's window: a post every two hours."""
    for hours in range(8, 48, 2):
        stream.add(hours % 6 + 1, NOW - timedelta(hours=hours), FLOOD[hours % len(FLOOD)])
