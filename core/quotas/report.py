"""Per-tenant usage against limits, for /quota, `tgassist quota` and the metrics endpoint."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.metrics import Metrics
from core.models import Tenant
from core.ports import UnitOfWorkFactory
from core.quotas.models import ContentType, QuotaKind, StorageUsage, TokenUsage
from core.quotas.ports import QuotaReportUnitOfWork
from core.quotas.service import BudgetGate


@dataclass(frozen=True, slots=True)
class TenantQuotaReport:
    """One tenant's usage and limits (limits of 0 are unlimited)."""

    tenant_id: int
    chat_id: int
    title: str | None
    channels: int
    channel_limit: int
    posts: int
    vectors: int | None  # None until the storage job has counted the index
    storage: dict[str, StorageUsage]
    storage_limit: int
    tokens: TokenUsage
    questions_today: int
    question_limit: int
    resets_at: datetime
    at_limit: list[str] = field(default_factory=list)

    @property
    def storage_bytes(self) -> int:
        """Total recorded bytes over every content type."""
        return sum(item.bytes for item in self.storage.values())

    @property
    def measured_at(self) -> datetime | None:
        """When storage was last measured."""
        moments = [item.computed_at for item in self.storage.values() if item.computed_at]
        return max(moments) if moments else None

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of `tgassist quota --json`."""
        return {
            "tenant_id": self.tenant_id,
            "chat_id": self.chat_id,
            "title": self.title,
            "channels": {"used": self.channels, "limit": self.channel_limit},
            "posts": self.posts,
            "vectors": self.vectors,
            "storage": {
                "bytes": self.storage_bytes,
                "limit": self.storage_limit,
                "by_type": {
                    name: {"bytes": item.bytes, "objects": item.objects}
                    for name, item in sorted(self.storage.items())
                },
                "measured_at": self.measured_at.isoformat() if self.measured_at else None,
            },
            "tokens_today": {
                "used": self.tokens.used,
                "reserved": self.tokens.reserved,
                "limit": self.tokens.limit,
            },
            "questions_today": {"used": self.questions_today, "limit": self.question_limit},
            "resets_at": self.resets_at.isoformat(),
            "at_limit": self.at_limit,
        }


def _at_or_over(used: int, limit: int) -> bool:
    return limit > 0 and used >= limit


class QuotaReportService:
    """Builds quota reports from the database, the token ledger and the limits."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory[QuotaReportUnitOfWork], gate: BudgetGate
    ) -> None:
        self._uow_factory = uow_factory
        self._gate = gate

    async def tenants(self) -> list[TenantQuotaReport]:
        """Every tenant's report, oldest tenant first."""
        async with self._uow_factory() as uow:
            tenants = await uow.tenants.list_all()
        return await self._reports(tenants)

    async def tenant_by_chat(self, chat_id: int) -> TenantQuotaReport | None:
        """The report of one chat's tenant, or None when the bot has never met that chat."""
        async with self._uow_factory() as uow:
            tenant = await uow.tenants.by_chat_id(chat_id)
        if tenant is None:
            return None
        return (await self._reports([tenant]))[0]

    async def _reports(self, tenants: list[Tenant]) -> list[TenantQuotaReport]:
        ids = [tenant.id for tenant in tenants]
        tokens = await self._gate.token_usage_many(ids)
        questions = await self._gate.questions_today()
        resets_at = self._gate.resets_at()
        reports = []
        async with self._uow_factory() as uow:
            usage: dict[int, dict[str, StorageUsage]] = {}
            for item in await uow.quotas.storage_usage():
                usage.setdefault(item.tenant_id, {})[item.content_type] = item
            for tenant in tenants:
                limits = await self._gate.limits(tenant.id)
                channels = await uow.channels.subscription_count(tenant.id)
                storage = usage.get(tenant.id, {})
                index = storage.get(ContentType.INDEX)
                report = TenantQuotaReport(
                    tenant_id=tenant.id,
                    chat_id=tenant.chat_id,
                    title=tenant.title,
                    channels=channels,
                    channel_limit=limits.channels,
                    posts=await uow.posts.count_for_tenant(tenant.id),
                    vectors=index.objects if index else None,
                    storage=storage,
                    storage_limit=limits.storage_bytes,
                    tokens=tokens[tenant.id],
                    questions_today=questions.get(tenant.id, 0),
                    question_limit=limits.daily_questions,
                    resets_at=resets_at,
                )
                reports.append(_mark_limits(report))
        return reports

    async def publish(self, metrics: Metrics) -> None:
        """Set the gauges that mirror stored state: storage, token budgets, ingestion lag."""
        for report in await self.tenants():
            for name, item in report.storage.items():
                metrics.tenant_storage(report.tenant_id, name, item.bytes, item.objects)
            metrics.budget_tokens(report.tenant_id, report.tokens.used, report.tokens.limit)
        async with self._uow_factory() as uow:
            lags = await uow.quotas.ingestion_lags()
        for channel, seconds in lags.items():
            metrics.ingestion_lag(channel, seconds)


def _mark_limits(report: TenantQuotaReport) -> TenantQuotaReport:
    reached = []
    if _at_or_over(report.tokens.used + report.tokens.reserved, report.tokens.limit):
        reached.append(QuotaKind.DAILY_TOKENS.value)
    if _at_or_over(report.storage_bytes, report.storage_limit):
        reached.append(QuotaKind.STORAGE_BYTES.value)
    if _at_or_over(report.channels, report.channel_limit):
        reached.append(QuotaKind.CHANNELS.value)
    if _at_or_over(report.questions_today, report.question_limit):
        reached.append(QuotaKind.DAILY_QUESTIONS.value)
    report.at_limit.extend(reached)
    return report


def human_bytes(size: int) -> str:
    """A byte count people read at a glance: 0 B, 980 B, 1.2 KB, 15.0 MB (1 KB = 1024 B)."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def human_count(count: int) -> str:
    """A compact count for narrow tables: 950, 1.2k, 200k, 3.4M."""
    if count < 1000:
        return str(count)
    if count < 1_000_000:
        return f"{count / 1000:.1f}k".replace(".0k", "k") if count < 10_000 else f"{count // 1000}k"
    return f"{count / 1_000_000:.1f}M"


_COLUMNS = (
    "",
    "chat",
    "channels",
    "posts",
    "vectors",
    "media",
    "vision",
    "index",
    "tokens",
    "questions",
    "title",
)


def _of(used: str, limit: int, shown_limit: str | None = None) -> str:
    return f"{used}/{shown_limit or limit}" if limit > 0 else f"{used}/∞"


def _row(report: TenantQuotaReport) -> list[str]:
    storage = report.storage
    return [
        "⚠" if report.at_limit else " ",
        str(report.chat_id),
        _of(str(report.channels), report.channel_limit),
        human_count(report.posts),
        "?" if report.vectors is None else human_count(report.vectors),
        *(
            human_bytes(storage[kind].bytes) if kind in storage else "-"
            for kind in (ContentType.MEDIA, ContentType.VISION, ContentType.INDEX)
        ),
        _of(human_count(report.tokens.used), report.tokens.limit, human_count(report.tokens.limit)),
        _of(str(report.questions_today), report.question_limit),
        (report.title or "")[:20],
    ]


def format_table(reports: list[TenantQuotaReport], headers: Sequence[str] | None = None) -> str:
    """A plain monospace table of every tenant's usage; ⚠ marks tenants at or over a limit.

    `headers` names the columns after the marker (chat … title) in a reader's language;
    English by default.
    """
    names = list(_COLUMNS) if headers is None else ["", *headers]
    if len(names) != len(_COLUMNS):
        raise ValueError(f"a quota table has {len(_COLUMNS) - 1} named columns")
    rows = [names, *(_row(report) for report in reports)]
    widths = [max(len(row[column]) for row in rows) for column in range(len(_COLUMNS))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
