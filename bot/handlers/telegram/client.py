"""The python-telegram-bot client (as an HTTP client only) and the guard that keeps the token out of logs.

The bot token is part of every API URL (`/bot<token>/sendMessage`). httpx logs each request's URL at
INFO and PTB logs request parameters (customers' texts) at DEBUG, so those loggers are capped at
WARNING and a filter rewrites any record on them that still contains the token.
"""

from __future__ import annotations

import logging
import os

# Opt in to PTB's timedelta time periods now: otherwise constructing RetryAfter (and reading
# durations) emits a PTBDeprecationWarning on every flood-control answer.
os.environ.setdefault("PTB_TIMEDELTA", "true")

from telegram import Bot
from telegram.request import HTTPXRequest

from bot.config import Settings
from bot.delivery import MAX_IN_FLIGHT

# Every logger that sees Telegram URLs or payloads (a filter on a logger does not cover its children,
# so the ones that emit are listed).
_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "telegram",
    "telegram.Bot",
    "telegram.ext",
    "telegram.request",
    "telegram.request.BaseRequest",
    "telegram.request.HTTPXRequest",
    "telegram._bot",
)
REDACTED = "<telegram-bot-token>"

# Long polling asks Telegram to hold the request this long.
POLL_TIMEOUT = 25


class TokenRedactor(logging.Filter):
    def __init__(self) -> None:
        super().__init__("counselbot-telegram-token")
        self.tokens: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith("Error while parsing updates"):
            # PTB logs the raw updates (customers' messages) when it cannot parse them.
            record.msg, record.args = "Error while parsing updates (content not logged)", None
            return True
        if not self.tokens:
            return True
        try:
            text = record.getMessage()
        except Exception:
            text = str(record.msg)
        if any(t in text for t in self.tokens):
            for t in self.tokens:
                text = text.replace(t, REDACTED)
            record.msg, record.args = text, None
        return True


_REDACTOR = TokenRedactor()


def guard_logs(token: str) -> None:
    """Keep `token` out of every log line the HTTP stack and PTB write. Idempotent."""
    _REDACTOR.tokens.add(token)
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if _REDACTOR not in logger.filters:
            logger.addFilter(_REDACTOR)
        # URLs at INFO (httpx), request parameters with customers' texts at DEBUG (PTB).
        if logger.level == logging.NOTSET or logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)


def make_bot(settings: Settings, *, timeout: float = 10.0) -> Bot:
    """A PTB Bot pointed at settings.telegram_api_base; requires settings.telegram_bot_token."""
    if settings.telegram_bot_token is None:
        raise ValueError("COUNSELBOT_TELEGRAM_BOT_TOKEN is not set")
    token = settings.telegram_bot_token.get_secret_value()
    guard_logs(token)
    base = settings.telegram_api_base.rstrip("/")
    return Bot(
        token,
        base_url=base + "/bot",
        base_file_url=base + "/file/bot",
        request=HTTPXRequest(
            # As many connections as the delivery worker has sends in flight per channel, no more:
            # httpcore's pool does work per connection for every queued request (peerbench README).
            connection_pool_size=MAX_IN_FLIGHT,
            connect_timeout=5.0,
            read_timeout=timeout,
            write_timeout=timeout,
            pool_timeout=5.0,
        ),
        # Its own connection pool: a long poll must not hold a connection that sends need.
        get_updates_request=HTTPXRequest(
            connection_pool_size=2,
            connect_timeout=5.0,
            # PTB adds the long-poll timeout to this for getUpdates.
            read_timeout=10.0,
            write_timeout=timeout,
            pool_timeout=5.0,
        ),
    )
