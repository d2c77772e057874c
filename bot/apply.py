"""Applies a dialog's effects inside the event's transaction. Some answer back with a SystemIn event."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from bot import link_limits as limits
from bot.attachments.inbound import note_attachment
from bot.effects import (
    AttemptLink,
    Effect,
    Escalate,
    FileRequest,
    MarkUnreachable,
    NoteAttachment,
    RecordConsent,
    RecordCsat,
    SetLocale,
)
from bot.events import ConversationKey, SystemIn
from bot.link_limits import LinkGuard
from storage.models import ChannelIdentity, Conversation
from storage.repositories import csat, customers, requests
from storage.repositories.tickets import open_ticket


@dataclass
class Applied:
    """What the engine does after commit: notify agents of tickets; feed results back to the dialog.

    The conversation's mode is not changed here: runtime.turn decides it (bot.modes.after_turn).
    """

    ticket_ids: list[int] = field(default_factory=list)
    results: list[SystemIn] = field(default_factory=list)


async def apply_effects(
    session: AsyncSession,
    effects: tuple[Effect, ...],
    conv: Conversation,
    identity: ChannelIdentity,
    now: dt.datetime,
    guard: LinkGuard | None = None,
) -> Applied:
    guard = guard or LinkGuard("", limits.source_of(ConversationKey(conv.channel, conv.user_id), None))
    applied = Applied()
    for effect in effects:
        match effect:
            case Escalate(reason=reason, priority=priority, summary=summary):
                ticket = await open_ticket(session, conv.id, reason, priority, summary)
                applied.ticket_ids.append(ticket.id)
            case FileRequest():
                await _file_request(session, effect, conv, identity, now, applied)
            case SetLocale(locale=locale, source=source):
                conv.locale, conv.locale_source = locale, source
            case AttemptLink():
                applied.results.append(
                    await _attempt_link(session, effect, conv, identity, now, applied, guard)
                )
            case RecordConsent():
                identity.consent_at = identity.consent_at or now
            case MarkUnreachable():
                identity.unreachable_at = now
            case NoteAttachment(kind=kind, event_id=event_id):
                applied.ticket_ids.append(await note_attachment(session, conv.id, kind, event_id))
            case RecordCsat(survey=survey, rating=rating, comment=comment):
                # Only this conversation's survey; a second answer changes nothing (repository).
                await csat.record(session, survey, conv.id, now, rating=rating, comment=comment)
    return applied


async def _file_request(
    session: AsyncSession,
    effect: FileRequest,
    conv: Conversation,
    identity: ChannelIdentity,
    now: dt.datetime,
    applied: Applied,
) -> None:
    request_id = await requests.file_once(
        session,
        conversation_id=conv.id,
        customer_id=identity.customer_id,
        booking_id=effect.booking_id,
        kind=effect.kind,
        details=effect.details,
        fee_jpy=effect.fee_jpy,
        dedupe_key=f"{conv.id}:{effect.kind}:{effect.dedupe}",
        now=now,
    )
    if request_id is None:  # filed before: never twice
        return
    if effect.escalate:
        ticket = await open_ticket(session, conv.id, effect.kind, effect.priority, effect.summary, request_id)
        applied.ticket_ids.append(ticket.id)


async def _attempt_link(
    session: AsyncSession,
    effect: AttemptLink,
    conv: Conversation,
    identity: ChannelIdentity,
    now: dt.datetime,
    applied: Applied,
    guard: LinkGuard,
) -> SystemIn:
    attempt = limits.Attempt.of(guard, effect.reference)
    if await limits.is_locked(session, attempt, now):
        # Even the right birth date: a lock must not confirm a guess.
        return SystemIn("link_result", {"result": "locked"})
    customer = await customers.linkable(session, effect.reference, effect.birth_date)
    if customer is None:
        left = await limits.fail(session, attempt, conv, now, applied.ticket_ids)
        if left is None:
            return SystemIn("link_result", {"result": "locked"})
        return SystemIn("link_result", {"result": "wrong", "left": str(left)})
    await limits.succeeded(session, attempt)
    identity.customer_id = customer.id
    identity.linked_at = now
    conv.link_failures = 0
    if identity.consent_at is not None and customer.consent_at is None:
        customer.consent_at = identity.consent_at
    return SystemIn("link_result", {"result": "ok"})
