"""Rejected LINE webhooks cannot flood the log: one WARNING per reason a minute, however many come."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.fakes.line_api import sign, webhook_body
from tests.test_line_e2e import line_bot  # noqa: F401  (the fixture)


async def test_a_flood_of_rejected_line_webhooks_logs_one_warning_per_reason(
    sqlite_url: str,
    line_bot: Any,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with line_bot(sqlite_url) as bot:
        body = webhook_body(bot.text("hi"))
        with caplog.at_level(logging.WARNING):
            forged = [(await bot.post(body, signature=sign(body, "other"))).status_code for _ in range(200)]
            garbled = [(await bot.post(b'{"events": [')).status_code for _ in range(200)]
    assert set(forged) == {401} and set(garbled) == {400}
    rejected = sorted(r.getMessage() for r in caplog.records if "webhook rejected" in r.getMessage())
    assert rejected == [
        "line: webhook rejected: bad or missing signature",
        "line: webhook rejected: not a webhook body",
    ]
