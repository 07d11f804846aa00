"""Ingest types: what an import did."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class ImportReport:
    """What an import stored."""

    files: int = 0
    channels: list[str] = field(default_factory=list)
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    rejected: list[str] = field(default_factory=list)  # "FILE: message ID (#INDEX): why"
