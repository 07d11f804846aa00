"""Notices "✅ @name: N posts indexed", each sent exactly once, also across restarts.

A notice is a subscription row carrying the message id of its /subscribe reply. Whenever the
background indexer finishes a tenant, the notices of channels with nothing left pending are
claimed (the id cleared in the same transaction that reads it) and then sent; a send that
fails gives the claim back, so a later run tries again.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog

from core.channels.ports import ChannelsUnitOfWork
from core.index_progress.models import ChannelBacklog
from core.index_progress.ports import IndexedNoticeSender
from core.ports import UnitOfWorkFactory

log = structlog.get_logger(__name__)


class IndexProgressService:
    """Watches subscriptions until their posts are indexed; reports per-channel backlogs."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory[ChannelsUnitOfWork],
        recheck: Callable[[int], None],
        sender: IndexedNoticeSender | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self._recheck = recheck  # wakes the background indexer, which then calls notify()
        self.sender = sender  # set once a bot exists (the CLI has none)

    async def watch(
        self, uow: ChannelsUnitOfWork, tenant_id: int, channel_id: int, message_id: int
    ) -> None:
        """Remember the reply to edit once this channel's posts are in the chat's index."""
        await uow.channels.set_indexed_notice(tenant_id, channel_id, message_id)
        await uow.commit()
        self._recheck(tenant_id)  # indexing may have finished before the reply was sent

    async def backlog(self, uow: ChannelsUnitOfWork, tenant_id: int) -> dict[int, ChannelBacklog]:
        """Per channel id: posts waiting to be indexed for this chat and the last error."""
        return await uow.posts.backlog_by_channel(tenant_id)

    async def tenants_waiting(self) -> list[int]:
        """Tenants with notices not yet sent (to check at start-up)."""
        async with self._uow_factory() as uow:
            return sorted({notice.tenant_id for notice in await uow.channels.indexed_notices()})

    async def notify(self, tenant_id: int) -> int:
        """Send the notices of the tenant's fully indexed channels; how many were sent."""
        if self.sender is None:
            return 0
        async with self._uow_factory() as uow:
            notices = await uow.channels.indexed_notices(tenant_id)
            if not notices:
                return 0
            backlog = await uow.posts.backlog_by_channel(tenant_id)
            posts = {
                item.channel.id: item.post_count
                for item in await uow.channels.subscribed(tenant_id)
            }
            ready = []
            for notice in notices:
                if backlog.get(notice.channel.id, ChannelBacklog()).pending:
                    continue
                if await uow.channels.clear_indexed_notice(
                    tenant_id, notice.channel.id, notice.message_id
                ):
                    ready.append(notice)
            await uow.commit()
        sent = 0
        for notice in ready:
            try:
                await self.sender.channel_indexed(notice, posts.get(notice.channel.id, 0))
                sent += 1
            except Exception as error:  # Telegram down: give the claim back for a later run
                log.warning(
                    "indexed_notice_failed",
                    tenant_id=tenant_id,
                    channel_id=notice.channel.id,
                    error=str(error),
                )
                async with self._uow_factory() as uow:  # no recheck: that would loop while down
                    await uow.channels.set_indexed_notice(
                        tenant_id, notice.channel.id, notice.message_id
                    )
                    await uow.commit()
        if sent:
            log.info("indexed_notices_sent", tenant_id=tenant_id, notices=sent)
        return sent
