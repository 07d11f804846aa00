"""Where the bot's CPU goes per answer: the closed loop of `bench/bot_load.py`, CPU-timed.

Run: .venv/bin/python bench/bot_profile.py [--users 200] [--questions 5] [--py-spy OUT.svg]

Same setup as `bench/bot_load.py` (the cached 22,099-post data dir, `tgassist bot` polling in a
child process against the fake Bot API, EMBEDDINGS=none, extractive answers), closed loop only.
It reports the bot process's CPU seconds (user + system, from /proc) spent during the loaded
phase divided by the answers given: CPU ms per answer holds up on a shared, loaded machine
where answers/s and latencies do not. With `--py-spy` the loaded phase is sampled by py-spy
(`pip install py-spy`) into a flame graph (`--format raw` output with a `.txt` name).
`--env KEY=VALUE` passes settings to the bot (e.g. to compare MALLOC_ARENA_MAX).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bot_load import (  # noqa: E402
    DEFAULT_CORPUS,
    GROUP,
    QUESTIONS,
    Sender,
    _rss_mib,
    bot_env,
    load,
    percentile,
    prepared_data,
)
from tests.fakes.bot_api import FakeBotAPI  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


async def run(args: argparse.Namespace, data: Path) -> None:
    """Start the bot, warm it up, then load it while timing its CPU (and sampling it)."""
    questions = [item["question"] for item in json.loads(QUESTIONS.read_text())["questions"]]
    extra = dict(item.split("=", 1) for item in args.env)
    async with FakeBotAPI() as api:
        api.add_chat(GROUP, "supergroup", title="Bench forum", is_forum=True)
        with tempfile.TemporaryDirectory(prefix="tgassist-bot-profile-") as work:
            shutil.copytree(data, Path(work) / "data")
            env = {**bot_env(api, Path(work) / "data", args.questions), **extra}
            errors = (Path(work) / "bot.err").open("w")
            child = await asyncio.to_thread(
                subprocess.Popen,
                [sys.executable, "-m", "app.cli", "bot"],
                cwd=work,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=errors,
            )
            spy = None
            try:
                await api.wait_for("getUpdates", timeout=120)
                sender = Sender(api)  # polling: questions go into getUpdates
                await load(api, sender, 1, 1, questions)  # opens the shard and the pool
                await load(api, sender, 10, 2, questions)  # warms caches
                api.reset()
                idle = _rss_mib(child.pid)
                if args.py_spy:
                    fmt = ["--format", "raw"] if args.py_spy.endswith(".txt") else []
                    spy = await asyncio.to_thread(
                        subprocess.Popen,
                        [
                            str(Path(sys.executable).parent / "py-spy"),
                            "record",
                            "--pid",
                            str(child.pid),
                            "-o",
                            args.py_spy,
                            "--rate",
                            "200",
                            *fmt,
                        ],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                    await asyncio.sleep(1)
                before = cpu_seconds(child.pid)
                results = await load(api, sender, args.users, args.questions, questions)
                spent = cpu_seconds(child.pid) - before
                if spy is not None:
                    spy.send_signal(signal.SIGINT)
                    await asyncio.to_thread(spy.wait)
                peak_now = _peak_mib(child.pid)
                after = _status(child.pid, ("RssAnon", "RssFile", "Threads"))
                names = _thread_names(child.pid)
            finally:
                child.send_signal(signal.SIGTERM)
                await asyncio.to_thread(child.wait)
                errors.close()
    answers = len(results.latencies)
    ordered = sorted(results.latencies)
    print(
        f"{answers} answers in {results.seconds:.1f} s = {answers / results.seconds:.1f}/s; "
        f"p50 {percentile(ordered, 0.5):.0f} ms, p95 {percentile(ordered, 0.95):.0f} ms; "
        f"CPU {spent:.1f} s = {spent / answers * 1000:.1f} ms/answer; "
        f"RSS idle {idle:.0f} MiB, peak {peak_now:.0f} MiB ({after}); "
        f"load {os.getloadavg()[0]:.1f}\nthreads: {dict(names)}"
    )


def _thread_names(pid: int) -> Counter[str]:
    """How many threads of each name the process runs."""
    return Counter(
        (task / "comm").read_text().strip() for task in Path(f"/proc/{pid}/task").iterdir()
    )


def _status(pid: int, keys: tuple[str, ...]) -> str:
    """Some lines of /proc/PID/status, e.g. RssAnon and RssFile after the load."""
    found = []
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in keys:
            found.append(f"{key} {value.strip()}")
    return ", ".join(found)


def _peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    """Parse the options, prepare the data, run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--py-spy", default="", help="flame graph output (.svg, or .txt raw)")
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE for the bot")
    args = parser.parse_args()
    data, _ = prepared_data(args.corpus)
    started = time.perf_counter()
    asyncio.run(run(args, data))
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
