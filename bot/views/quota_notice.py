"""The message a chat sees when one of its daily limits is used up (what limit, when it resets)."""

from __future__ import annotations

from bot.texts import t
from core.quotas.models import QuotaKind
from core.quotas.service import QuotaExceeded


def quota_notice(lang: str, error: QuotaExceeded) -> str:
    """HTML notice put above the extractive answer given instead of an LLM one."""
    key = (
        "quota_exhausted_questions"
        if error.kind is QuotaKind.DAILY_QUESTIONS
        else "quota_exhausted_tokens"
    )
    resets = f"{error.resets_at:%H:%M} UTC" if error.resets_at else "00:00 UTC"
    return t(lang, key, limit=f"{error.limit:,}", resets=resets)
