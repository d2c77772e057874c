"""POST /console/conversations/<id>/typing: the agent holding the conversation is writing a reply.

console.js sends it at most every 3 s while the reply box changes. It is a hint, not data: nothing is
stored; the bus carries it to the customer's channel — the web chat shows "typing…", Telegram gets a
"typing" chat action (bot/handlers/telegram/typing.py). Only the agent who holds the conversation
signals (a colleague merely looking is not answering).
"""

from __future__ import annotations

import time
import weakref

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.console.web import Console, Me, Page, json_error, reading
from bot.reads import TYPING_TOPIC, typing_topic
from storage.models import Conversation
from storage.repositories import tickets

# Per console (one app) and conversation: when the signal last went out (a second tab, a fast typist).
# Kept per app, not per process: two apps in one process (tests, a second database) do not share it.
THROTTLE_S = 2.0
_sent: weakref.WeakKeyDictionary[Console, dict[int, float]] = weakref.WeakKeyDictionary()
MAX_TRACKED = 10_000


async def composing(console: Console, request: Request, me: Me) -> Response:
    conv_id = int(request.path_params["conversation_id"])
    async with reading(console.db) as s:
        conv = await s.get(Conversation, conv_id)
        ticket = await tickets.active_ticket(s, conv_id)
    if conv is None:
        return json_error("No such conversation.", 404)
    if ticket is None or ticket.status != "claimed" or ticket.claimed_by != me.agent_id:
        return JSONResponse({"ok": False, "signalled": False})
    _last = _sent.setdefault(console, {})
    now = time.monotonic()
    if now - _last.get(conv_id, -THROTTLE_S) < THROTTLE_S:
        return JSONResponse({"ok": True, "signalled": False})
    if len(_last) >= MAX_TRACKED:
        _last.clear()
    _last[conv_id] = now
    # No platform user id on the bus (it crosses processes by NOTIFY): the channel looks it up.
    payload = {"conversation_id": conv_id, "channel": conv.channel}
    await console.bus.publish(TYPING_TOPIC, payload)
    await console.bus.publish(typing_topic(conv_id), {"conversation_id": conv_id})
    return JSONResponse({"ok": True, "signalled": True})


PAGES = [Page("/conversations/{conversation_id:int}/typing", composing, ("POST",))]
