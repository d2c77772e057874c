"""The console's availability toggle, team panel, "my languages", and the admins' hours page."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.config import Settings
from storage.models import Agent, DayOverride, Ticket, WeeklyHours
from storage.repositories import availability as team_repo
from storage.repositories import hours as hours_repo
from tests.console.support import add_agent, running
from tests.console.test_queue import ask_for_person, open_ticket_id


async def test_the_toggle_the_team_panel_and_assignment_when_someone_comes_online(
    sqlite_settings: Settings,
) -> None:
    async with running(sqlite_settings) as app:
        ann_id = await add_agent(app.db, "ann@agency.example", "Ann")
        async with app.db.write() as s:
            await team_repo.set_languages(s, ann_id, ("th", "en"))
            await hours_repo.set_setting(s, "assignment", "auto")
        ann = await app.login("ann@agency.example")
        assert (await ann.post("/console/presence", {"presence": "away"})).status_code == 303
        page = (await ann.client.get("/console/")).text
        assert 'id="presence-toggle" name="presence" value="online"' in page
        assert 'data-languages="th,en"' in page  # the "my languages" filter knows hers
        # Away: a Thai customer's ticket waits in the queue, with its language on it.
        conv_id = await ask_for_person(app.engine, "visitor-th", "th")
        ticket_id = await open_ticket_id(app.db, conv_id)
        queue = (await ann.client.get("/console/api/queue")).json()
        (row,) = queue["tickets"]
        assert (row["status"], row["language_code"], row["language"]) == ("open", "th", "ภาษาไทย")
        (me,) = queue["team"]
        assert (me["name"], me["status"], me["languages"], me["load"]) == ("Ann", "away", ["th", "en"], 0)
        # Back online: the waiting ticket is hers at once.
        assert (await ann.post("/console/presence", {"presence": "online"})).status_code == 303
        async with app.db.read() as s:
            ticket = await s.get(Ticket, ticket_id)
        assert ticket is not None and (ticket.status, ticket.claimed_by) == ("claimed", ann_id)
        (me,) = (await ann.client.get("/console/api/queue")).json()["team"]
        assert (me["status"], me["load"]) == ("online", 1)
        assert (await ann.post("/console/presence", {"presence": "elsewhere"})).status_code == 400


async def test_nothing_is_reassigned_to_an_offline_agent(sqlite_settings: Settings) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        ben_id = await add_agent(app.db, "ben@agency.example", "Ben")  # never signed in
        ann = await app.login("ann@agency.example")
        ticket_id = await open_ticket_id(app.db, await ask_for_person(app.engine, "visitor-1"))
        assert (await ann.post_json(f"/console/tickets/{ticket_id}/claim")).status_code == 200
        answer = await ann.post(f"/console/tickets/{ticket_id}/reassign", {"agent_id": str(ben_id)})
        assert answer.status_code == 409
        async with app.db.read() as s:
            ticket = await s.get(Ticket, ticket_id)
        assert ticket is not None and ticket.claimed_by != ben_id


async def test_admins_set_hours_holidays_closures_assignment_and_languages(sqlite_settings: Settings) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "root@agency.example", "Root", "admin")
        ann_id = await add_agent(app.db, "ann@agency.example", "Ann")
        ann = await app.login("ann@agency.example")
        assert (await ann.client.get("/console/admin/hours")).status_code == 403
        root = await app.login("root@agency.example")
        page = await root.client.get("/console/admin/hours")
        assert page.status_code == 200 and 'id="week-form"' in page.text
        week = {f"day-{n}": "09:00-12:00, 13:00-18:00" if n < 5 else "" for n in range(7)}
        assert (await root.post("/console/admin/hours/week", week)).status_code == 303
        bad = await root.post("/console/admin/hours/week", {**week, "day-5": "9 to 5"})
        assert bad.status_code == 400 and 'id="hours-error"' in bad.text
        closure = {"date": "2026-12-30", "state": "closed", "note": "year-end"}
        assert (await root.post("/console/admin/hours/day", closure)).status_code == 303
        holiday = {"date": "2027-01-11", "state": "open"}  # Coming of Age Day, kept open
        assert (await root.post("/console/admin/hours/day", holiday)).status_code == 303
        assert (
            await root.post("/console/admin/hours/day", {"date": "2027-01-11", "state": "rules"})
        ).status_code == 303
        assert (
            await root.post("/console/admin/hours/day", {"date": "soon", "state": "closed"})
        ).status_code == 400
        team = {"mode": "auto", "capacity": "3"}
        assert (await root.post("/console/admin/team", team)).status_code == 303
        langs = {"lang-vi": "on", "lang-en": "on", "capacity": "2"}
        assert (await root.post(f"/console/admin/team/{ann_id}", langs)).status_code == 303
        async with app.db.read() as s:
            intervals = (await s.execute(select(WeeklyHours).order_by(WeeklyHours.id))).scalars().all()
            days = (await s.execute(select(DayOverride))).scalars().all()
            agent = await s.get(Agent, ann_id)
            mode = await hours_repo.setting(s, "assignment")
        assert [(i.weekday, i.start_minute, i.end_minute) for i in intervals][:2] == [
            (0, 540, 720),
            (0, 780, 1080),
        ]
        assert len(intervals) == 10
        assert [(d.day, d.is_open, d.note) for d in days] == [(dt.date(2026, 12, 30), False, "year-end")]
        assert agent is not None and (agent.languages, agent.capacity) == ("en,vi", 2) and mode == "auto"
        account = (await ann.client.get("/console/account")).text
        assert '<span id="agent-languages">en, vi</span>' in account


async def test_signing_in_takes_what_waits_in_auto_mode(sqlite_settings: Settings) -> None:
    async with running(sqlite_settings) as app:
        ben_id = await add_agent(app.db, "ben@agency.example", "Ben")
        async with app.db.write() as s:
            await team_repo.set_languages(s, ben_id, ("ko",))
            await hours_repo.set_setting(s, "assignment", "auto")
        ticket_id = await open_ticket_id(app.db, await ask_for_person(app.engine, "visitor-ko", "ko"))
        async with app.db.read() as s:
            waiting = await s.get(Ticket, ticket_id)
        assert waiting is not None and waiting.status == "open"  # nobody was signed in
        await app.login("ben@agency.example")  # lands on the queue
        async with app.db.read() as s:
            ticket = await s.get(Ticket, ticket_id)
        assert ticket is not None and (ticket.status, ticket.claimed_by) == ("claimed", ben_id)
