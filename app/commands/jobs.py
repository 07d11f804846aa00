"""`tgassist jobs list` and `tgassist jobs run NAME`: the scheduler's jobs, once, from the shell."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from app.commands.common import Subparsers, load_settings, opened_container, print_json, run_async
from jobs.registry import SPECS, build_jobs
from jobs.scheduler import run_job


def register(subparsers: Subparsers) -> None:
    """Add jobs."""
    parser = subparsers.add_parser("jobs", help="list the scheduled jobs or run one now")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="every job with its interval")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=handle_list)
    runner = actions.add_parser("run", help="run one job once and print its result")
    runner.add_argument("name", help="job name (see `tgassist jobs list`)")
    runner.add_argument("--json", action="store_true", help="print the result as JSON")
    runner.set_defaults(handler=handle_run)


def handle_list(args: argparse.Namespace) -> int:
    """Print every registered job, its interval from settings and what it does."""
    settings = load_settings(quiet=True)
    rows: list[dict[str, Any]] = [
        {
            "name": spec.name,
            "interval_seconds": spec.interval_seconds(settings),
            "description": spec.description,
        }
        for spec in SPECS.values()
    ]
    if args.json:
        print_json({"jobs": rows})
    else:
        for row in rows:
            every = f"every {row['interval_seconds']:g}s" if row["interval_seconds"] > 0 else "off"
            print(f"{row['name']}\t{every}\t{row['description']}")
    return 0


def handle_run(args: argparse.Namespace) -> int:
    """Run one job now; exit 1 when it failed."""
    name = args.name
    if name not in SPECS:
        print(f"error: no job named {name!r}; known: {', '.join(SPECS)}", file=sys.stderr)
        return 2
    settings = load_settings(quiet=True)

    async def work() -> int:
        async with opened_container(settings) as container:
            job = build_jobs(container, interactive=True)[name]
            result = await run_job(job, container.job_locks, settings)
        if args.json:
            print_json({"job": name, "result": result})
        else:
            print(" ".join(f"{key}={value}" for key, value in result.items()) or "done")
        return 1 if result.get("error") else 0

    return int(run_async(work))
