"""Memory tuning of the long-running processes (glibc malloc arenas)."""

from __future__ import annotations

import platform

import pytest

from app.memory import limit_malloc_arenas


def test_arenas_are_limited_on_glibc_unless_the_environment_says_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """mallopt(M_ARENA_MAX) succeeds on glibc; an explicit MALLOC_ARENA_MAX is left to glibc."""
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert limit_malloc_arenas() is (platform.libc_ver()[0] == "glibc")
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas() is False
