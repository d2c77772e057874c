"""Optional: each new ticket is also posted to the agents' Telegram group (COUNSELBOT_TELEGRAM_AGENTS_CHAT_ID).

An urgent ticket outside business hours is marked "ON CALL" and mentions the on-call person
(COUNSELBOT_ONCALL_TELEGRAM, an @username): Telegram notifies a mentioned member even in a muted group.

The post says only the ticket number, reason, priority, language, channel and a console link: no names
or message text leave for Telegram. With several server processes every one hears the bus, so a flag
row (inserted once per ticket) decides which process posts. A failed post is logged, not retried.
"""

from __future__ import annotations

import datetime as dt
import logging

import httpx

from bot import team
from bot.channels import AppContext
from bot.console.queue import reason_label
from bot.console.web import PREFIX, language
from storage.models import Conversation, Flag, Ticket
from storage.repositories.common import insert_for

log = logging.getLogger(__name__)


class AgentsGroupNotifier:
    def __init__(self, ctx: AppContext, chat_id: str, token: str) -> None:
        self.ctx, self.chat_id, self.token = ctx, chat_id, token

    async def run(self) -> None:
        async with self.ctx.bus.subscribe("tickets") as sub:
            async for payload in sub:
                ticket_id = payload.get("ticket_id")
                if isinstance(ticket_id, int):
                    try:
                        await self.post(ticket_id)
                    except Exception as exc:
                        log.warning("console: agents' group post failed", extra={"error": type(exc).__name__})

    async def post(self, ticket_id: int) -> bool:
        async with self.ctx.db.write() as s:
            first = (
                await s.execute(
                    insert_for(s, Flag)
                    .values(key=f"console:tg-posted:{ticket_id}", value=dt.datetime.now(dt.UTC).isoformat())
                    .on_conflict_do_nothing(index_elements=["key"])
                    .returning(Flag.key)
                )
            ).scalar_one_or_none()
            ticket = await s.get(Ticket, ticket_id) if first else None
            conv = (
                await s.get(Conversation, ticket.conversation_id)
                if ticket and ticket.conversation_id
                else None
            )
        # An auto-assigned ticket is claimed already; it is posted all the same (the team sees it).
        if ticket is None or ticket.status == "resolved":
            return False
        base = (
            self.ctx.settings.public_url or f"http://{self.ctx.settings.host}:{self.ctx.settings.port}"
        ).rstrip("/")
        link = f"{base}{PREFIX}/conversations/{conv.id}" if conv else f"{base}{PREFIX}/"
        urgent = await self._urgency(ticket)
        where = f"{language(conv.locale)} · {conv.channel}" if conv else ""
        text = f"{urgent}New ticket #{ticket.id}: {reason_label(ticket.reason)}\n{where}\n{link}".replace(
            "\n\n", "\n"
        )
        url = f"{self.ctx.settings.telegram_api_base}/bot{self.token}/sendMessage"
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(
                url,
                json={"chat_id": self.chat_id, "text": text, "link_preview_options": {"is_disabled": True}},
            )
        if response.status_code != 200:
            log.warning("console: agents' group post refused", extra={"status": response.status_code})
            return False
        return True

    async def _urgency(self, ticket: Ticket) -> str:
        """ "" | "URGENT " | "URGENT · ON CALL @who " (urgent while the team is closed)."""
        if ticket.priority != "urgent":
            return ""
        async with self.ctx.db.read() as s:
            rules = await team.load_rules(s)
        if team.open_now(rules, dt.datetime.now(dt.UTC)):
            return "URGENT "
        who = self.ctx.settings.oncall_telegram
        mention = f" @{who.lstrip('@')}" if who else ""
        return f"URGENT · ON CALL{mention} "
