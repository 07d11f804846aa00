"""Memory per tenant: peak RSS and open files of one process serving 1, 100 and 1,000 tenants.

Run: .venv/bin/python bench/tenants_memory.py [--posts 240] [--corpus PATH]

Every tenant follows the same 24 channels of the shared corpus (embedded defaults: one Qdrant
Edge shard per tenant, lexical index). Indexing 22,099 posts a thousand times over is hours of
work, so each tenant's shard holds `--posts` posts (an even share of every channel); the shards
are built once (one indexed, copied for the others) and cached under the system temp dir. Then, for each tenant count, a fresh child
process opens the index the way the bot does (`INDEX_MAX_OPEN_SHARDS`: 32 and 64) and asks one
question of every tenant twice over; it reports its peak RSS (VmHWM), open files and open
shards. The same is measured with the cap lifted (every shard stays open), as before this change.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bot_load import DEFAULT_CORPUS  # noqa: E402
from bench.report import machine, write_section  # noqa: E402

if TYPE_CHECKING:
    from storage.index.edge import EdgePostIndex

COUNTS = (1, 100, 1000)


def _documents(corpus: Path, posts: int) -> list[dict[str, object]]:
    """An even share of every channel's text posts, as plain fields of IndexDocument."""
    files = sorted(corpus.glob("channel_*.json"))
    share = max(1, posts // len(files))
    picked: list[dict[str, object]] = []
    for channel, path in enumerate(files, start=1):
        export = json.loads(path.read_text(encoding="utf-8"))
        texts = [
            message
            for message in export["messages"]
            if isinstance(message.get("text"), str) and len(message["text"]) > 40
        ]
        for message in texts[:share]:
            picked.append(
                {
                    "post_id": len(picked) + 1,
                    "channel_id": channel,
                    "channel_username": None,
                    "channel_title": str(export["name"]),
                    "message_id": int(message["id"]),
                    "date": int(message["date_unixtime"]),
                    "permalink": f"https://t.me/c/{export['id']}/{message['id']}",
                    "text": message["text"],
                }
            )
    return picked


def _index(root: Path, max_open: int) -> EdgePostIndex:
    from storage.index.edge import EdgePostIndex
    from storage.index.sparse import SparseEncoder

    return EdgePostIndex(root, SparseEncoder(), None, max_open=max_open)


async def _build_one(root: Path, documents_path: Path) -> None:
    from core.ports import IndexDocument

    raw = json.loads(documents_path.read_text(encoding="utf-8"))  # noqa: ASYNC240
    documents = [
        IndexDocument(**{**item, "date": datetime.fromtimestamp(item["date"], UTC)}) for item in raw
    ]
    index = _index(root, 8)
    try:
        await index.upsert(1, documents)
    finally:
        await index.close()


async def _serve(root: Path, tenants: int, max_open: int) -> dict[str, float]:
    raw = json.loads((root / "documents.json").read_text(encoding="utf-8"))
    questions = [" ".join(str(item["text"]).split()[:6]) for item in raw]  # words of a post
    index = _index(root, max_open)
    try:
        for round_ in range(2):
            for tenant in range(1, tenants + 1):
                question = questions[(tenant * 7 + round_) % len(questions)]
                hits = await index.search(tenant, question)
                assert hits, f"tenant {tenant} found nothing for {question!r}"
        status = Path("/proc/self/status").read_text().splitlines()  # noqa: ASYNC240
        fields = {line.split(":")[0]: line.split()[1] for line in status if line.startswith("Vm")}
        return {
            "peak_mib": int(fields["VmHWM"]) / 1024,
            "rss_mib": int(fields["VmRSS"]) / 1024,
            "files": len(os.listdir("/proc/self/fd")),
            "open_shards": index.open_shards,
        }
    finally:
        await index.close()


def _child(*argv: str) -> str:
    completed = subprocess.run(
        [sys.executable, __file__, *argv],
        env={**os.environ, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stdout.strip().splitlines()[-1]


def main() -> None:
    """Build (or reuse) the shards, measure each tenant count in a fresh process, record."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--posts", type=int, default=240, help="posts per tenant")
    parser.add_argument(
        "--cap", default="32,64", help="INDEX_MAX_OPEN_SHARDS values to measure, comma-separated"
    )
    parser.add_argument(
        "--uncapped-max",
        type=int,
        default=100,
        help="measure with every shard open only up to this many tenants (1,000 open shards "
        "need about 8 GB)",
    )
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the built shards for a re-run")
    parser.add_argument("--child", nargs=3, metavar=("ACTION", "ROOT", "N"), help=argparse.SUPPRESS)
    parser.add_argument("--open", type=int, default=64, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        action, root, count = args.child
        if action == "build":
            asyncio.run(_build_one(Path(root), Path(root) / "documents.json"))
            first = Path(root) / "t1_posts"
            for tenant in range(2, int(count) + 1):  # the same posts: a copy of the first shard
                # Sparse-aware: a shard's files are ~150 MB apparent but ~1 MB on disk, and a
                # plain copy would write every hole out (a thousand of them fill a disk).
                subprocess.run(
                    [
                        "cp",
                        "-r",
                        "--sparse=always",
                        str(first),
                        str(Path(root) / f"t{tenant}_posts"),
                    ],
                    check=True,
                )
            print("built")
        else:
            print(json.dumps(asyncio.run(_serve(Path(root), int(count), args.open))))
        return
    layout = hashlib.sha256((ROOT / "storage" / "index" / "edge.py").read_bytes()).hexdigest()[:8]
    cache = (
        Path(tempfile.gettempdir())
        / "tgassist-bench-tenants"
        / f"{args.posts}-{max(COUNTS)}-{layout}"  # shards made by this index code
    )
    if not (cache / "ready").exists():
        shutil.rmtree(cache, ignore_errors=True)
        cache.mkdir(parents=True)
        documents = _documents(args.corpus, args.posts)
        (cache / "documents.json").write_text(json.dumps(documents), encoding="utf-8")
        print(f"building {max(COUNTS)} shards of {len(documents)} posts in {cache} ...")
        _child("--child", "build", str(cache), str(max(COUNTS)))
        (cache / "ready").write_text("ok")
    load_before = os.getloadavg()[0]
    rows = []
    caps = [int(cap) for cap in args.cap.split(",") if cap.strip()]
    for count in COUNTS:
        for cap in [*caps, 1_000_000]:
            if cap == 1_000_000 and (count <= min(caps) or count > args.uncapped_max):
                continue  # the cap changes nothing below it; above, the machine's memory runs out
            if cap != min(caps) and cap != 1_000_000 and count <= min(caps):
                continue  # below every cap: one row says it
            figures = json.loads(
                _child("--child", "serve", str(cache), str(count), "--open", str(cap))
            )
            label = f"{cap}" if cap != 1_000_000 else "none (every shard stays open)"
            row = (
                f"| {count} | {label} | {figures['open_shards']} | {figures['peak_mib']:.0f} "
                f"| {figures['files']} |"
            )
            rows.append(row)
            print(row)
    posts = len(json.loads((cache / "documents.json").read_text(encoding="utf-8")))
    if not args.keep:
        shutil.rmtree(cache, ignore_errors=True)  # about 1 GB of shards
    if args.no_record:
        return
    write_section(
        "tenants_memory",
        "## Memory per tenant (`bench/tenants_memory.py`)\n\n"
        f"Measured on {machine()} (1-minute load average {load_before:.1f}: the machine is "
        "shared; RSS does not depend on load much). One process with the embedded index "
        f"(Qdrant Edge, lexical); every tenant has its own shard holding the same {posts} posts "
        "(an even share of the 24 channels of the shared corpus) and is asked one question, "
        "twice over all tenants. Open files counted at the end.\n\n"
        "| tenants | open-shard cap | shards open at the end | peak RSS MiB | open files |\n"
        "|---|---|---|---|---|\n" + "\n".join(rows),
    )


if __name__ == "__main__":
    main()
