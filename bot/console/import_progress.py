"""How far a CSV import has got, for the progress bar on the import page.

The upload form carries a random token its script made; the import reports its progress under that
token (and the agent's id), and the page polls `/console/api/bookings/import/progress?token=…` while
it waits for the upload's answer. Kept in this process: with `serve --workers N` the poll may reach
another worker, which knows nothing of it, and the bar then just says "working".
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.console.csv_import import Progress
from bot.console.i18n import N_
from bot.console.web import Console, Me, Page, json_error

TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
# Finished imports are forgotten after this long; at most this many are remembered at once.
KEEP_SECONDS = 300.0
MAX_KEPT = 200


@dataclass(slots=True)
class State:
    agent_id: int
    phase: str = "uploading"
    done: int = 0
    total: int = 0
    at: float = 0.0


_states: OrderedDict[str, State] = OrderedDict()


def tracker(token: str, agent_id: int) -> Progress | None:
    """The progress callback for an import started with this token (None for a missing or bad one)."""
    if not TOKEN.fullmatch(token):
        return None
    now = time.monotonic()
    for key in [k for k, s in _states.items() if now - s.at > KEEP_SECONDS]:
        del _states[key]
    while len(_states) >= MAX_KEPT:
        _states.popitem(last=False)
    state = _states[token] = State(agent_id, at=now)

    def tell(phase: str, done: int, total: int) -> None:
        state.phase, state.done, state.total, state.at = phase, done, total, time.monotonic()

    return tell


async def progress(console: Console, request: Request, me: Me) -> Response:
    state = _states.get(request.query_params.get("token", ""))
    if state is None or state.agent_id != me.agent_id:
        return json_error(N_("No such import."), 404, me.locale)
    body = {"phase": state.phase, "done": state.done, "total": state.total}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


PAGES = [Page("/api/bookings/import/progress", progress)]
