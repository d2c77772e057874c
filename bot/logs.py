"""Logging without personal data: event ids and a hashed customer id, never names, text or tokens.

Two formats (`COUNSELBOT_LOG_FORMAT`): readable text by default, one JSON object a line with `json`.
Both print an exception's *type* only — messages and tracebacks can carry customer text, and
SQLAlchemy's errors carry the statement's parameters. As a last line of defence every formatted line
goes through `scrub`: registered secrets (channel secret, access tokens, the bot token), anything
shaped like an e-mail address or a bearer/bot token becomes a placeholder.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import sys
import threading
from collections.abc import Iterable
from typing import Any

_SALT = b"counselbot-log"
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}

# Shapes that are never legitimate in our own log lines. E-mail addresses; "Bearer <token>";
# Telegram bot tokens (digits, a colon, 30+ URL-safe characters).
_PATTERNS = (
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"), "<email>"),
    (re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]{8,}"), "Bearer <redacted>"),
    (re.compile(r"\b\d{5,12}:[A-Za-z0-9_-]{30,}"), "<bot-token>"),
)
_secrets: set[str] = set()
_secrets_lock = threading.Lock()
_secret_re: re.Pattern[str] | None = None


def hashed(value: object) -> str:
    """A stable pseudonym for a customer key, enough to follow one customer through the logs."""
    try:
        return _hashed(value)
    except TypeError:  # not hashable: computed every time
        return _pseudonym(value)


def _pseudonym(value: object) -> str:
    return hashlib.sha256(_SALT + str(value).encode()).hexdigest()[:12]


# Every event, delivery and webhook logs its customer's pseudonym; the same customers write again
# and again, and a SHA-256 per log line was ~1% of a saturated server's CPU.
_hashed = functools.lru_cache(maxsize=4096)(_pseudonym)


def register_secrets(values: Iterable[str | None]) -> None:
    """Values that must never appear in a log line (set from the settings at start-up)."""
    global _secret_re
    # Short values would turn ordinary words into "<secret>"; real secrets are long.
    fresh = {v for v in values if v and len(v) >= 8}
    with _secrets_lock:
        if fresh <= _secrets:
            return
        _secrets.update(fresh)
        ordered = sorted(_secrets, key=len, reverse=True)
        _secret_re = re.compile("|".join(re.escape(s) for s in ordered))


def scrub(text: str) -> str:
    pattern = _secret_re
    if pattern is not None:
        text = pattern.sub("<secret>", text)
    for regex, placeholder in _PATTERNS:
        text = regex.sub(placeholder, text)
    return text


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        data.update(_extras(record))
        if record.exc_info and record.exc_info[0] is not None:
            data["error"] = record.exc_info[0].__name__
        return scrub(json.dumps(data, ensure_ascii=False, default=str))


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        base = f"{self.formatTime(record, '%H:%M:%S')} {record.levelname:<7} {record.name}: {record.getMessage()}"
        extra = _extras(record)
        if extra:
            base += " " + " ".join(f"{k}={v}" for k, v in extra.items())
        if record.exc_info and record.exc_info[0] is not None:
            # The exception's type only: messages and tracebacks can carry customer text or tokens.
            base += f" error={record.exc_info[0].__name__}"
        return scrub(base)


def formatter(fmt: str) -> logging.Formatter:
    return JsonFormatter() if fmt == "json" else TextFormatter()


def configure(fmt: str = "text", level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(fmt))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs request URLs at INFO, and Telegram's URLs contain the bot token.
    # linebot logs response bodies (profiles carry display names) at DEBUG.
    for noisy in ("httpx", "httpcore", "telegram", "linebot", "hpack", "aiosqlite", "asyncio", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)


def adopt_server_loggers() -> bool:
    """Route uvicorn's own loggers through ours when `configure` has run.

    `uvicorn.run` installs its logging config after we configured ours: its "uvicorn" logger then has
    its own handler (not propagating), which prints "Exception in ASGI application" with the whole
    traceback — and a database error's traceback holds the customer's text as a statement parameter.
    Called once the server is up (the ops component's start-up); True when it changed something.
    """
    root = logging.getLogger()
    if not any(isinstance(h.formatter, JsonFormatter | TextFormatter) for h in root.handlers):
        return False  # not configured by us (tests, embedding): leave the host's logging alone
    changed = False
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi"):
        logger = logging.getLogger(name)
        if logger.handlers or not logger.propagate:
            logger.handlers[:] = []
            logger.propagate = True
            changed = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    return changed
