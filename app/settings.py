"""Every setting of tgassist, read from the environment and `.env` (pydantic-settings)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# `tgassist --env-file PATH` puts PATH here for every settings read of the process.
ENV_FILE_VARIABLE = "TGASSIST_ENV_FILE"


class Settings(BaseSettings):
    """Configuration; with nothing but BOT_TOKEN everything runs embedded on one machine."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    # Telegram
    bot_token: SecretStr = SecretStr("")
    telegram_api_base: str = "https://api.telegram.org"
    telegram_web_base: str = "https://t.me"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None  # required with WEBHOOK_URL: 32+ of A-Z a-z 0-9 _ -
    webhook_path: str | None = (
        None  # empty: /webhook/<hash of the secret>, the same on every replica
    )
    webhook_host: str = "0.0.0.0"  # noqa: S104 - a webhook server listens on all interfaces
    webhook_port: int = 8080
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()

    # Storage
    data_dir: Path = Path("./data")
    database_url: str | None = None
    qdrant_url: str | None = None
    qdrant_api_key: SecretStr | None = None
    redis_url: str | None = None

    # Channels
    max_channels_per_chat: int = Field(default=50, ge=1)
    backfill_posts: int = Field(default=100, ge=0, le=5000)
    poll_interval_minutes: float = Field(default=10.0, gt=0)
    poll_jitter_seconds: float = Field(default=60.0, ge=0)
    index_batch_size: int = Field(default=256, ge=1)
    subscribe_rate_limit: int = Field(default=5, ge=1)  # subscription changes per user ...
    subscribe_rate_window_seconds: float = Field(default=60.0, gt=0)  # ... in this window
    unreadable_channel_cache_seconds: float = Field(default=900.0, ge=0)

    # Embeddings and LLM
    embeddings: Literal["local", "openai", "none"] = "local"
    embedding_model: str = "text-embedding-3-small"
    # Dense vectors come from the `embed` job, off the ingest path (search: embedding feature).
    embed_max_tokens: int = Field(
        default=128, ge=0
    )  # 0 = the whole text; chosen by bench/embedding.py
    embed_batch_size: int = Field(default=16, ge=1)
    embed_interval_seconds: float = Field(default=30.0, ge=0)
    embed_job_seconds: float = Field(default=240.0, gt=0)
    embed_busy_threads: int = Field(default=1, ge=1)
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_timeout_seconds: float = Field(default=30.0, gt=0)
    llm_max_retries: int = Field(default=2, ge=0)
    vision_model: str | None = None

    # Questions
    answer_sources: int = Field(default=5, ge=1, le=10)
    llm_max_answer_tokens: int = Field(default=800, ge=50)
    question_rate_limit: int = Field(default=5, ge=1)
    question_rate_window_seconds: float = Field(default=60.0, gt=0)

    # Quotas (0 = unlimited; per-tenant overrides through `tgassist quota set`)
    quota_daily_tokens: int = Field(default=200_000, ge=0)
    quota_storage_bytes: int = Field(default=1024**3, ge=0)
    quota_daily_questions: int = Field(default=300, ge=0)
    # A reservation left by a crashed LLM call stops counting after this (settled ones at once).
    llm_reservation_ttl_seconds: float = Field(default=600.0, ge=10)
    storage_usage_interval_hours: float = Field(default=6.0, ge=0)

    # Media store and vision
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_access_key_id: SecretStr | None = None
    s3_secret_access_key: SecretStr | None = None
    media_max_bytes: int = Field(default=15 * 1024 * 1024, ge=1)
    media_allowed_types: Annotated[frozenset[str], NoDecode] = frozenset(
        {"image/jpeg", "image/png", "image/webp", "image/gif"}
    )
    # Hosts post images are fetched from (`*` wildcards); redirects elsewhere are refused.
    media_allowed_hosts: Annotated[frozenset[str], NoDecode] = frozenset(
        {"cdn*.telesco.pe", "cdn*.cdn-telegram.org", "cdn*.telegram-cdn.org"}
    )
    media_fetch_interval_minutes: float = Field(default=10.0, ge=0)
    vision_interval_minutes: float = Field(default=15.0, ge=0)
    vision_batch_size: int = Field(default=20, ge=1)
    vision_max_retries: int = Field(default=2, ge=0)
    vision_tokens_per_image: int = Field(default=1000, ge=1)

    # Trends and alerts
    trends_interval_minutes: float = Field(default=15.0, ge=0)
    trends_window_hours: float = Field(default=6.0, gt=0)
    trends_baseline_days: float = Field(default=7.0, gt=0)
    trends_min_channels: int = Field(default=3, ge=1)
    trends_min_z: float = Field(default=3.0, gt=0)
    # trend stories: with an LLM, this many of a chat's best new stories per run get a summary
    trends_summaries_per_run: int = Field(default=3, ge=0)
    alerts_min_score: float = Field(default=5.0, ge=0)
    alerts_interest_weight: float = Field(default=0.5, ge=0, le=1)
    alerts_max_per_run: int = Field(default=3, ge=1)
    alerts_rate_per_second: float = Field(default=29.0, gt=0, le=30)
    alerts_group_per_minute: float = Field(default=20.0, gt=0, le=20)
    alerts_delivery_interval_seconds: float = Field(default=30.0, ge=0)
    alerts_lease_seconds: float = Field(default=600.0, ge=60)

    # Keyword watches and digests
    watch_max_per_chat: int = Field(default=20, ge=1)
    watch_max_messages_per_hour: int = Field(default=30, ge=1)
    watch_interval_seconds: float = Field(default=60.0, ge=0)
    digest_check_interval_minutes: float = Field(default=5.0, ge=0)
    digest_max_stories: int = Field(default=10, ge=1)

    # Interests and the dead-letter queue
    interests_sync_interval_minutes: float = Field(default=15.0, ge=0)
    interests_half_life_days: float = Field(default=14.0, gt=0)
    interests_explicit_weight: float = Field(default=3.0, gt=0)
    interests_max_topics: int = Field(default=50, ge=1)
    dlq_max_entries: int = Field(default=10_000, ge=100)
    dlq_timeout_seconds: float = Field(default=2.0, gt=0)

    # Retention (hours between runs, 0 = only `tgassist jobs run retention`; days, 0 = forever)
    retention_interval_hours: float = Field(default=1.0, ge=0)
    retention_question_days: float = Field(default=90.0, ge=0)

    # Operations
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: str = "INFO"
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"  # the metrics carry per-chat figures: not public by default
    metrics_cache_seconds: float = Field(default=15.0, ge=0)

    # Answers at scale
    tenant_cache_seconds: float = Field(default=30.0, ge=0)  # 0: read the tenant every update
    index_max_open_shards: int = Field(default=64, ge=1)  # embedded index: shards kept open
    index_shard_idle_seconds: float = Field(default=600.0, gt=0)  # closed after this idle time

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _parse_admin_ids(cls, value: object) -> object:
        """Accept `1,2,3` or `[1, 2]` as well as a list."""
        if isinstance(value, str):
            parts = value.replace("[", "").replace("]", "").replace(";", ",").split(",")
            return frozenset(int(part) for part in parts if part.strip())
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("media_allowed_types", "media_allowed_hosts", mode="before")
    @classmethod
    def _parse_media_types(cls, value: object) -> object:
        """Accept `image/jpeg,image/png` (or `a.example,b.example`) as well as a list."""
        if isinstance(value, str):
            return frozenset(part.strip().lower() for part in value.split(",") if part.strip())
        return value

    @property
    def vision_configured(self) -> bool:
        """Whether a vision model and an OpenAI-compatible endpoint for it are configured."""
        return bool(self.vision_model) and self.llm_configured

    @cached_property
    def resolved_database_url(self) -> str:
        """DATABASE_URL, or SQLite under DATA_DIR; plain postgresql:// URLs get the asyncpg driver."""
        if not self.database_url:
            return f"sqlite+aiosqlite:///{(self.data_dir / 'tgassist.sqlite3').resolve()}"
        url = self.database_url
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+asyncpg://" + url[len(prefix) :]
        if url.startswith("sqlite://") and not url.startswith("sqlite+"):
            return "sqlite+aiosqlite://" + url[len("sqlite://") :]
        return url

    @property
    def qdrant_path(self) -> Path:
        """Where the embedded index keeps its shards."""
        return self.data_dir / "qdrant"

    @property
    def llm_configured(self) -> bool:
        """Whether an OpenAI-compatible chat endpoint is configured."""
        return bool(reveal(self.openai_api_key)) or bool(self.openai_base_url)

    @classmethod
    def env_files(cls, environ: Mapping[str, str]) -> tuple[Path, ...]:
        """The .env files read, weakest first: DATA_DIR/.env, then ./.env; or only the explicit one.

        DATA_DIR comes from the environment (default ./data), so a .env kept next to the data
        is found whatever the current directory is.
        """
        explicit = environ.get(ENV_FILE_VARIABLE)
        if explicit:
            return (Path(explicit),)
        data_dir = Path(environ.get("DATA_DIR") or cls.model_fields["data_dir"].default)
        return (data_dir / ".env", Path(".env"))

    @property
    def resolved_webhook_path(self) -> str:
        """WEBHOOK_PATH, or `/webhook/<hash of the secret>`: unguessable, equal on every replica."""
        if self.webhook_path:
            return self.webhook_path
        return f"/webhook/{self._webhook_path_token}"

    @property
    def _webhook_path_token(self) -> str:
        secret = reveal(self.webhook_secret) or ""
        return hashlib.sha256(b"tgassist webhook path\x00" + secret.encode()).hexdigest()[:32]

    def secrets(self) -> list[str]:
        """Every secret value, for log redaction (the derived webhook path's random part too)."""
        values = [self.bot_token, self.openai_api_key, self.qdrant_api_key, self.webhook_secret]
        values += [self.s3_access_key_id, self.s3_secret_access_key]
        found = [secret for value in values if (secret := reveal(value))]
        if reveal(self.webhook_secret):
            found.append(self._webhook_path_token)
        return found


def reveal(value: SecretStr | None) -> str | None:
    """A secret setting's value, or None when it is unset or empty: the one way to unwrap one."""
    secret = value.get_secret_value() if value is not None else ""
    return secret or None
