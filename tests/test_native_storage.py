"""Storage of the native channel features, on SQLite and PostgreSQL: rich menus per language and
per-user links (the menu wanted after a language change), the read mark and LINE's mark-as-read job
(planned once per token, marked with everything before it), and erasure taking the LINE link along."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from storage.db import Database
from storage.models import Customer, Job, LineMenuLink
from storage.repositories import conversations, inbox, line_menus, reads
from storage.repositories.console_data import erase_customer

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    yield database
    await database.dispose()


async def line_message(db: Database, user: str, event_id: str, token: str | None, locale: str = "ja") -> int:
    async with db.write() as s:
        await inbox.store_once(s, "line", event_id, "textin", NOW, token)
        ident = await conversations.identity_for(s, "line", user)
        conv = await conversations.lock_conversation(s, "line", user, ident.id)
        conv.locale = locale
        conversations.add_transcript(s, conv.id, "customer", "hi", event_id=event_id, at=NOW)
        return conv.id


async def test_the_menus_and_a_users_link_are_read_back(db: Database) -> None:
    user = f"U{NOW.timestamp():.0f}menu"
    await line_message(db, user, "menu-ev-1", None, "th")
    async with db.write() as s:
        await line_menus.save_menu(s, "th", "richmenu-th-1", "abc", NOW)
        await line_menus.save_menu(s, "ja", "richmenu-ja-1", "def", NOW)
    async with db.read() as s:
        assert await line_menus.menu_ids(s) == {"th": "richmenu-th-1", "ja": "richmenu-ja-1"}
        assert await line_menus.linked_menu(s, user) is None
    async with db.write() as s:
        await line_menus.record_link(s, user, "richmenu-th-1", "th", NOW)
        await line_menus.save_menu(s, "th", "richmenu-th-2", "xyz", NOW)  # a new content
    async with db.read() as s:
        assert (await line_menus.menu_ids(s))["th"] == "richmenu-th-2"
        assert await line_menus.linked_menu(s, user) == "richmenu-th-1"
        assert (await line_menus.menus(s))["th"].digest == "xyz"


async def test_a_read_plans_one_job_for_the_newest_token_and_marking_covers_the_rest(db: Database) -> None:
    user = f"U{NOW.timestamp():.0f}read"
    conv_id = await line_message(db, user, "read-ev-1", "tok-a")
    await line_message(db, user, "read-ev-2", "tok-b")
    for _ in range(2):  # opened twice: one job
        async with db.write() as s:
            read = await reads.record_read(s, conv_id, None, NOW)
    assert read is not None and read.planned is False
    async with db.read() as s:
        [job] = (await s.execute(select(Job).where(Job.kind == reads.LINE_MARK_READ))).scalars().all()
        assert job.data["token"] == "tok-b" and job.key == f"line-read:{job.data['inbox_id']}"
        assert await reads.seen_event_id(s, conv_id) == "read-ev-2"
    async with db.write() as s:
        assert await reads.marked(s, conv_id, int(job.data["inbox_id"]), NOW) == 2
    async with db.write() as s:
        again = await reads.record_read(s, conv_id, None, NOW)
    assert again is not None and again.planned is False, "nothing left to mark"


async def test_erasing_the_customer_removes_their_line_menu_link(db: Database) -> None:
    user = f"U{NOW.timestamp():.0f}erase"
    await line_message(db, user, "erase-ev-1", None)
    async with db.write() as s:
        customer = Customer(full_name="Erase Me", email=f"{user}@example.com")
        s.add(customer)
        await s.flush()
        ident = await conversations.identity_for(s, "line", user)
        ident.customer_id = customer.id
        await line_menus.record_link(s, user, "richmenu-ja-1", "ja", NOW)
        customer_id = customer.id
    async with db.write() as s:
        await erase_customer(s, customer_id, "delete", NOW)
    async with db.read() as s:
        left = (
            await s.execute(
                select(func.count()).select_from(LineMenuLink).where(LineMenuLink.user_id == user)
            )
        ).scalar_one()
    assert left == 0
