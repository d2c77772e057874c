"""Identity-check locks (bot.link_limits): the ones in force, and lifting one once a person has
confirmed who the customer is. Every lift is audited."""

from __future__ import annotations

import datetime as dt

from starlette.requests import Request
from starlette.responses import Response

from bot.console.i18n import N_
from bot.console.web import PREFIX, Console, Me, Page, reading, redirect
from storage.repositories import console as audit_repo
from storage.repositories import link_limits as repo


async def listing(console: Console, request: Request, me: Me) -> Response:
    async with reading(console.db) as s:
        locks = await repo.active_locks(s, dt.datetime.now(dt.UTC))
    lifted = request.query_params.get("lifted") == "1"
    return console.render("link_locks.html", me, active="locks", locks=locks, lifted=lifted)


async def lift(console: Console, request: Request, me: Me) -> Response:
    lock_id = int(request.path_params["lock_id"])
    async with console.db.write() as s:
        lock = await repo.lift_lock(s, lock_id, dt.datetime.now(dt.UTC), me.actor)
        if lock is None:
            return console.error(me, 404, N_("No such lock in force (it may have ended already)."))
        # The kind and the booking id only: the key is a hash and the reference is not logged.
        detail = {"kind": lock.kind, "booking_id": lock.booking_id, "conversation_id": lock.conversation_id}
        audit_repo.audit(s, me.actor, "link_lock.lift", "link_lock", lock.id, detail, agent_id=me.agent_id)
    return redirect(f"{PREFIX}/locks?lifted=1")


PAGES = [
    Page("/locks", listing),
    Page("/locks/{lock_id:int}/lift", lift, ("POST",)),
]
