"""/metrics in the Prometheus text format: events by channel and outcome, the processing-time histogram,
outbox backlog and its oldest row, dead letters, tickets waiting, delivery failures by platform status."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select

from bot.app import build_app
from bot.config import Settings
from bot.ops.gauges import DatabaseCollector, read_figures
from bot.ops.metrics import CONTENT_TYPE, parse
from storage.db import Database
from storage.models import OutboxMessage
from tests.fakes.line_api import (
    ACCESS_TOKEN,
    CHANNEL_SECRET,
    FakeLine,
    event_from,
    run_fake_line,
    sign,
    webhook_body,
)
from tests.support.server import free_port, serve_asgi
from tests.support.wait import eventually

LINE_USER = "U" + "a" * 32


@dataclass
class Running:
    http: httpx.AsyncClient
    fake: FakeLine
    db: Database

    async def metrics(self) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        response = await self.http.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"] == CONTENT_TYPE
        return parse(response.text)

    async def chat(self, **body: Any) -> httpx.Response:
        return await self.http.post(
            "/api/chat/messages", json={"id": body.pop("id", uuid.uuid4().hex), **body}
        )

    async def line_text(self, text: str) -> None:
        token = self.fake.issue_reply_token(LINE_USER)
        payload = webhook_body(event_from("text", user_id=LINE_USER, reply_token=token, message__text=text))
        response = await self.http.post(
            "/webhooks/line", content=payload, headers={"x-line-signature": sign(payload)}
        )
        assert response.status_code == 200

    async def statuses(self) -> list[str]:
        async with self.db.read() as s:
            return list((await s.execute(select(OutboxMessage.status))).scalars())


@contextlib.asynccontextmanager
async def running(
    settings_for: Callable[..., Settings], db_url: str, **overrides: Any
) -> AsyncIterator[Running]:
    async with run_fake_line() as fake:
        settings = settings_for(
            db_url,
            line_channel_secret=CHANNEL_SECRET,
            line_channel_access_token=ACCESS_TOKEN,
            line_api_base=fake.base_url,
            **overrides,
        )
        db = Database(db_url)
        try:
            async with (
                serve_asgi(build_app(settings)) as base,
                httpx.AsyncClient(base_url=base, timeout=15) as http,
            ):
                yield Running(http, fake, db)
        finally:
            await db.dispose()


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_events_failures_dead_letters_and_tickets_are_counted(
    db_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with running(settings_for, db_url) as app:
        assert (await app.chat(id="start-0001", start=True)).status_code == 200
        assert (await app.chat(id="text-0001", text="hello")).status_code == 200
        assert (await app.chat(id="text-0001", text="hello")).json()["status"] == "duplicate"
        assert (await app.chat(id="text-0002", text="I want to talk to a person")).status_code == 200
        # LINE refuses the reply (a rendering mistake would look like this): a dead letter and a ticket.
        app.fake.fail("reply", 400)
        await app.line_text("hello")
        await eventually(lambda: _settled(app))

        m = await app.metrics()
        assert value(m, "counselbot_events_total", channel="webchat", outcome="handled") == 3
        assert value(m, "counselbot_events_total", channel="webchat", outcome="duplicate") == 1
        assert value(m, "counselbot_events_total", channel="line", outcome="handled") == 1
        assert value(m, "counselbot_event_processing_seconds_count") == 5
        assert value(m, "counselbot_event_processing_seconds_bucket", le="+Inf") == 5
        assert value(m, "counselbot_event_processing_seconds_sum") > 0
        assert value(m, "counselbot_delivery_failures_total", channel="line", status="400") == 1
        assert value(m, "counselbot_dead_letters", channel="line") == 1
        assert value(m, "counselbot_dead_letters", channel="webchat") == 0
        assert value(m, "counselbot_outbox_backlog", channel="line") == 0
        assert value(m, "counselbot_outbox_oldest_age_seconds", channel="line") == 0
        # The person the web chat visitor asked for, and the agents told of the failed LINE reply.
        assert (
            value(m, "counselbot_tickets_waiting", priority="normal")
            + value(m, "counselbot_tickets_waiting", priority="urgent")
            == 2
        )
        assert value(m, "counselbot_database_up") == 1
        assert value(m, "process_resident_memory_bytes") > 0


async def _settled(app: Running) -> bool:
    statuses = await app.statuses()
    return bool(statuses) and all(s in ("sent", "dead") for s in statuses)


async def test_a_reply_waiting_for_a_retry_is_backlog_with_an_age(
    sqlite_url: str, settings_for: Callable[..., Settings]
) -> None:
    # A long backoff keeps the failed reply waiting while we look.
    async with running(settings_for, sqlite_url, delivery_base_delay=600, delivery_max_delay=600) as app:
        app.fake.fail("reply", 500)
        await app.line_text("hello")
        await eventually(lambda: app.fake.of("reply"))
        await eventually(lambda: _pending(app))
        m = await app.metrics()
        assert value(m, "counselbot_outbox_backlog", channel="line") == 1
        assert value(m, "counselbot_outbox_oldest_age_seconds", channel="line") > 0
        assert value(m, "counselbot_delivery_failures_total", channel="line", status="500") == 1
        assert value(m, "counselbot_dead_letters", channel="line") == 0


async def _pending(app: Running) -> bool:
    return await app.statuses() == ["pending"]


async def test_the_exposition_is_well_formed(sqlite_url: str, settings_for: Callable[..., Settings]) -> None:
    async with running(settings_for, sqlite_url) as app:
        text = (await app.http.get("/metrics")).text
    assert text.endswith("\n")
    declared: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in ("counter", "gauge", "histogram")
            assert name not in declared, f"{name} declared twice"
            declared[name] = kind
        elif line.startswith("# HELP "):
            continue
        else:
            name = line.split("{")[0].split(" ")[0]
            family = name.removesuffix("_bucket").removesuffix("_sum").removesuffix("_count")
            assert name in declared or family in declared, line
            float(line.rsplit(" ", 1)[1])
    assert declared["counselbot_event_processing_seconds"] == "histogram"
    assert all(n.endswith("_total") for n, k in declared.items() if k == "counter")


async def test_the_standard_process_and_python_figures_are_there(
    sqlite_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with running(settings_for, sqlite_url) as app:
        m = await app.metrics()
    assert value(m, "process_cpu_seconds_total") > 0
    assert value(m, "process_open_fds") > 0
    assert value(m, "counselbot_process_peak_resident_memory_bytes") >= value(
        m, "process_resident_memory_bytes"
    )
    assert any(name == "python_info" for name, _ in m)
    assert any(name == "python_gc_collections_total" for name, _ in m)
    assert not any(name.endswith("_created") for name, _ in m)


async def test_each_app_counts_its_own_events_from_zero(
    sqlite_url: str, settings_for: Callable[..., Settings]
) -> None:
    for _ in range(2):
        async with running(settings_for, sqlite_url) as app:
            assert (await app.chat(text="hello")).status_code == 200
            m = await app.metrics()
            assert value(m, "counselbot_events_total", channel="webchat", outcome="handled") == 1
            assert value(m, "counselbot_event_processing_seconds_count") == 1


async def test_a_database_that_does_not_answer_is_database_up_0() -> None:
    nowhere = Database(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/none")
    try:
        now = dt.datetime.now(dt.UTC)
        figures = await read_figures(nowhere, now, timeout=5)
    finally:
        await nowhere.dispose()
    assert figures is None
    families = {f.name: f for f in DatabaseCollector(figures, now, ["line"]).collect()}
    assert list(families) == ["counselbot_database_up"]
    assert families["counselbot_database_up"].samples[0].value == 0
