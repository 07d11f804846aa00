"""Each Dispatcher builds its own feature routers (no module-level router shared between them)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bot.app import FEATURES, create_dispatcher


@asynccontextmanager
async def _no_database() -> AsyncIterator[Any]:
    yield None


def test_two_dispatchers_keep_their_own_routers() -> None:
    """Building a second Dispatcher leaves the first one's routers in place, in feature order."""
    first = create_dispatcher(_no_database)
    second = create_dispatcher(_no_database)

    expected = [feature.__name__ for feature in FEATURES]
    assert [router.name for router in first.sub_routers] == expected
    assert [router.name for router in second.sub_routers] == expected
    assert all(router.parent_router is first for router in first.sub_routers)
    assert not {id(r) for r in first.sub_routers} & {id(r) for r in second.sub_routers}
