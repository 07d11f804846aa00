"""Users' interests: explicit topics and implicit ones from the questions they ask, with time decay.

A profile is a weighted set of topics. Each question contributes its salient terms (Snowball
stems, stop words out, the trend detector's `TermExtractor`), its named entities kept whole
("Илон Маск", "ЦБ") and the channels of the posts that answered it; every contribution halves
every `half_life_days`. Topics the user adds weigh `explicit_weight` and never decay; topics the
user removes stay out of the implicit profile. `InterestSync` recomputes the profile of every user
with new questions since the last sync; a user whose sync fails goes to the DLQ
(`stream:user_interests.sync.failed`) and never stops the others.
"""

from __future__ import annotations

import contextlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import structlog

from core.clock import Clock, utc_now
from core.dlq.models import DeadLetter, stream_name
from core.dlq.ports import DeadLetterSink
from core.interests.models import (
    Interest,
    InterestParams,
    InterestSource,
    InvalidTopic,
    Salient,
    SyncReport,
    TopicKind,
    UserActivity,
    WeightedInterest,
)
from core.interests.ports import InterestRepository, InterestsUnitOfWork
from core.models import Tenant
from core.ports import UnitOfWorkFactory
from core.rag.ports import QuestionRecord
from core.text.stopwords import QUESTION_WORDS
from core.text.terms import TermExtractor

log = structlog.get_logger(__name__)

INTERESTS_JOB = "user_interests.sync"
INTERESTS_DLQ_STREAM = stream_name(INTERESTS_JOB)  # "stream:user_interests.sync.failed"
MAX_TOPIC_LENGTH = 64


_CONNECTORS = frozenset({"of", "de", "la", "von", "van", "der", "del"})


def _capitalised(word: str) -> bool:
    return bool(word[:1]) and word[:1].isupper()


@dataclass(slots=True)
class _Tally:
    weight: float = 0.0
    mentions: int = 0
    last_seen_at: datetime | None = None
    kind: TopicKind = TopicKind.TERM
    labels: Counter[str] = field(default_factory=Counter)


def decay_factor(age: timedelta, half_life_days: float) -> float:
    """How much of a weight is left after `age` (halves every `half_life_days`)."""
    days = max(age.total_seconds(), 0.0) / 86400.0
    if half_life_days <= 0:
        return 1.0
    return float(0.5 ** (days / half_life_days))


class InterestProfiler:
    """Pure profile computation: questions in, weighted topics out."""

    def __init__(
        self, params: InterestParams | None = None, extractor: TermExtractor | None = None
    ) -> None:
        self.params = params or InterestParams()
        self.extractor = extractor or TermExtractor()
        self._filler = {stem for word in QUESTION_WORDS if (stem := self.extractor.stem(word))}

    # --- topics of a text -------------------------------------------------------------------

    def salient(self, text: str) -> list[Salient]:
        """Named entities (whole) and salient stemmed terms of a text, each once."""
        sequence = self.extractor.sequence(text)
        found: dict[str, Salient] = {}
        run: list[tuple[str, str]] = []
        used: set[int] = set()

        def close_run(end: int) -> None:
            start = end - len(run)
            sentence_start = start == 0 or sequence[start - 1] == ("", "")
            single = len(run) == 1
            surface = run[0][1] if run else ""
            acronym = single and surface.isupper() and len(surface) >= 2
            if run and (not single or acronym or not sentence_start):
                key = " ".join(stem for stem, _ in run if stem)
                label = " ".join(word for _, word in run)
                found.setdefault(key, Salient(key, label, TopicKind.ENTITY))
                used.update(range(start, end))
            run.clear()

        for index, (stem, surface) in enumerate(sequence):
            if stem and _capitalised(surface) and stem not in self._filler:
                run.append((stem, surface))
                continue
            following = sequence[index + 1] if index + 1 < len(sequence) else ("", "")
            if (
                run
                and surface.lower() in _CONNECTORS
                and following[0]
                and _capitalised(following[1])
            ):
                run.append(("", surface))  # "Bank of England" stays one name
                continue
            close_run(index)
        close_run(len(sequence))

        for index, (stem, surface) in enumerate(sequence):
            if index in used or not stem or stem in self._filler or stem in found:
                continue
            found[stem] = Salient(stem, surface.lower(), TopicKind.TERM)
        return list(found.values())

    def topic_key(self, text: str) -> tuple[str, str, TopicKind]:
        """(key, label, kind) of a topic a user typed; raises InvalidTopic."""
        label = " ".join(text.split())
        if not label or len(label) > MAX_TOPIC_LENGTH:
            raise InvalidTopic(f"a topic is 1 to {MAX_TOPIC_LENGTH} characters")
        if label.startswith("@") and len(label) > 1 and " " not in label:
            return label.lower(), label, TopicKind.CHANNEL
        stems = [stem for stem, _ in self.extractor.sequence(label) if stem]
        if not stems:
            raise InvalidTopic("the topic has no meaningful words")
        kind = TopicKind.TERM if len(stems) == 1 else TopicKind.TOPIC
        return " ".join(stems), label, kind

    # --- profiles ---------------------------------------------------------------------------

    def build(
        self,
        questions: Sequence[QuestionRecord],
        channel_labels: Mapping[int, str],
        now: datetime,
        *,
        excluded: Iterable[str] = (),
    ) -> list[Interest]:
        """The implicit profile as of `now`: decayed weights, heaviest first, bounded."""
        params = self.params
        tallies: dict[str, _Tally] = defaultdict(_Tally)
        for question in questions:
            asked = question.created_at or now
            factor = decay_factor(now - asked, params.half_life_days)
            contributions: list[tuple[str, str, TopicKind, float]] = []
            for item in self.salient(question.text):
                base = params.entity_weight if item.kind == TopicKind.ENTITY else params.term_weight
                contributions.append((item.key, item.label, item.kind, base))
            for channel_id in dict.fromkeys(question.source_channel_ids):
                label = channel_labels.get(channel_id)
                if label:
                    key = label.lower() if label.startswith("@") else f"#channel{channel_id}"
                    contributions.append((key, label, TopicKind.CHANNEL, params.channel_weight))
            for key, label, kind, base in contributions:
                tally = tallies[key]
                tally.weight += base * factor
                tally.mentions += 1
                tally.kind = kind
                tally.labels[label] += 1
                if tally.last_seen_at is None or asked > tally.last_seen_at:
                    tally.last_seen_at = asked
        skip = set(excluded)
        interests = [
            Interest(
                topic=key[:255],
                label=_best_label(tally.labels)[:255],
                kind=tally.kind,
                source=InterestSource.IMPLICIT,
                weight=round(tally.weight, 6),
                mentions=tally.mentions,
                last_seen_at=tally.last_seen_at,
                updated_at=now,
            )
            for key, tally in tallies.items()
            if key not in skip and tally.weight >= params.min_weight
        ]
        interests.sort(key=lambda item: (-item.weight, item.topic))
        return interests[: params.max_topics]

    def current_weight(self, interest: Interest, now: datetime) -> float:
        """The topic's weight now: explicit ones never decay, implicit ones keep halving."""
        if interest.source == InterestSource.EXPLICIT:
            return self.params.explicit_weight
        if interest.source == InterestSource.REMOVED:
            return 0.0
        updated = interest.updated_at or now
        return interest.weight * decay_factor(now - updated, self.params.half_life_days)


def _best_label(labels: Counter[str]) -> str:
    best, _ = max(labels.items(), key=lambda item: (item[1], item[0]))
    return best


class InterestService:
    """What users see and change (/interests), and the chat profiles trend alerts rank by."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory[InterestsUnitOfWork],
        profiler: InterestProfiler | None = None,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._uow_factory = uow_factory
        self.profiler = profiler or InterestProfiler()
        self._clock = clock

    @staticmethod
    def _repo(uow: InterestsUnitOfWork) -> InterestRepository:
        return uow.interests

    def weighted(self, interests: Iterable[Interest]) -> list[WeightedInterest]:
        """Shown topics (not removed, not decayed to nothing) with their weights now, heaviest first."""
        now = self._clock()
        minimum = self.profiler.params.min_weight
        items = [
            WeightedInterest(item, self.profiler.current_weight(item, now))
            for item in interests
            if item.source != InterestSource.REMOVED
        ]
        items = [item for item in items if item.interest.explicit or item.weight >= minimum]
        items.sort(key=lambda item: (not item.interest.explicit, -item.weight, item.label.lower()))
        return items

    async def profile(self, uow: InterestsUnitOfWork, user_id: int) -> list[WeightedInterest]:
        """A user's profile as of now."""
        return self.weighted(await self._repo(uow).profile(user_id))

    async def add(self, uow: InterestsUnitOfWork, user_id: int, text: str) -> tuple[Interest, bool]:
        """Add an explicit topic; (topic, False) when it already was one. Raises InvalidTopic."""
        key, label, kind = self.profiler.topic_key(text)
        interest = Interest(
            topic=key,
            label=label,
            kind=kind,
            source=InterestSource.EXPLICIT,
            weight=self.profiler.params.explicit_weight,
            updated_at=self._clock(),
        )
        created = await self._repo(uow).set_explicit(user_id, interest, self._clock())
        await uow.commit()
        log.info("interest_added", user_id=user_id, topic=key, created=created)
        return interest, created

    async def remove(self, uow: InterestsUnitOfWork, user_id: int, text: str) -> Interest | None:
        """Remove a topic by what the user typed (its words or its label); None when unknown."""
        repo = self._repo(uow)
        stored = {item.topic: item for item in await repo.profile(user_id)}
        candidates = [text.strip(), text.strip().lower()]
        with contextlib.suppress(InvalidTopic):
            candidates.insert(0, self.profiler.topic_key(text)[0])
        wanted = next((key for key in candidates if key in stored), None)
        if wanted is None:
            lowered = " ".join(text.split()).lower()
            wanted = next(
                (key for key, item in stored.items() if item.label.lower() == lowered), None
            )
        if wanted is None or stored[wanted].source == InterestSource.REMOVED:
            return None
        removed = await repo.remove(user_id, wanted, self._clock())
        await uow.commit()
        log.info("interest_removed", user_id=user_id, topic=wanted)
        return removed

    async def tenant_profile(self, tenant: Tenant) -> dict[str, float]:
        """A chat's profile: the mean weight of each topic over its people (labels as topics).

        In a private chat that is the user's whole profile. In a group each person counts with
        the topics they chose (`/interests add`) and what they asked in this group only: what
        someone asks in private (or in another group) never steers a group's alerts.
        """
        async with self._uow_factory() as uow:
            repo = self._repo(uow)
            if tenant.kind == "private":
                profiles = await repo.profiles([tenant.chat_id])
                return combine_profiles([self.weighted(items) for items in profiles.values()])
            params = self.profiler.params
            now = self._clock()
            since = now - timedelta(days=params.horizon_days)
            asked = await repo.tenant_questions(tenant.id, since, params.max_questions)
            by_user: dict[int, list[QuestionRecord]] = defaultdict(list)
            for question in asked:
                if question.user_id is not None:
                    by_user[question.user_id].append(question)
            stored = await repo.profiles(sorted(by_user))
        people = []
        for user_id, questions in by_user.items():
            chosen = [
                item for item in stored.get(user_id, []) if item.source != InterestSource.IMPLICIT
            ]
            removed = [item.topic for item in chosen if item.source == InterestSource.REMOVED]
            learned = self.profiler.build(questions, {}, now, excluded=removed)
            explicit = {item.topic for item in chosen}
            people.append(self.weighted(chosen + [i for i in learned if i.topic not in explicit]))
        return combine_profiles(people)


def combine_profiles(profiles: Sequence[Sequence[WeightedInterest]]) -> dict[str, float]:
    """Topic label -> mean weight over the people who have a profile (channels left out)."""
    people = [profile for profile in profiles if profile]
    if not people:
        return {}
    totals: dict[str, float] = defaultdict(float)
    for profile in people:
        for item in profile:
            if item.interest.kind == TopicKind.CHANNEL:
                continue
            totals[item.label] += item.weight
    return {label: weight / len(people) for label, weight in totals.items() if weight > 0}


@dataclass(slots=True)
class _Progress:
    interests: int = 0


class InterestSync:
    """Recomputes the implicit profile of every user with new questions since their last sync."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory[InterestsUnitOfWork],
        profiler: InterestProfiler | None = None,
        *,
        dead_letters: DeadLetterSink | None = None,
        clock: Clock = utc_now,
        batch_size: int = 200,
        max_users: int = 100_000,
    ) -> None:
        self._uow_factory = uow_factory
        self.profiler = profiler or InterestProfiler()
        self._dead_letters = dead_letters
        self._clock = clock
        self._batch_size = batch_size
        self._max_users = max_users

    @staticmethod
    def _repo(uow: InterestsUnitOfWork) -> InterestRepository:
        return uow.interests

    async def run(self) -> SyncReport:
        """Sync every user with new activity; a user's failure goes to the DLQ, the rest go on."""
        report = SyncReport()
        seen: set[int] = set()
        while report.users < self._max_users:
            async with self._uow_factory() as uow:
                pending = await self._repo(uow).pending_users(self._batch_size)
            fresh = [activity for activity in pending if activity.user_id not in seen]
            if not fresh:
                break
            for activity in fresh:
                seen.add(activity.user_id)
                report.users += 1
                progress = _Progress()
                try:
                    report.topics += await self._sync(activity, progress)
                    report.synced += 1
                except Exception as error:
                    report.failed += 1
                    report.failed_users.append(activity.user_id)
                    if await self._dead_letter(activity, error, progress):
                        report.dead_lettered += 1
            if len(pending) < self._batch_size:
                break
        log.info("interests_synced", **report.as_dict())
        return report

    async def sync_user(self, user_id: int) -> int:
        """Recompute one user's profile now (a DLQ retry); returns its topic count. Raises."""
        async with self._uow_factory() as uow:
            activity = await self._repo(uow).user_activity(user_id)
        if activity is None:
            return 0
        return await self._sync(activity, _Progress())

    async def retry(self, letter: DeadLetter) -> bool:
        """The DLQ retry handler of `stream:user_interests.sync.failed`."""
        await self.sync_user(int(letter.fields["user_id"]))
        return True

    async def _sync(self, activity: UserActivity, progress: _Progress) -> int:
        params = self.profiler.params
        now = self._clock()
        async with self._uow_factory() as uow:
            repo = self._repo(uow)
            stored = await repo.profile(activity.user_id)
            progress.interests = len(stored)
            excluded = {
                item.topic
                for item in stored
                if item.source in (InterestSource.EXPLICIT, InterestSource.REMOVED)
            }
            since = now - timedelta(days=params.horizon_days)
            questions = await repo.questions(activity.user_id, since, params.max_questions)
            channel_ids = {channel for q in questions for channel in q.source_channel_ids}
            labels = await repo.channel_labels(channel_ids) if channel_ids else {}
            interests = self.profiler.build(questions, labels, now, excluded=excluded)
            progress.interests = len(interests) + len(excluded)
            await repo.save_implicit(activity.user_id, interests, now)
            await repo.mark_synced(activity.user_id, activity.last_question_id, len(interests), now)
            await uow.commit()
        return len(interests)

    async def _dead_letter(
        self, activity: UserActivity, error: BaseException, progress: _Progress
    ) -> bool:
        message = f"{error}" or type(error).__name__
        log.warning(
            "interests_sync_failed",
            user_id=activity.user_id,
            tenant_id=activity.tenant_id,
            error_type=type(error).__name__,
            error=message[:500],
        )
        try:
            async with self._uow_factory() as uow:
                await self._repo(uow).mark_failed(
                    activity.user_id, activity.last_question_id, self._clock()
                )
                await uow.commit()
        except Exception as mark_error:  # the entry below still records the failure
            log.warning("interests_mark_failed_failed", error=type(mark_error).__name__)
        entry = {
            "user_id": activity.user_id,
            "tenant_id": activity.tenant_id,
            "error": message,
            "error_type": type(error).__name__,
            "at": self._clock().astimezone(UTC).isoformat(),
            "interests": progress.interests,
            "attempts": 1,
            "last_question_id": activity.last_question_id,
        }
        if self._dead_letters is None:
            log.error("interests_dlq_missing", stream=INTERESTS_DLQ_STREAM, **entry)
            return False
        try:
            return await self._dead_letters.add(INTERESTS_DLQ_STREAM, entry) is not None
        except Exception as dlq_error:  # the DLQ must never break the job
            log.error("interests_dlq_write_failed", error=type(dlq_error).__name__, **entry)
            return False
