"""A channel's identity across sources: the id it was stored by and the username it is cited by."""

from __future__ import annotations

import structlog

from core.channels.ports import ChannelIdentityUnitOfWork
from core.models import Channel, SourceKind

log = structlog.get_logger(__name__)


async def learn_username(
    uow: ChannelIdentityUnitOfWork,
    channel: Channel,
    username: str,
    *,
    source: SourceKind | None = None,
) -> Channel:
    """Give a channel its public username (new or changed) and re-index its posts' links.

    Left as it is when it already has that name or another stored channel holds it.
    """
    if channel.username and channel.username.lower() == username.lower():
        return channel
    holder = await uow.channels.by_username(username)
    if holder is not None:
        log.warning(
            "channel_username_taken", channel_id=channel.id, username=username, holder=holder.id
        )
        return channel
    await uow.channels.update_info(channel.id, username=username, source=source)
    await uow.posts.reindex_channel(channel.id)
    log.info("channel_username_learned", channel_id=channel.id, username=username)
    return await uow.channels.by_id(channel.id) or channel
