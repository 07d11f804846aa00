"""Shared by bench scripts: write a section of docs/BENCHMARKS.md, machine facts."""

from __future__ import annotations

import os
import platform
import re
from datetime import UTC, datetime
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "docs" / "BENCHMARKS.md"
# The shared corpus sits next to the checkout (/work/main) or next to the worktrees (/work/wt/x).
SHARED_CORPUS = next(
    (
        base / "shared" / "data" / "telegram-news-ru"
        for base in Path(__file__).resolve().parents[1:4]
        if (base / "shared" / "data" / "telegram-news-ru").exists()
    ),
    Path(__file__).resolve().parents[2] / "shared" / "data" / "telegram-news-ru",
)
HEADER = "# Benchmarks\n\nFigures written by the scripts in `bench/`; each section is replaced on a re-run.\n"


def machine() -> str:
    """A one-line description of where the figures were measured."""
    return (
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores, {platform.machine()}, "
        f"{datetime.now(UTC).strftime('%Y-%m-%d')}"
    )


def write_section(name: str, markdown: str) -> None:
    """Replace (or append) the section `name` of docs/BENCHMARKS.md."""
    text = BENCHMARKS.read_text(encoding="utf-8") if BENCHMARKS.exists() else HEADER
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{start}\n{markdown.strip()}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    text = (
        pattern.sub(lambda _: block, text)
        if pattern.search(text)
        else text.rstrip() + "\n\n" + block + "\n"
    )
    BENCHMARKS.parent.mkdir(parents=True, exist_ok=True)
    BENCHMARKS.write_text(text, encoding="utf-8")
