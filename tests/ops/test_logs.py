"""The log formats: one JSON object a line or readable text, exception types only, secrets scrubbed."""

from __future__ import annotations

import json
import logging

import pytest

from bot import logs


def record(msg: str, *args: object, exc: BaseException | None = None, **extra: object) -> logging.LogRecord:
    rec = logging.LogRecord("bot.test", logging.WARNING, __file__, 1, msg, args, None)
    if exc is not None:
        rec.exc_info = (type(exc), exc, None)
    rec.__dict__.update(extra)
    return rec


def test_json_is_one_object_a_line_with_extras_and_the_error_type_only() -> None:
    line = logs.JsonFormatter().format(
        record(
            "event %s",
            "handled",
            exc=ValueError("Taro Yamada, born 1990-01-01"),
            event_id="e1",
            customer="abc",
        )
    )
    assert "\n" not in line
    data = json.loads(line)
    assert (data["msg"], data["event_id"], data["customer"], data["error"]) == (
        "event handled",
        "e1",
        "abc",
        "ValueError",
    )
    assert "Taro" not in line and "1990" not in line


def test_text_is_readable_with_extras_and_the_error_type_only() -> None:
    line = logs.TextFormatter().format(
        record("delivery %s", "retry", exc=KeyError("secret text"), outbox_id=7)
    )
    assert "WARNING" in line and "delivery retry outbox_id=7 error=KeyError" in line
    assert "secret text" not in line


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_registered_secrets_emails_and_tokens_are_scrubbed(fmt: str) -> None:
    logs.register_secrets(["s3cr3t-value-for-the-test-0001", None, "short"])
    line = logs.formatter(fmt).format(
        record(
            "calling %s for %s (short) with Bearer abcdefghijklmnop and 123456789:AAEhBOweik6ad9r_QXMENQjcrGbqCr4K-e8",
            "https://x/s3cr3t-value-for-the-test-0001/",
            "mei.chen@example.com",
        )
    )
    for gone in (
        "s3cr3t-value-for-the-test-0001",
        "mei.chen@example.com",
        "abcdefghijklmnop",
        "AAEhBOweik6ad9r",
    ):
        assert gone not in line
    assert "<secret>" in line and "<email>" in line and "<bot-token>" in line
    assert "short" in line  # too short to be a secret: words are not mangled


def test_uvicorns_loggers_are_adopted_only_when_we_configured_logging(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = logging.getLogger()
    uv = logging.getLogger("uvicorn")
    monkeypatch.setattr(root, "handlers", [logging.StreamHandler()])
    monkeypatch.setattr(uv, "handlers", [logging.StreamHandler()])
    monkeypatch.setattr(uv, "propagate", False)
    assert not logs.adopt_server_loggers()  # someone else's logging set-up: left alone
    assert uv.handlers and not uv.propagate
    ours = logging.StreamHandler()
    ours.setFormatter(logs.JsonFormatter())
    root.handlers[:] = [ours]
    assert logs.adopt_server_loggers()
    assert uv.handlers == [] and uv.propagate
