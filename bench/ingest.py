"""Import and index the whole shared corpus into a fresh tenant; posts/s and peak RSS.

Run: .venv/bin/python bench/ingest.py [--corpus PATH] [--modes none,local]
Each mode runs `tgassist import` in a fresh data directory as a child process, so its peak RSS
is the child's own.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import machine, write_section

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "telegram-news-ru"
TARGETS = {"none": 1000.0, "local": 60.0}


def run_import(corpus: Path, embeddings: str) -> dict[str, float]:
    """One timed import in a child process; returns posts, seconds, posts/s, peak RSS MiB."""
    with tempfile.TemporaryDirectory(prefix="tgassist-bench-") as data:
        env = {**os.environ, "DATA_DIR": data, "EMBEDDINGS": embeddings, "LOG_LEVEL": "WARNING"}
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "import", str(corpus), "--chat", "1", "--json"],
            cwd=data,
            env={**env, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        out = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)  # reap it ourselves to get its own peak RSS
        seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    rss = usage.ru_maxrss / 1024
    if code != 0:
        raise SystemExit(f"import failed in mode {embeddings}: exit {code}")
    report = json.loads(out)
    return {
        "posts": report["indexed"],
        "seconds": seconds,
        "rate": report["indexed"] / seconds,
        "rss_mib": rss,
    }


def main() -> None:
    """Measure each mode, print the figures, record them."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--modes", default="none,local")
    args = parser.parse_args()
    rows = []
    for mode in args.modes.split(","):
        figures = run_import(args.corpus, mode)
        label = (
            "lexical only (EMBEDDINGS=none)"
            if mode == "none"
            else "default, local dense vectors (EMBEDDINGS=local)"
        )
        verdict = (
            "meets" if figures["rate"] >= TARGETS[mode] and figures["rss_mib"] < 1024 else "MISSES"
        )
        print(
            f"{label}: {figures['posts']:.0f} posts in {figures['seconds']:.1f} s = "
            f"{figures['rate']:.0f} posts/s, peak RSS {figures['rss_mib']:.0f} MiB ({verdict} target)"
        )
        rows.append(
            f"| {label} | {figures['posts']:.0f} | {figures['seconds']:.1f} | {figures['rate']:.0f} | "
            f"≥ {TARGETS[mode]:.0f} | {figures['rss_mib']:.0f} | < 1024 |"
        )
    write_section(
        "ingest",
        "## Ingest: import + index the shared corpus (`bench/ingest.py`)\n\n"
        f"Measured on {machine()}; each mode in a fresh data directory (SQLite + Qdrant Edge), "
        "store and index included.\n\n"
        "| mode | posts | seconds | posts/s | target | peak RSS MiB | target |\n"
        "|---|---|---|---|---|---|---|\n" + "\n".join(rows),
    )


if __name__ == "__main__":
    main()
