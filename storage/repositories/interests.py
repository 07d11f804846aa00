"""Users' interest profiles, their sync state, and the question log as the sync reads it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.interests.models import Interest, InterestSource, UserActivity
from core.rag.ports import QuestionRecord
from storage.models import ChannelRow, QuestionRow
from storage.models.interests import UserInterestRow, UserInterestSyncRow
from storage.repositories._upsert import upsert
from storage.repositories.questions import to_record


def to_interest(row: UserInterestRow) -> Interest:
    """Map a row to its DTO."""
    return Interest(
        topic=row.topic,
        label=row.label,
        kind=row.kind,
        source=row.source,
        weight=row.weight,
        mentions=row.mentions,
        last_seen_at=row.last_seen_at,
        updated_at=row.updated_at,
    )


class SqlInterestRepository:
    """Interests in SQL (tables user_interests and user_interest_syncs)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def pending_users(self, limit: int) -> list[UserActivity]:
        """Users whose newest question is newer than their last sync and last failed sync."""
        sync = UserInterestSyncRow
        newest = (
            select(
                QuestionRow.user_id.label("user_id"),
                func.max(QuestionRow.id).label("last_id"),
                func.count().label("questions"),
            )
            .outerjoin(sync, sync.user_id == QuestionRow.user_id)
            .where(
                QuestionRow.user_id.is_not(None),
                QuestionRow.id > func.coalesce(sync.last_question_id, 0),
                QuestionRow.id > func.coalesce(sync.failed_question_id, 0),
            )
            .group_by(QuestionRow.user_id)
            .order_by(QuestionRow.user_id)
            .limit(limit)
        )
        rows = (await self._session.execute(newest)).all()
        if not rows:
            return []
        tenants = dict(
            (
                await self._session.execute(
                    select(QuestionRow.id, QuestionRow.tenant_id).where(
                        QuestionRow.id.in_([row.last_id for row in rows])
                    )
                )
            ).all()
        )
        return [
            UserActivity(
                user_id=int(row.user_id),
                tenant_id=int(tenants.get(row.last_id, 0)),
                last_question_id=int(row.last_id),
                new_questions=int(row.questions),
            )
            for row in rows
        ]

    async def user_activity(self, user_id: int) -> UserActivity | None:
        """The user's newest question."""
        row = (
            await self._session.execute(
                select(QuestionRow.id, QuestionRow.tenant_id)
                .where(QuestionRow.user_id == user_id)
                .order_by(QuestionRow.id.desc())
                .limit(1)
            )
        ).first()
        if row is None:
            return None
        return UserActivity(user_id, int(row.tenant_id), int(row.id), 0)

    async def questions(self, user_id: int, since: datetime, limit: int) -> list[QuestionRecord]:
        """The user's questions in every chat since a moment, newest first."""
        return await self._questions_where(QuestionRow.user_id == user_id, since, limit)

    async def tenant_questions(
        self, tenant_id: int, since: datetime, limit: int
    ) -> list[QuestionRecord]:
        """Questions asked in one chat since a moment (by anyone), newest first."""
        return await self._questions_where(QuestionRow.tenant_id == tenant_id, since, limit)

    async def _questions_where(
        self, condition: ColumnElement[bool], since: datetime, limit: int
    ) -> list[QuestionRecord]:
        query = (
            select(QuestionRow)
            .where(condition, QuestionRow.created_at >= since)
            .order_by(QuestionRow.id.desc())
            .limit(limit)
        )
        return [to_record(row) for row in await self._session.scalars(query)]

    async def channel_labels(self, channel_ids: Iterable[int]) -> dict[int, str]:
        """`@username`, or the title of channels without one."""
        ids = sorted(set(channel_ids))
        if not ids:
            return {}
        rows = await self._session.execute(
            select(ChannelRow.id, ChannelRow.username, ChannelRow.title).where(
                ChannelRow.id.in_(ids)
            )
        )
        return {
            int(row.id): f"@{row.username}" if row.username else (row.title or f"#{row.id}")
            for row in rows
        }

    async def profile(self, user_id: int) -> list[Interest]:
        """Every stored topic of the user."""
        query = (
            select(UserInterestRow)
            .where(UserInterestRow.user_id == user_id)
            .order_by(UserInterestRow.weight.desc(), UserInterestRow.topic)
        )
        return [to_interest(row) for row in await self._session.scalars(query)]

    async def profiles(self, user_ids: Sequence[int]) -> dict[int, list[Interest]]:
        """The stored topics of several users."""
        if not user_ids:
            return {}
        query = select(UserInterestRow).where(UserInterestRow.user_id.in_(list(user_ids)))
        result: dict[int, list[Interest]] = {}
        for row in await self._session.scalars(query):
            result.setdefault(row.user_id, []).append(to_interest(row))
        return result

    async def save_implicit(
        self, user_id: int, interests: Sequence[Interest], now: datetime
    ) -> None:
        """Replace the user's implicit topics; explicit and removed ones are never touched."""
        await self._session.execute(
            delete(UserInterestRow).where(
                UserInterestRow.user_id == user_id,
                UserInterestRow.source == InterestSource.IMPLICIT.value,
            )
        )
        if not interests:
            return
        kept = set(
            await self._session.scalars(
                select(UserInterestRow.topic).where(
                    UserInterestRow.user_id == user_id,
                    UserInterestRow.topic.in_([item.topic for item in interests]),
                )
            )
        )
        for item in interests:
            if item.topic in kept:
                continue
            self._session.add(
                UserInterestRow(
                    user_id=user_id,
                    topic=item.topic,
                    label=item.label,
                    kind=item.kind,
                    source=InterestSource.IMPLICIT.value,
                    weight=item.weight,
                    mentions=item.mentions,
                    last_seen_at=item.last_seen_at,
                    updated_at=now,
                )
            )
        await self._session.flush()

    async def set_explicit(self, user_id: int, interest: Interest, now: datetime) -> bool:
        """Insert or turn a topic explicit; False when it already was."""
        row = await self._session.scalar(
            select(UserInterestRow).where(
                UserInterestRow.user_id == user_id, UserInterestRow.topic == interest.topic
            )
        )
        if row is not None and row.source == InterestSource.EXPLICIT.value:
            return False
        statement = upsert(
            self._session,
            UserInterestRow.__table__,
            keys=["user_id", "topic"],
            update=["label", "kind", "source", "weight", "updated_at"],
        ).values(
            user_id=user_id,
            topic=interest.topic,
            label=interest.label[:255],
            kind=interest.kind,
            source=InterestSource.EXPLICIT.value,
            weight=interest.weight,
            mentions=0,
            updated_at=now,
        )
        await self._session.execute(statement)
        return True

    async def remove(self, user_id: int, topic: str, now: datetime) -> Interest | None:
        """Delete an explicit topic; mark an implicit one removed so the sync keeps it out."""
        row = await self._session.scalar(
            select(UserInterestRow).where(
                UserInterestRow.user_id == user_id, UserInterestRow.topic == topic
            )
        )
        if row is None:
            return None
        before = to_interest(row)
        if row.source == InterestSource.EXPLICIT.value:
            await self._session.delete(row)
        else:
            row.source = InterestSource.REMOVED.value
            row.weight = 0.0
            row.updated_at = now
        await self._session.flush()
        return before

    async def mark_synced(
        self, user_id: int, last_question_id: int, topics: int, now: datetime
    ) -> None:
        """Remember how far the user's profile is computed."""
        statement = upsert(
            self._session,
            UserInterestSyncRow.__table__,
            keys=["user_id"],
            update=["last_question_id", "failed_question_id", "topics", "synced_at"],
        ).values(
            user_id=user_id,
            last_question_id=last_question_id,
            failed_question_id=0,
            topics=topics,
            synced_at=now,
        )
        await self._session.execute(statement)

    async def mark_failed(self, user_id: int, last_question_id: int, now: datetime) -> None:
        """Leave the user alone until a DLQ retry or newer questions."""
        row = await self._session.get(UserInterestSyncRow, user_id)
        if row is None:
            self._session.add(
                UserInterestSyncRow(
                    user_id=user_id,
                    last_question_id=0,
                    failed_question_id=last_question_id,
                    topics=0,
                    synced_at=now,
                )
            )
        else:
            row.failed_question_id = last_question_id
        await self._session.flush()

    async def tenant_users(self, tenant_id: int) -> list[int]:
        """Users who asked questions in a chat."""
        rows = await self._session.scalars(
            select(QuestionRow.user_id)
            .where(QuestionRow.tenant_id == tenant_id, QuestionRow.user_id.is_not(None))
            .distinct()
        )
        return sorted(int(user_id) for user_id in rows if user_id is not None)
