"""Every console page a signed-in admin can open, asked with hostile query values (a day past the
calendar, an id past 64 bits, a cursor at year 1, NUL bytes, very long text): a page or a client
error, never a 500."""

from __future__ import annotations

import re

import pytest

from bot.config import Settings
from bot.console import PAGES
from bot.demo import seed_demo
from tests.console.support import add_agent, running

HOSTILE = (
    "9999-12-31",
    "0001-01-01",
    "99999999999999999999999",
    "9223372036854775808",
    "-9223372036854775809",
    "-1",
    "0",
    "0001-01-01T00:00:00+14:00~1",
    "9999-12-31T23:59:59-14:00~99999999999999999999",
    "nan",
    "\x00",
    "\ud800".encode("utf-8", "surrogatepass").decode("latin-1"),
    "x" * 2000,
)
PARAMS = ("q", "from", "to", "after", "before", "label", "agent", "status", "channel", "locale",
          "linked", "show", "customer_id", "token", "done", "next", "lifted", "page", "chart")  # fmt: skip


def _get_paths() -> list[str]:
    paths = []
    for page in PAGES:
        if "GET" in page.methods and not page.path.endswith("/stream"):
            paths.append("/console" + re.sub(r"\{[a-z_]+:int\}", "1", page.path))
    return sorted(set(paths))


@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: repr(v)[:24])
async def test_no_console_page_fails_on_a_hostile_query_value(sqlite_settings: Settings, value: str) -> None:
    await seed_demo(sqlite_settings)
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "root@agency.example", "Root", "admin")
        root = await app.login("root@agency.example")
        failed = []
        for path in _get_paths():
            path = path.replace("{chart}", "tickets")
            response = await root.client.get(path, params={name: value for name in PARAMS})
            if response.status_code >= 500:
                failed.append(path)
        assert failed == []
