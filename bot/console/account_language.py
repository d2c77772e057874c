"""An agent's console language (ja | en), chosen on the account page and kept on the agent.

The change is audited and applies from the next page on: every page is rendered in the language of
the agent who asked for it (bot/console/i18n.py), never in a process-wide one.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bot.console.i18n import N_, SUPPORTED
from bot.console.web import PREFIX, Console, Me, Page, field, form_data, redirect
from storage.models import Agent
from storage.repositories import console as repo


async def choose(console: Console, request: Request, me: Me) -> Response:
    form = await form_data(request, max_files=0)
    locale = field(form, "console_locale", 8)
    if locale not in SUPPORTED:
        return console.error(me, 400, N_("Choose Japanese or English."))
    async with console.db.write() as s:
        agent = await s.get(Agent, me.agent_id)
        assert agent is not None  # the guard found this agent a moment ago
        before = agent.console_locale
        agent.console_locale = locale
        repo.audit(
            s,
            me.actor,
            "agent.console_locale",
            "agent",
            me.agent_id,
            {"from": before, "to": locale},
            agent_id=me.agent_id,
        )
    return redirect(f"{PREFIX}/account?done=language")


PAGES = [Page("/account/language", choose, ("POST",))]
