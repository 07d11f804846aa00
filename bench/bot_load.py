"""200 users asking questions at once through Telegram: answers/s, p95 update→reply, peak RSS.

Run: .venv/bin/python bench/bot_load.py [--users 200] [--questions 5] [--corpus PATH]

Setup: the shared corpus (22,099 posts) is imported once into a forum supergroup's tenant with
`tgassist import` (LLM off, EMBEDDINGS=none: lexical retrieval, extractive answers); that data
directory is cached under the system temp dir (keyed by the corpus and the migrations) and
copied fresh for every run, so a re-run skips the ~15-30 s import.

The bot is the real `tgassist bot` in a child process (polling mode: real Dispatcher, real
long polling over HTTP, real SQLite and Qdrant Edge), talking to the fake Bot API
(tests/fakes/bot_api.py) served by this process. Polling rather than `feed_update`: it is how
a single-process deployment receives updates, so getUpdates batching, the HTTP round trips of
sendChatAction/sendMessage and aiogram's task-per-update scheduling are all in the figures; a
child process keeps the load generator and the fake server out of the bot's CPU time and RSS.

Closed loop (`--users`, `--questions`): each simulated user owns one forum topic of the group (``message_thread_id``; the bot's reply
goes to the same topic, which is how a reply is matched to its question) and asks
``--questions`` questions one after another (closed loop: the next once the answer arrived),
all users at once. Open loop (`--rates 25,50,100`, `--seconds`): questions arrive at a fixed
rate, each from one of many users in a topic of its own, whether or not earlier ones were
answered (how real traffic arrives: a slow bot builds a queue instead of slowing its users).
Both run against the same bot process, closed loop first. Latency is measured from putting
the update in the fake's queue to the fake receiving the answer's sendMessage, so it includes
the long-poll pickup.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import machine, write_section  # noqa: E402
from tests.fakes.bot_api import Call, FakeBotAPI  # noqa: E402
from tests.services import free_port  # noqa: E402

DEFAULT_CORPUS = (
    next(
        (
            path
            for path in (ROOT.parent / "shared", ROOT.parents[1] / "shared")  # checkout, worktree
            if path.exists()
        ),
        ROOT.parent / "shared",
    )
    / "data"
    / "telegram-news-ru"
)
QUESTIONS = ROOT / "tests" / "data" / "retrieval_questions.json"
GROUP = -1001500000001  # the forum supergroup whose tenant holds every post
TOKEN_SECRET = "BENCH-token-abcdefghijklmnopqrstuvwxyz"
HOOK_SECRET = "BENCH-hook-secret-abcdefghijklmnopqrstuvwxyz"
FIRST_USER = 10_000
OPEN_LOOP_USERS = 5_000  # open-loop questions come from this many users in turn
OPEN_LOOP_THREADS = 100_000  # open-loop topics start here (closed-loop ones are 1..users)


def _base_env(data_dir: Path) -> dict[str, str]:
    """A clean environment: no DATABASE_URL/REDIS_URL/QDRANT_URL/OPENAI_* from the caller."""
    keep = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
    return {
        **keep,
        "PYTHONPATH": str(ROOT),
        "DATA_DIR": str(data_dir),
        "EMBEDDINGS": "none",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "WARNING",
    }


def bot_env(api: FakeBotAPI, data_dir: Path, questions_per_user: int) -> dict[str, str]:
    """The bot's environment under load: the fake Bot API, and no limit that would refuse the
    benchmark's questions (it measures answers, not the per-user throttle's refusals)."""
    return {
        **_base_env(data_dir),
        "BOT_TOKEN": f"{api.bot_user['id']}:{TOKEN_SECRET}",
        "TELEGRAM_API_BASE": api.base_url,
        "QUESTION_RATE_LIMIT": str(max(questions_per_user * 10, 1000)),
        "QUOTA_DAILY_QUESTIONS": "0",
    }


def _cache_key(corpus: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(corpus.glob("*.json")):
        stat = path.stat()
        digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    for path in sorted((ROOT / "migrations" / "versions").glob("*.py")):
        digest.update(path.name.encode())
    digest.update((ROOT / "storage" / "index" / "common.py").read_bytes())  # payload layout
    return digest.hexdigest()[:16]


def prepared_data(corpus: Path) -> tuple[Path, float | None]:
    """The cached data dir holding the imported corpus (import seconds when built now)."""
    cache = Path(tempfile.gettempdir()) / "tgassist-bench-bot-load" / _cache_key(corpus)
    ready = cache / "ready.json"
    if ready.exists():
        return cache / "data", None
    shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir(parents=True)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "app.cli", "import", str(corpus), "--chat", str(GROUP), "--json"],
        cwd=cache,
        env=_base_env(cache / "data"),
        check=True,
        stdout=(cache / "import.json").open("w"),
    )
    seconds = time.perf_counter() - started
    report = json.loads((cache / "import.json").read_text())
    if report["indexed"] != report["inserted"] + report["updated"] + report["unchanged"]:
        raise SystemExit(f"import left posts unindexed: {report}")
    ready.write_text(json.dumps({"seconds": seconds, **report}))
    return cache / "data", seconds


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    failed_sends: int = 0
    parts: int = 0
    unanswered: int = 0
    offered_seconds: float = 0.0  # open loop: how long sending took (the rate really offered)


class Replies:
    """Routes the bot's answers to the waiting user by forum topic."""

    def __init__(self, api: FakeBotAPI) -> None:
        self._api = api
        self._waiting: dict[int, asyncio.Future[Call]] = {}
        self._seen = 0

    def expect(self, thread: int) -> asyncio.Future[Call]:
        future: asyncio.Future[Call] = asyncio.get_running_loop().create_future()
        self._waiting[thread] = future
        return future

    async def run(self) -> None:
        while True:
            calls = await self._api.wait_for(
                lambda call: call.method == "sendMessage" and call.ok,
                count=self._seen + 1,
                timeout=600,
            )
            for call in calls[self._seen :]:
                future = self._waiting.pop(int(call.params.get("message_thread_id", 0)), None)
                if future is not None and not future.done():
                    future.set_result(call)
            self._seen = len(calls)


class Sender:
    """Hands a question to the bot: into the fake's getUpdates queue (polling), or POSTed to the
    webhook (`--workers`), as Telegram would."""

    def __init__(self, api: FakeBotAPI, webhook: str | None = None) -> None:
        self._api = api
        self._webhook = webhook
        self._http: aiohttp.ClientSession | None = None
        self._update_ids = iter(range(1, 10**9))
        self._posts: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> Sender:
        if self._webhook:
            self._http = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=100),
                headers={"X-Telegram-Bot-Api-Secret-Token": HOOK_SECRET},
            )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._posts:
            await asyncio.gather(*self._posts, return_exceptions=True)
        if self._http is not None:
            await self._http.close()

    def ask(self, question: str, user_id: int, thread: int) -> None:
        """Send one `/ask` in the user's forum topic (returns at once)."""
        message = self._api.message(
            f"/ask {question}",
            chat_id=GROUP,
            chat_type="supergroup",
            user_id=user_id,
            language_code="ru",
            message_thread_id=thread,
            is_topic_message=True,
        )
        if self._http is None or self._webhook is None:
            self._api.add_update(message)
            return
        update = {"update_id": next(self._update_ids), **message}
        task = asyncio.create_task(self._post(update))
        self._posts.add(task)
        task.add_done_callback(self._posts.discard)

    async def _post(self, update: dict[str, object]) -> None:
        assert self._http is not None
        assert self._webhook is not None
        async with self._http.post(self._webhook, json=update) as response:
            if response.status != 200:
                print(f"webhook answered {response.status}", file=sys.stderr)


async def load(
    api: FakeBotAPI, sender: Sender, users: int, per_user: int, questions: list[str]
) -> Results:
    """Closed loop: every user asks `per_user` questions in their own topic, one after another."""
    results = Results()
    replies = Replies(api)
    collector = asyncio.create_task(replies.run())

    async def user(number: int) -> None:
        user_id, thread = FIRST_USER + number, number + 1
        for asked in range(per_user):
            answered = replies.expect(thread)
            queued = time.monotonic()
            sender.ask(questions[(number * 7 + asked) % len(questions)], user_id, thread)
            call = await asyncio.wait_for(answered, timeout=300)
            results.latencies.append(call.at - queued)

    started = time.monotonic()
    try:
        await asyncio.gather(*(user(number) for number in range(users)))
    finally:
        collector.cancel()
    results.seconds = time.monotonic() - started
    _count_sends(api, results)
    return results


async def open_loop(
    api: FakeBotAPI, sender: Sender, rate: float, seconds: float, questions: list[str]
) -> Results:
    """Open loop: `rate` questions a second for `seconds`, each in a new topic, answered or not."""
    results = Results()
    replies = Replies(api)
    collector = asyncio.create_task(replies.run())
    total = max(1, round(rate * seconds))

    async def wait(answered: asyncio.Future[Call], queued: float) -> None:
        try:
            call = await asyncio.wait_for(answered, timeout=120)
        except TimeoutError:
            results.unanswered += 1
            return
        results.latencies.append(call.at - queued)

    waiting = []
    started = time.monotonic()
    try:
        for number in range(total):
            delay = started + number / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            thread = OPEN_LOOP_THREADS + number
            answered = replies.expect(thread)
            queued = time.monotonic()
            user_id = FIRST_USER + number % OPEN_LOOP_USERS
            sender.ask(questions[number % len(questions)], user_id, thread)
            waiting.append(asyncio.create_task(wait(answered, queued)))
        results.offered_seconds = time.monotonic() - started
        await asyncio.gather(*waiting)
    finally:
        collector.cancel()
    results.seconds = time.monotonic() - started
    _count_sends(api, results)
    return results


def _count_sends(api: FakeBotAPI, results: Results) -> None:
    sends = api.calls("sendMessage")
    results.failed_sends = sum(1 for call in sends if not call.ok)
    results.parts = sum(1 for call in sends if call.ok)


def _tree(pid: int) -> list[int]:
    """The process and its descendants (the answer workers of `--workers`)."""
    found = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return found
    for child in children:
        found.extend(_tree(int(child)))
    return found


def _tree_rss_mib(pid: int) -> tuple[float, float]:
    """(RSS of the process and its descendants together, the largest one's RSS), MiB."""
    sizes = []
    for member in _tree(pid):
        try:
            sizes.append(_rss_mib(member))
        except OSError:
            continue
    return sum(sizes), max(sizes, default=0.0)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Measured:
    closed: Results
    opened: dict[float, Results]
    idle: float  # RSS of every process of the bot together, MiB
    peak: float  # the largest sampled total (workers) or the one process's peak (polling)
    peak_process: float  # the largest single process's peak
    code: int
    cpu: list[float] = field(default_factory=list)  # CPU seconds: the parent, then each worker


async def measure(
    data: Path,
    users: int,
    per_user: int,
    rates: list[float],
    seconds: float,
    workers: int | None = None,
) -> Measured:
    """Start the bot on a copy of `data` (polling, or webhook with `--workers N`), load it
    closed then open loop."""
    questions = [item["question"] for item in json.loads(QUESTIONS.read_text())["questions"]]
    opened: dict[float, Results] = {}
    peaks = [0.0, 0.0]
    async with FakeBotAPI() as api:
        api.add_chat(GROUP, "supergroup", title="Bench forum", is_forum=True)
        with tempfile.TemporaryDirectory(prefix="tgassist-bot-load-") as work:
            shutil.copytree(data, Path(work) / "data")
            env = bot_env(api, Path(work) / "data", per_user)
            command = [sys.executable, "-m", "app.cli", "bot"]
            webhook = None
            if workers is not None:
                port = free_port()
                env |= {
                    "WEBHOOK_URL": f"http://127.0.0.1:{port}",
                    "WEBHOOK_HOST": "127.0.0.1",
                    "WEBHOOK_PORT": str(port),
                    "WEBHOOK_SECRET": HOOK_SECRET,
                }
                command += ["--workers", str(workers)]
            errors_path = Path(work) / "bot.err"
            with errors_path.open("w") as errors_file:
                # Popen itself only forks; in a thread so the fake keeps serving meanwhile.
                child = await asyncio.to_thread(
                    subprocess.Popen,
                    command,
                    cwd=work,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=errors_file,
                )

            async def sample() -> None:
                while True:
                    total, largest = _tree_rss_mib(child.pid)
                    peaks[0], peaks[1] = max(peaks[0], total), max(peaks[1], largest)
                    await asyncio.sleep(0.25)

            sampler = asyncio.create_task(sample())
            try:
                if workers is None:
                    await api.wait_for("getUpdates", timeout=120)
                else:
                    [hook] = await api.wait_for("setWebhook", timeout=120)
                    webhook = hook.params["url"]
                async with Sender(api, webhook) as sender:
                    # Warm-up: a question per topic opens the shard and every worker's pool.
                    await load(api, sender, min(users, 8), 1, questions)
                    api.reset()
                    await asyncio.sleep(1)
                    idle = _tree_rss_mib(child.pid)[0]
                    results = await load(api, sender, users, per_user, questions)
                    for rate in rates:
                        api.reset()
                        await asyncio.sleep(2)  # the question log of the previous phase is written
                        opened[rate] = await open_loop(api, sender, rate, seconds, questions)
                cpu = []
                for member in _tree(child.pid):
                    with contextlib.suppress(OSError):
                        cpu.append(_cpu_seconds(member))
            finally:
                sampler.cancel()
                child.send_signal(signal.SIGTERM)
                _, status, usage = await asyncio.to_thread(os.wait4, child.pid, 0)
            errors = errors_path.read_text()
    code = os.waitstatus_to_exitcode(status)
    if '"level": "error"' in errors:
        print(errors[-4000:], file=sys.stderr)
    if workers is None:  # one process: the kernel's exact peak
        peaks = [usage.ru_maxrss / 1024, usage.ru_maxrss / 1024]
    return Measured(results, opened, idle, peaks[0], peaks[1], code, cpu)


def percentile(ordered: list[float], share: float) -> float:
    """The nearest-rank percentile of sorted seconds, in milliseconds."""
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)] * 1000


def _closed_row(
    label: str, args: argparse.Namespace, measured: Measured, *, cpu_column: bool = False
) -> str:
    results = measured.closed
    answers = len(results.latencies)
    ordered = sorted(results.latencies)
    p50, p95, worst = percentile(ordered, 0.5), percentile(ordered, 0.95), ordered[-1] * 1000
    print(
        f"{label}: closed loop {args.users} users x {args.questions} questions: {answers} "
        f"answers in {results.seconds:.1f} s = {answers / results.seconds:.1f} answers/s; "
        f"update->reply p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {worst:.0f} ms; RSS idle "
        f"{measured.idle:.0f} MiB, peak {measured.peak:.0f} MiB (largest process "
        f"{measured.peak_process:.0f}); failed sends {results.failed_sends}, exit code "
        f"{measured.code}; CPU seconds over the whole run (parent, workers) "
        f"{', '.join(f'{seconds:.0f}' for seconds in measured.cpu)}"
    )
    return (
        f"| {args.users} × {args.questions} | {answers} | {results.seconds:.1f} "
        f"| {answers / results.seconds:.1f} | {p50:.0f} | {p95:.0f} | {worst:.0f} "
        f"| {measured.idle:.0f} | {measured.peak:.0f} |"
        + (f" {' / '.join(f'{seconds:.0f}' for seconds in measured.cpu)} |" if cpu_column else "")
    )


def _open_rows(label: str, measured: Measured) -> list[str]:
    rows = []
    for offered, outcome in measured.opened.items():
        times = sorted(outcome.latencies)
        asked = len(times) + outcome.unanswered
        row = (
            f"| {offered:g} | {asked / outcome.offered_seconds:.1f} | {len(times)} "
            f"| {outcome.unanswered} | {percentile(times, 0.5):.0f} "
            f"| {percentile(times, 0.95):.0f} | {percentile(times, 0.99):.0f} |"
        )
        rows.append(row)
        print(f"{label}: open loop {offered:g} q/s: {row}")
    return rows


OPEN_HEADER = (
    "| offered q/s | achieved q/s | answered | unanswered (120 s) | p50 ms | p95 ms | p99 ms |\n"
    "|---|---|---|---|---|---|---|\n"
)


def main() -> None:
    """Prepare (or reuse) the data, run the load, print and record the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--questions", type=int, default=5, help="questions per user")
    parser.add_argument(
        "--rates", default="25,50,100", help="open-loop questions/s, comma-separated ('' for none)"
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="open-loop seconds per rate")
    parser.add_argument(
        "--workers",
        default="",
        help="webhook mode with `tgassist bot --workers N` for each N, comma-separated "
        "(e.g. 1,2); empty: one polling process",
    )
    parser.add_argument("--no-record", action="store_true", help="do not write BENCHMARKS.md")
    args = parser.parse_args()
    rates = [float(rate) for rate in args.rates.split(",") if rate.strip()]
    counts: list[int | None] = [int(count) for count in args.workers.split(",") if count.strip()]
    data, import_seconds = prepared_data(args.corpus)
    load_before = os.getloadavg()[0]  # other work on the machine skews the figures
    prepared = "imported now" if import_seconds is not None else "reused from cache"
    print(f"data: {data} ({prepared})")
    runs: list[tuple[int | None, Measured]] = [
        (count, asyncio.run(measure(data, args.users, args.questions, rates, args.seconds, count)))
        for count in (counts or [None])
    ]
    load_after = os.getloadavg()[0]
    closed_rows: list[str] = []
    open_rows: list[str] = []
    for count, measured in runs:
        label = "polling" if count is None else f"{count} worker{'s' if count > 1 else ''}"
        closed_rows.append(_closed_row(label, args, measured, cpu_column=bool(counts)))
        open_rows.extend(
            f"| {label} " + row if counts else row for row in _open_rows(label, measured)
        )
    print(f"load average before {load_before:.1f}, after {load_after:.1f}")
    if args.no_record:
        return
    setup = (
        f"Measured on {machine()} (1-minute load average {load_before:.1f} before the run, "
        f"{load_after:.1f} after; the machine is shared, so these are lower bounds on a quiet "
        "one). One forum supergroup whose tenant holds all 22,099 posts of the shared corpus "
        "(SQLite + Qdrant Edge, EMBEDDINGS=none, no LLM: extractive answers), the fake Bot API "
        f"in the benchmark's process. Closed loop: {args.users} users, each in their own topic, "
        f"ask {args.questions} `/ask` questions one after another (the 40 questions of "
        "`tests/data/retrieval_questions.json`), all at once."
    )
    open_intro = (
        f"\n\nOpen loop, same bot afterwards: questions arrive at a fixed rate for "
        f"{args.seconds:g} s each, every one from one of {OPEN_LOOP_USERS} users in a topic "
        "of its own, whether or not earlier ones were answered.\n\n"
    )
    if not counts:
        write_section(
            "bot_load",
            "## Bot under load: concurrent questions through Telegram (`bench/bot_load.py`)\n\n"
            + setup
            + " `tgassist bot` (polling, one process) in a child process. Latency: update "
            "queued at the fake → the answer's sendMessage received (long-poll pickup "
            "included).\n\n"
            "| users × questions | answers | seconds | answers/s | p50 ms | p95 ms | max ms "
            "| RSS idle MiB | peak RSS MiB |\n"
            "|---|---|---|---|---|---|---|---|---|\n"
            + closed_rows[0]
            + ((open_intro + OPEN_HEADER + "\n".join(open_rows)) if open_rows else ""),
        )
        return
    labelled = [f"| {count} " + row for (count, _), row in zip(runs, closed_rows, strict=True)]
    write_section(
        "bot_load_workers",
        "## Answer workers: `tgassist bot --workers N` (`bench/bot_load.py --workers 1,2`)\n\n"
        + setup
        + " Webhook mode: the benchmark POSTs each update to the receiver (the parent process), "
        "which hands it to the worker of its topic; latency is POST sent → the answer's "
        "sendMessage received. RSS is every process of the bot together (parent + workers), "
        "sampled every 0.25 s. CPU seconds cover the whole run (closed and open loop).\n\n"
        "| workers | users × questions | answers | seconds | answers/s | p50 ms | p95 ms "
        "| max ms | RSS idle MiB | peak RSS MiB | CPU s: parent / each worker |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|\n"
        + "\n".join(labelled)
        + (
            (open_intro + "| workers " + OPEN_HEADER.replace("\n|---", "\n|---|---", 1))
            + "\n".join(open_rows)
            if open_rows
            else ""
        ),
    )


if __name__ == "__main__":
    main()
