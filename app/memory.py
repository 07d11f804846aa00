"""Process-wide memory tuning for the long-running processes."""

from __future__ import annotations

import ctypes
import ctypes.util
import os

import structlog

log = structlog.get_logger(__name__)

_M_ARENA_MAX = -8  # glibc's mallopt parameter number (malloc.h)
MALLOC_ARENAS = 2


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """At most `arenas` glibc malloc arenas; False where that is not glibc or already set.

    glibc gives threads that allocate at the same time arenas of their own, up to eight per
    core, and returns little of them: the bot's threads (SQLite connections, the index's
    workers, the default executor) left tens of MiB of resident memory behind under load.
    MALLOC_ARENA_MAX in the environment, read by glibc itself, wins over this.
    """
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to tune
        return False
    return bool(mallopt(_M_ARENA_MAX, arenas))
