"""Every setting of tgassist, read from the environment and `.env` (pydantic-settings)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


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
    webhook_secret: SecretStr | None = None
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

    # Embeddings and LLM
    embeddings: Literal["local", "openai", "none"] = "local"
    embedding_model: str = "text-embedding-3-small"
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_timeout_seconds: float = Field(default=30.0, gt=0)
    llm_max_retries: int = Field(default=2, ge=0)
    vision_model: str | None = None

    # Operations
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: str = "INFO"
    metrics_port: int | None = None

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
        return bool(self.openai_api_key and self.openai_api_key.get_secret_value()) or bool(
            self.openai_base_url
        )

    def secrets(self) -> list[str]:
        """Every secret value, for log redaction."""
        values = [self.bot_token, self.openai_api_key, self.qdrant_api_key, self.webhook_secret]
        return [v.get_secret_value() for v in values if v and v.get_secret_value()]
