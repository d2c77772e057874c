"""Settings from COUNSELBOT_* environment variables and an optional .env: one object, passed down."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url


class ConfigError(Exception):
    """A wrong setting: one clear line naming it, never a traceback."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COUNSELBOT_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./counselbot.db"
    # Connections kept open per process (PostgreSQL; None: storage.db's default, sized to the
    # webhook concurrency). SQLite's readers use it too.
    database_pool_size: int | None = Field(None, ge=1, le=500)
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    # Signs the web chat cookie; generated and kept in `secret_key_file` on first run when unset.
    secret_key: SecretStr | None = None
    secret_key_file: Path = Path(".counselbot-secret")
    # Public https URL the server is reached at (Secure cookies, Telegram webhook).
    public_url: str | None = None
    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"
    # Where `serve --workers N` keeps the workers' metric files (prometheus_client's multiprocess
    # directory; emptied at start). Unset: PROMETHEUS_MULTIPROC_DIR, else a fresh private temporary one.
    metrics_dir: Path | None = None

    max_message_chars: int = Field(4000, ge=1)
    max_body_bytes: int = Field(256 * 1024, ge=1024)
    # The console's CSV import alone takes a larger body (its file is at most 5 MB).
    max_upload_bytes: int = Field(6 * 1024 * 1024, ge=1024)
    # Web chat limits, counted in each process (docs/security.md): per visitor (the cookie) and per
    # client address (an office behind one address shares its allowance).
    webchat_messages_per_minute: int = Field(20, ge=1)
    webchat_address_messages_per_minute: int = Field(120, ge=1)
    webchat_new_visitors_per_hour: int = Field(30, ge=1)
    webchat_streams_per_visitor: int = Field(3, ge=1)
    webchat_streams_per_address: int = Field(30, ge=1)
    # All web chat streams in one process, shared fairly between addresses (bot.limits.StreamSlots):
    # kept well under max_connections, so idle streams never take the connections requests need.
    webchat_max_streams: int = Field(2000, ge=1)
    # A stream ends after this long and the browser resumes it (Last-Event-ID); the bus wakes a stream,
    # the database is read without a wake-up only this often (a missed notification still arrives).
    webchat_stream_lifetime: float = Field(600.0, gt=0)
    webchat_stream_poll_interval: float = Field(15.0, gt=0)
    # Slow clients (bot/ops/slowclients.py): the request line and headers within `header_timeout`
    # seconds, the body within `body_timeout` plus a second per `body_min_rate` bytes, else 408; idle
    # kept-alive connections close after `keep_alive_timeout`; past `max_connections` open connections
    # (per process) the oldest idle or slow one is closed to make room.
    header_timeout: float = Field(10.0, gt=0)
    body_timeout: float = Field(30.0, gt=0)
    body_min_rate: int = Field(1024, ge=1)
    keep_alive_timeout: float = Field(5.0, gt=0)
    max_connections: int = Field(4000, ge=1)
    delivery_max_attempts: int = Field(8, ge=1)
    delivery_base_delay: float = Field(1.0, gt=0)
    delivery_max_delay: float = Field(300.0, gt=0)
    delivery_poll_interval: float = Field(1.0, gt=0)

    line_channel_secret: SecretStr | None = None
    line_channel_access_token: SecretStr | None = None
    line_api_base: str = "https://api.line.me"
    # LINE's data host: rich menu image uploads, and the content of images, videos, audio and files
    # customers send.
    line_data_api_base: str = "https://api-data.line.me"

    telegram_bot_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_base: str = "https://api.telegram.org"
    telegram_polling: bool = False
    telegram_agents_chat_id: str | None = None
    # The on-call person's Telegram @username: urgent tickets outside business hours mention them in
    # the agents' group, so Telegram notifies them even when the group is muted (docs/hours.md).
    oncall_telegram: str | None = None
    # An agent signed in but without a console request for this long shows as away (and gets no
    # auto-assigned conversations).
    away_after_minutes: int = Field(10, ge=1)

    # Payment instructions for every language when an admin has not set any in the console. Unset, the
    # bot's own text is shown, translated into the customer's language (a text set here is shown as is).
    payment_instructions: str | None = None
    reminder_time: dt.time = dt.time(10, 0)
    # Photos, documents and locations (docs/attachments.md): the largest file accepted, and what one
    # customer (or one chat not yet linked to a customer) may send in a day, in files and bytes.
    attachment_max_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    attachment_daily_files: int = Field(30, ge=1)
    attachment_daily_bytes: int = Field(50 * 1024 * 1024, ge=1024)
    # Fetches of a customer's file from LINE or Telegram before it is marked "could not be fetched".
    attachment_fetch_attempts: int = Field(5, ge=1, le=10)
    # How long a signed link to a file an agent sends (LINE fetches it from COUNSELBOT_PUBLIC_URL) lives.
    attachment_link_ttl: int = Field(3600, ge=60)
    # Optional S3-compatible bucket for attachment content (docs/attachments.md#bucket-storage); unset,
    # the content is kept in the database. The endpoint is for MinIO and the like (unset: AWS).
    attachment_bucket: str | None = None
    attachment_bucket_endpoint: str | None = None
    attachment_bucket_region: str = "us-east-1"
    attachment_bucket_prefix: str = "attachments/"
    attachment_bucket_access_key: SecretStr | None = None
    attachment_bucket_secret_key: SecretStr | None = None
    # Reminders and the daily purge; every process may run it (jobs are claimed in the database).
    scheduler_enabled: bool = True

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        try:
            url = make_url(value)
        except Exception as exc:
            raise ValueError("not a database URL") from exc
        if url.drivername not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
            raise ValueError("use sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST/DB")
        return value

    def secret(self) -> str:
        """The secret key; generated once and kept in `secret_key_file` for local use."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.secret_key_file
        if path.exists():
            return path.read_text().strip()
        key = secrets.token_urlsafe(48)
        # Created 0600 (never readable by others, not even for an instant, whatever the umask).
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it a moment ago: use theirs
            return path.read_text().strip()
        with os.fdopen(fd, "w") as f:
            f.write(key + "\n")
        return key

    @property
    def line_enabled(self) -> bool:
        return self.line_channel_secret is not None and self.line_channel_access_token is not None

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_bot_token is not None


def load_settings(**overrides: object) -> Settings:
    """Settings, or ConfigError with one line naming the variable that is wrong."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        name = "COUNSELBOT_" + str(err["loc"][0]).upper() if err.get("loc") else "COUNSELBOT_?"
        raise ConfigError(f"invalid setting {name}: {err['msg']}") from None
