"""A customer's attachment recorded in the event's transaction: the pending row and its fetch job.

The webhook acknowledges as soon as the event commits; the content is fetched afterwards by the job
(bot.attachments.fetch), so a slow or failing content API never delays or loses an event.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from bot.attachments.messages import SUMMARY
from bot.events import AttachmentIn, InboundEvent
from storage.models import ChannelIdentity, Conversation
from storage.repositories import attachments as repo
from storage.repositories import jobs
from storage.repositories.jobs import Planned
from storage.repositories.tickets import open_ticket

FETCH = "attachment.fetch"
# A web chat upload's content comes with its request; its job waits this long and only acts when
# that request never finished.
UPLOAD_GRACE = dt.timedelta(minutes=10)


async def record(s: AsyncSession, event: InboundEvent, conv: Conversation, identity: ChannelIdentity) -> bool:
    """True when a fetch was planned (a location has nothing to fetch)."""
    body = event.body
    if not isinstance(body, AttachmentIn):
        return False
    now = dt.datetime.now(dt.UTC)
    row = await repo.add(
        s,
        repo.NewAttachment(
            conversation_id=conv.id,
            customer_id=identity.customer_id,
            channel=event.key.channel,
            direction="in",
            kind=body.kind,
            event_id=event.event_id,
            source=body.source,
            original_name=body.name,
            size=body.size,
            latitude=body.latitude,
            longitude=body.longitude,
            place=body.place,
        ),
        now,
    )
    if row.status != "pending":
        return False
    run_at = now + UPLOAD_GRACE if (body.source or "").startswith("upload:") else now
    await jobs.plan(s, [Planned(f"attachment:{row.id}", FETCH, run_at, {"attachment_id": row.id})])
    return True


def describe(body: AttachmentIn) -> str:
    """The transcript line an agent reads (the content itself is shown beside it by the console)."""
    if body.kind == "location":
        where = f"{body.latitude:.6f},{body.longitude:.6f}"
        return f"[location] {where}" + (f" {body.place}" if body.place else "")
    label = {"image": "photo", "audio": "voice message", "file": "document"}.get(body.kind, body.kind)
    line = f"[{label}]" + (f" {body.name}" if body.name else "")
    return line + (f"\n{body.caption}" if body.caption else "")


async def note_attachment(s: AsyncSession, conversation_id: int, kind: str, event_id: str) -> int:
    """The NoteAttachment effect: the open ticket (or a new normal one) says so and owns the files."""
    ticket = await open_ticket(s, conversation_id, "attachment", "normal", SUMMARY.get(kind, SUMMARY["file"]))
    await repo.link_ticket(s, conversation_id, event_id, ticket.id)
    return ticket.id
