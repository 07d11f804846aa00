"""`tgassist quota [--json] [--chat CHAT_ID]` and `tgassist quota set --chat CHAT_ID ...`."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict, replace

from app.commands.common import Subparsers, load_settings, opened_container, print_json, run_async
from core.quotas.models import QuotaKind, QuotaOverride
from core.quotas.report import format_table, human_bytes

_DEFAULT = "default"


def _limit(value: str) -> int | str:
    """A limit value: a non-negative integer (0 = unlimited) or `default`."""
    if value == _DEFAULT:
        return value
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a whole number or 'default'") from None
    if number < 0:
        raise argparse.ArgumentTypeError("a limit cannot be negative (0 means unlimited)")
    return number


def register(subparsers: Subparsers) -> None:
    """Add quota (and quota set)."""
    parser = subparsers.add_parser(
        "quota", help="each chat's usage against its limits; `quota set` changes a chat's limits"
    )
    parser.add_argument("--chat", type=int, help="only this chat id, in detail")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=handle)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    setter = actions.add_parser("set", help="override a chat's limits (0 = unlimited)")
    setter.add_argument("--chat", type=int, required=True, help="chat id")
    for kind in QuotaKind:
        setter.add_argument(
            f"--{kind.value.replace('_', '-')}",
            dest=kind.value,
            type=_limit,
            metavar="N|default",
            help=f"{kind.value.replace('_', ' ')} limit, or 'default' to use the setting",
        )
    setter.add_argument("--json", action="store_true", help="print JSON")
    setter.set_defaults(handler=handle_set)


def handle(args: argparse.Namespace) -> int:
    """Print every chat's usage (or one chat's) as a table or JSON."""
    settings = load_settings(quiet=True)

    async def work() -> int:
        async with opened_container(settings) as container:
            report = container.quota_report
            if args.chat is not None:
                one = await report.tenant_by_chat(args.chat)
                if one is None:
                    print(f"error: chat {args.chat} is unknown", file=sys.stderr)
                    return 2
                if args.json:
                    print_json(one.as_dict())
                else:
                    print(format_table([one]))
                    for name, item in sorted(one.storage.items()):
                        print(f"{name}: {human_bytes(item.bytes)} in {item.objects} object(s)")
                return 0
            reports = await report.tenants()
            defaults = container.budget_gate.defaults
        if args.json:
            print_json(
                {
                    "defaults": asdict(defaults),
                    "tenants": [item.as_dict() for item in reports],
                }
            )
        elif not reports:
            print("no chats yet")
        else:
            print(format_table(reports))
            print("⚠ = at or over a limit; limits of 0 are shown as ∞")
        return 0

    return int(run_async(work))


def handle_set(args: argparse.Namespace) -> int:
    """Change a chat's limit overrides; unnamed limits keep their current value."""
    settings = load_settings(quiet=True)
    given = {kind.value: getattr(args, kind.value) for kind in QuotaKind}
    given = {name: value for name, value in given.items() if value is not None}
    if not given:
        print("error: name at least one limit, e.g. --daily-tokens 50000", file=sys.stderr)
        return 2

    async def work() -> int:
        async with opened_container(settings) as container:
            async with container.uow_factory() as uow:
                tenant = await uow.tenants.by_chat_id(args.chat)
                current = await uow.quotas.override(tenant.id) if tenant else None
            if tenant is None:
                print(f"error: chat {args.chat} is unknown", file=sys.stderr)
                return 2
            values = {name: None if value == _DEFAULT else value for name, value in given.items()}
            override = replace(current or QuotaOverride(), **values)
            limits = await container.budget_gate.set_override(tenant.id, override)
        if args.json:
            print_json({"chat": args.chat, "override": asdict(override), "limits": asdict(limits)})
        else:
            shown = ", ".join(f"{name}={value or '∞'}" for name, value in asdict(limits).items())
            print(f"chat {args.chat} limits: {shown}")
        return 0

    return int(run_async(work))
