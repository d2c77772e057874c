"""Regenerate the console screenshots in docs/screenshots/ (queue and conversation, phone and desktop,
and the account page with the console-language setting), of the console as the agents see it by
default: in Japanese.

    .venv/bin/python -m tests.console.screenshots [OUT_DIR]

Runs the real app on a throwaway SQLite database seeded with made-up customers, signs in with
Debian's chromium (a Japanese browser; the agent keeps the default console language, Japanese) and
saves queue-phone.png, queue-desktop.png, conversation-phone.png, conversation-desktop.png and
account-desktop.png. tests/console/test_screenshots.py runs the same code into a temp dir.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import tempfile
from pathlib import Path

from playwright.async_api import Browser, ViewportSize
from pydantic import SecretStr
from sqlalchemy import select, update

from bot import modes
from bot.config import Settings
from bot.events import ChoiceIn, FollowIn
from bot.i18n import JST
from storage.migrate import upgrade
from storage.models import Conversation, Request, Ticket
from storage.repositories import tickets as ticket_repo
from storage.repositories.conversations import add_transcript
from tests.console.browser import chromium, sign_in
from tests.console.support import PASSWORD, Running, add_agent, link, next_code, running, seed_customer
from tests.support.collecting import event
from tests.support.wait import eventually

ROOT = Path(__file__).resolve().parents[2]
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 860}


async def _ticket_of(app: Running, conv_id: int) -> Ticket:
    async with app.db.read() as s:
        ticket = await ticket_repo.active_ticket(s, conv_id)
    assert ticket is not None
    return ticket


async def _escalate(
    app: Running,
    user: str,
    channel: str,
    locale: str,
    lines: list[str],
    reason: str,
    priority: str,
    minutes_ago: int,
    name: str,
) -> int:
    await app.engine.handle(event(user, FollowIn(), channel=channel, locale_hint=locale, display_name=name))
    for line in lines:
        await app.engine.handle(event(user, line, channel=channel, display_name=name))
    result = await app.engine.handle(event(user, ChoiceIn("human"), channel=channel, display_name=name))
    conv_id = result.conversation_id
    assert conv_id is not None
    ticket = await _ticket_of(app, conv_id)
    async with app.db.write() as s:
        await s.execute(
            update(Ticket)
            .where(Ticket.id == ticket.id)
            .values(
                reason=reason,
                priority=priority,
                created_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes_ago),
            )
        )
    await app.engine.bus.publish("tickets", {"ticket_id": ticket.id})
    return conv_id


async def seed(app: Running) -> int:
    """Made-up customers and tickets; returns the conversation shown in the conversation screenshots."""
    aiko = await add_agent(
        app.db, "aiko@agency.example", "田中 愛子", "admin", app_secret=app.settings.secret()
    )
    await add_agent(app.db, "ben@agency.example", "Ben Carter")
    now = dt.datetime.now(dt.UTC)
    in_two_days = dt.datetime.combine(now.astimezone(JST).date() + dt.timedelta(days=2), dt.time(10, 0), JST)
    emily, (booking_id,) = await seed_customer(
        app.db, name="Emily Clark", email="emily@example.com", service_at=in_two_days
    )
    await _escalate(
        app, "U-wang", "line", "zh_Hans", ["我的航班延误了，可能会迟到40分钟"], "late", "urgent", 3, "王芳"
    )
    await _escalate(
        app, "tg-minji", "telegram", "ko", ["예약 시간을 바꾸고 싶어요"], "human", "normal", 26, "김민지"
    )
    await _escalate(
        app,
        "web-an",
        "webchat",
        "vi",
        ["Tôi bị sốt cao, không thể đến phòng khám"],
        "special",
        "urgent",
        12,
        "",
    )
    conv_id = await _escalate(
        app,
        "web-emily",
        "webchat",
        "en",
        ["Hi, I need to cancel my surgery interpretation this week", "My flight was cancelled, sorry"],
        "cancellation",
        "normal",
        41,
        "",
    )
    await link(app.db, "webchat", "web-emily", emily)
    async with app.db.write() as s:
        request = Request(
            conversation_id=conv_id,
            customer_id=emily,
            booking_id=booking_id,
            kind="cancellation",
            status="filed",
            details={"reason": "flight cancelled", "days_before": 2, "rule": "partial"},
            fee_jpy=15000,
            dedupe_key=f"{conv_id}:cancellation:shot",
            requested_at=now - dt.timedelta(minutes=41),
            created_at=now,
        )
        s.add(request)
        await s.flush()
        ticket = (await s.execute(select(Ticket).where(Ticket.conversation_id == conv_id))).scalar_one()
        ticket.request_id = request.id
        ticket.summary = "Cancellation of a surgery interpretation, 2 days before (50%)."
        await modes.claim(s, ticket.id, aiko, now)
    reply = await app.engine.send_from_agent(
        conv_id,
        aiko,
        "Hello Emily, this is Aiko from Beta Me Agent. I'm sorry about your flight. I'm checking the "
        "cancellation with the clinic now.",
    )
    async with app.db.write() as s:
        add_transcript(
            s, conv_id, "note", "Asked the clinic whether they can move the surgery instead.", agent_id=aiko
        )
        assert await s.get(Conversation, conv_id) is not None

    async def sent() -> bool:
        async with app.db.read() as s:
            from storage.models import OutboxMessage

            row = await s.get(OutboxMessage, reply, populate_existing=True)
            return row is not None and row.status == "sent"

    await eventually(sent)
    return conv_id


async def shoot(browser: Browser, app: Running, conv_id: int, out: Path) -> list[Path]:
    saved = []
    for label, viewport, scale in (("phone", PHONE, 2), ("desktop", DESKTOP, 1)):
        context = await browser.new_context(
            viewport=viewport, device_scale_factor=scale, locale="ja-JP", timezone_id="Asia/Tokyo"
        )
        try:
            page = await context.new_page()
            await sign_in(
                page,
                app.base,
                "aiko@agency.example",
                PASSWORD,
                lambda: next_code(app.db, "aiko@agency.example"),
            )
            await page.wait_for_selector("body[data-queue-loaded='yes']")
            path = out / f"queue-{label}.png"
            await page.screenshot(path=str(path))
            saved.append(path)
            await page.goto(f"{app.base}/console/conversations/{conv_id}")
            await page.wait_for_selector("body[data-transcript-loaded='yes']")
            await page.locator(".entry.agent .delivery[data-state='sent']").wait_for()
            path = out / f"conversation-{label}.png"
            await page.screenshot(path=str(path), full_page=label == "desktop")
            saved.append(path)
            if label == "desktop":
                await page.goto(f"{app.base}/console/account")
                await page.locator("#console-locale").wait_for()
                path = out / "account-desktop.png"
                await page.screenshot(path=str(path))
                saved.append(path)
        finally:
            await context.close()
    return saved


async def capture(out: Path, database_url: str, settings: Settings | None = None) -> list[Path]:
    """Screenshots into `out` (which must exist) from a running app on an empty, migrated database."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = settings or Settings(
            _env_file=None,
            database_url=database_url,
            secret_key=SecretStr("screenshots-only"),  # type: ignore[call-arg]
            secret_key_file=Path(tmp) / "secret",
            delivery_poll_interval=0.05,
        )
        async with running(settings) as app, chromium() as browser:
            conv_id = await seed(app)
            return await shoot(browser, app, conv_id, out)


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/screenshots.db"
        upgrade(url)
        for path in asyncio.run(capture(out, url)):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
