"""The pipeline of one inbound event — the only place that opens a unit of work for customer input.

1 inbox (unique per channel and event id: a duplicate stops here) · 2 the conversation lock (an
asyncio lock in-process; FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite) · 3 customer, facts ·
4 a person owns it? record and relay · 5 understand, dialog step (pure) · 6 effects · 7 state,
transcript, requests and outbox in ONE transaction · then the caller acknowledges.
Sending happens after commit, from the outbox (bot.delivery).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import modes, team
from bot.apply import apply_effects
from bot.attachments import inbound as attachments_inbound
from bot.bus import Bus
from bot.config import Settings
from bot.delivery import DeliveryWorker, Job, handed_over
from bot.dialogs import runtime
from bot.dialogs.base import Ctx, Frame
from bot.dialogs.runtime import StackState, current_prompt
from bot.events import (
    AttachmentIn,
    ConversationKey,
    FollowIn,
    InboundEvent,
    SystemIn,
    TextIn,
    UnfollowIn,
)
from bot.facts import load_facts
from bot.i18n import DEFAULT_LOCALE, SUPPORTED, Msg, Translator, normalize_locale
from bot.instruments import Instruments
from bot.link_limits import LinkGuard, source_of
from bot.locks import KeyedLocks
from bot.logs import hashed
from bot.modes import Mode
from bot.rendering import describe_inbound, render
from bot.replies import Choices, DatePicker, Rendered, Reply, Text
from bot.understanding import Understanding, understand
from bot.understanding.language import han_alone, latin_unsure
from storage.db import Database
from storage.models import ChannelIdentity, Conversation
from storage.repositories import arrivals, outbox, turns
from storage.repositories import conversations as conv_repo

log = logging.getLogger(__name__)

# Languages whose writing shares the Han characters: a message of those alone keeps the conversation's.
_HAN_LOCALES = ("ja", "zh_Hans", "zh_Hant")
# LINE accepts a reply token for about a minute; leave margin for the delivery worker.
REPLY_TOKEN_TTL = dt.timedelta(seconds=50)


@dataclass(frozen=True, slots=True)
class HandleResult:
    status: Literal["handled", "duplicate", "stored"]
    conversation_id: int | None = None
    # The conversation's language after the event (the LINE rich menu follows it).
    locale: str | None = None


@dataclass(frozen=True, slots=True)
class _Handover:
    """What the delivery worker is given after the commit: rows leased to it, and conversations
    whose answer waits behind an earlier row."""

    jobs: list[Job] = dataclasses.field(default_factory=list)
    behind: list[int] = dataclasses.field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Turned:
    step: runtime.Settled
    ticket_ids: list[int]


class Engine:
    def __init__(
        self, db: Database, settings: Settings, bus: Bus, instruments: Instruments | None = None
    ) -> None:
        self.db, self.settings, self.bus = db, settings, bus
        self._locks = KeyedLocks()
        # What /metrics shows; the delivery worker and the scheduler of the same app count into it too.
        self.instruments = instruments or Instruments()
        # Read once: the key may live in a file, and the hot path should not read it per event.
        self._secret = settings.secret()
        # The app's delivery worker, which takes committed answers straight from here (bot.app).
        self.delivery: DeliveryWorker | None = None

    async def handle(self, event: InboundEvent) -> HandleResult:
        started = time.perf_counter()
        event = _without_nul(event)
        handed = _Handover()
        async with self._locks.hold(event.key):
            try:
                result, publish = await self._handle_locked(event, handed)
            except DBAPIError as exc:
                if not exc.connection_invalidated:
                    raise
                # A pooled connection the database had dropped (PostgreSQL restarted; pools are not
                # pinged before use): SQLAlchemy has discarded it and its older peers, and the unit
                # rolled back, so it runs again once (the inbox keeps the event once either way).
                handed = _Handover()
                result, publish = await self._handle_locked(event, handed)
        if self.delivery is not None:
            for job in handed.jobs:
                self.delivery.handoff(job)
            for conversation_id in handed.behind:
                self.delivery.behind(conversation_id)
        for topic, payload in publish:
            await self.bus.publish(topic, payload)
        self.instruments.event(event.key.channel, result.status, time.perf_counter() - started)
        if log.isEnabledFor(logging.INFO):
            log.info(
                "event %s",
                result.status,
                extra={
                    "event_id": event.event_id,
                    "channel": event.key.channel,
                    "customer": hashed(event.key),
                },
            )
        return result

    async def _handle_locked(
        self, event: InboundEvent, handed: _Handover
    ) -> tuple[HandleResult, list[tuple[str, dict[str, Any]]]]:
        publish: list[tuple[str, dict[str, Any]]] = []
        async with self.db.write() as s:
            arrival = await _arrive(s, event)
            if arrival is None:
                return HandleResult("duplicate"), publish
            identity, conv = arrival.identity, arrival.conversation
            labels = _record_customer_line(s, event, conv, identity)
            publish.append((f"conversation:{conv.id}", {"conversation_id": conv.id}))
            mode = await self._bot_answers(s, event, conv, identity, publish)
            if mode is None:
                return HandleResult("stored", conv.id, conv.locale), publish
            await self._answer(s, event, conv, identity, mode, labels, handed, publish)
        return HandleResult("handled", conv.id, conv.locale), publish

    async def _bot_answers(
        self,
        s: AsyncSession,
        event: InboundEvent,
        conv: Conversation,
        identity: ChannelIdentity,
        publish: list[tuple[str, dict[str, Any]]],
    ) -> Mode | None:
        """What the event changes before any answer; the conversation's mode when the bot answers it,
        None when it does not."""
        if isinstance(event.body, AttachmentIn):
            # Pending, with its fetch job, in this transaction: the content comes after the ack.
            if await attachments_inbound.record(s, event, conv, identity):
                publish.append(("attachments", {"conversation_id": conv.id}))
        if isinstance(event.body, UnfollowIn):
            identity.unreachable_at = event.received_at
            await outbox.cancel_pending(s, conv.id, "customer unfollowed")
            return None
        if isinstance(event.body, FollowIn):
            identity.unreachable_at = None
        if event.silent:
            return None
        mode = modes.of(conv.mode)
        if modes.answering(mode, event.body) is None:
            # A person has it (or will): the bot stays silent; the console shows the message live.
            publish.append(("tickets", {"conversation_id": conv.id, "customer_message": True}))
            return None
        return mode

    async def _answer(
        self,
        s: AsyncSession,
        event: InboundEvent,
        conv: Conversation,
        identity: ChannelIdentity,
        mode: Mode,
        labels: dict[str, str],
        handed: _Handover,
        publish: list[tuple[str, dict[str, Any]]],
    ) -> None:
        """The turn, its resulting mode, and its answer rendered and written to the outbox."""
        settled = await self._turn(s, event, conv, identity, mode)
        publish.extend(("tickets", {"ticket_id": t}) for t in settled.ticket_ids)
        step = settled.step
        conv.mode = step.mode
        if step.handoff:
            # Auto-assignment, and the team's hours, presence and wait told to the customer.
            step = await team.after_handoff(s, self.settings, step, settled.ticket_ids, event.received_at)
        conv.version += 1
        # Rendered with the facts as the turn ended: a chat linked in this event shows the
        # customer's own time from the first fee summary on, a language switch its new language.
        final = step.facts
        tr = Translator(final.locale, final.customer.timezone if final.customer else None)
        rendered = [render(r, tr, step.state.token) for r in step.replies]
        # The labels of the buttons on screen, so the transcript shows what a press meant.
        shown = {o.id: o.label for r in rendered for o in r.options}
        conv.stack = {**step.state.to_json(), "labels": shown or labels}
        await self._write_answer(s, event, conv, identity, rendered, handed, publish)

    async def _write_answer(
        self,
        s: AsyncSession,
        event: InboundEvent,
        conv: Conversation,
        identity: ChannelIdentity,
        rendered: list[Rendered],
        handed: _Handover,
        publish: list[tuple[str, dict[str, Any]]],
    ) -> None:
        """The conversation, the answer's outbox row and the transcript lines (the bot's carry the
        answer's id), and who sends the answer after the commit."""
        reply, direct, expires = None, False, None
        if rendered and identity.unreachable_at is None:
            # Inserted leased to this process's delivery worker when it can send it now: it is
            # handed over after the commit, with no poll and no re-read (bot.delivery).
            worker = self.delivery
            direct = worker is not None and worker.accepts(event.key.channel)
            expires = (event.received_at + REPLY_TOKEN_TTL) if event.reply_token else None
            reply = outbox.reply_draft(
                s,
                conversation_id=conv.id,
                channel=event.key.channel,
                user_id=event.key.user_id,
                messages=rendered,
                reply_token=event.reply_token,
                reply_token_expires_at=expires,
                lease_until=DeliveryWorker.lease_until() if direct else None,
                delivered=worker.delivered(conv.id) if worker is not None and direct else (),
            )
        row = await turns.finish(
            s, conv, reply, [(r.as_numbered_text(), r.to_json()) for r in rendered] if reply else ()
        )
        if row is not None and row.claimed:
            handed.jobs.append(
                handed_over(row, conv.id, event.key, tuple(rendered), event.reply_token, expires)
            )
        elif row is not None and direct:
            # Behind an earlier row of the conversation: this worker claims it the moment
            # that row is marked sent, by whichever process sent it.
            handed.behind.append(conv.id)
        elif row is not None:
            publish.append(("outbox", {"channel": event.key.channel}))

    async def _turn(
        self, s: AsyncSession, event: InboundEvent, conv: Conversation, identity: ChannelIdentity, mode: Mode
    ) -> _Turned:
        """runtime.turn driven with this event's I/O: facts loaded, effects applied in the transaction."""
        understood = (
            understand(event.body.text, event.received_at) if isinstance(event.body, TextIn) else None
        )
        text = event.body.text if isinstance(event.body, TextIn) else None
        locale = self._choose_locale(conv, identity, understood, text)
        facts = await load_facts(s, self.settings, identity, conv, locale)
        facts = dataclasses.replace(facts, understood=understood)
        guard = LinkGuard(self._secret, source_of(event.key, event.address))
        ticket_ids: list[int] = []
        step = runtime.turn(
            StackState.from_json(conv.stack), event, facts, mode=mode, token=str(conv.version + 1)
        )
        while isinstance(step, runtime.Pending):
            applied = await apply_effects(s, step.effects, conv, identity, event.received_at, guard)
            ticket_ids += applied.ticket_ids
            fresh = None
            if step.refresh:
                fresh = await load_facts(s, self.settings, identity, conv, conv.locale or locale)
            step = step.resume(applied.results, fresh)
        return _Turned(step, ticket_ids)

    async def send_from_agent(self, conversation_id: int, agent_id: int | None, text: str) -> int:
        """An agent's message to the customer, in their channel, through the outbox. Returns the outbox id."""
        publish: list[tuple[str, dict[str, Any]]] = []
        async with self.db.write() as s:
            conv = await conv_repo.lock_conversation_by_id(s, conversation_id)
            if conv is None:
                raise LookupError("no such conversation")
            rendered = [Rendered("text", text)]
            row = outbox.enqueue(
                s,
                conversation_id=conv.id,
                channel=conv.channel,
                user_id=conv.user_id,
                messages=rendered,
                source="agent",
            )
            await s.flush()
            conv_repo.add_transcript(
                s, conv.id, "agent", text, agent_id=agent_id, outbox_id=row.id, payload=rendered[0].to_json()
            )
            publish += [("outbox", {"id": row.id}), (f"conversation:{conv.id}", {"conversation_id": conv.id})]
            outbox_id = row.id
        for topic, payload in publish:
            await self.bus.publish(topic, payload)
        return outbox_id

    async def hand_back(self, conversation_id: int, notice: Msg | None = None) -> None:
        """Back to the bot: mode `bot`, the menu, and (optionally) a notice, in the customer's language."""
        async with self.db.write() as s:
            publish = await self.hand_back_in(s, conversation_id, notice)
        await self._publish(publish)

    async def hand_back_in(
        self, s: AsyncSession, conversation_id: int, notice: Msg | None = None, *, survey: int | None = None
    ) -> list[tuple[str, dict[str, Any]]]:
        """`hand_back` inside the caller's unit of work (e.g. with the ticket's resolution, so that the
        two commit together). Returns what to publish after the commit; LookupError if it is gone.
        With a `survey` (bot.modes.resolve opened one) the satisfaction question comes instead of the menu."""
        await modes.hand_back(s, conversation_id)
        replies: list[Reply] = [Text(notice)] if notice is not None else []
        top = Frame("csat", "rating", {"survey": survey}) if survey is not None else None
        _, publish = await self._proactive(s, conversation_id, replies, "system", with_menu=True, top=top)
        return publish

    async def send_proactive(
        self, conversation_id: int, replies: list[Reply], *, source: str = "system", with_menu: bool = False
    ) -> int | None:
        """Say something the customer did not ask for (a reminder, an outcome), in their language.

        Buttons in `replies` are answered by the menu: the conversation's stack is set to the menu with
        the token these buttons carry, so e.g. a reminder's "I need to cancel" enters that flow. Returns
        the outbox id, or None when the customer is unreachable.
        """
        async with self.db.write() as s:
            outbox_id, publish = await self._proactive(s, conversation_id, replies, source, with_menu)
        await self._publish(publish)
        return outbox_id

    async def _publish(self, publish: list[tuple[str, dict[str, Any]]]) -> None:
        for topic, payload in publish:
            await self.bus.publish(topic, payload)

    async def _proactive(
        self,
        s: AsyncSession,
        conversation_id: int,
        replies: list[Reply],
        source: str,
        with_menu: bool,
        top: Frame | None = None,
    ) -> tuple[int | None, list[tuple[str, dict[str, Any]]]]:
        publish: list[tuple[str, dict[str, Any]]] = []
        outbox_id: int | None = None
        conv = await conv_repo.lock_conversation_by_id(s, conversation_id)
        if conv is None:
            raise LookupError("no such conversation")
        identity = await conv_repo.identity_for(s, conv.channel, conv.user_id)
        now = dt.datetime.now(dt.UTC)
        locale = conv.locale or identity.locale_hint or DEFAULT_LOCALE
        facts = await load_facts(s, self.settings, identity, conv, locale)
        token = str(conv.version + 1)
        key = ConversationKey(conv.channel, conv.user_id)
        ctx = Ctx(InboundEvent(key, "proactive", now, SystemIn("proactive")), facts)
        state = StackState(frames=(top or Frame("menu", "main"),), token=token, at=now)
        replies = list(replies)
        if with_menu:
            replies += current_prompt(state, ctx)
        conv.version += 1
        tr = Translator(locale, facts.customer.timezone if facts.customer else None)
        rendered = [render(r, tr, token) for r in replies]
        if modes.of(conv.mode) is Mode.BOT and any(isinstance(r, Choices | DatePicker) for r in replies):
            conv.stack = {**state.to_json(), "labels": {o.id: o.label for r in rendered for o in r.options}}
        if rendered and identity.unreachable_at is None:
            row = outbox.enqueue(
                s,
                conversation_id=conv.id,
                channel=conv.channel,
                user_id=conv.user_id,
                messages=rendered,
                source=source,
            )
            for r in rendered:
                conv_repo.add_transcript(
                    s, conv.id, "bot", r.as_numbered_text(), payload=r.to_json(), outbox=row
                )
            await s.flush()
            outbox_id = row.id
            publish.append(("outbox", {"id": row.id}))
        publish.append((f"conversation:{conv.id}", {"conversation_id": conv.id}))
        return outbox_id, publish

    def _choose_locale(
        self,
        conv: Conversation,
        identity: ChannelIdentity,
        understood: Understanding | None,
        text: str | None = None,
    ) -> str:
        """The customer's choice always wins; then the language they write in; then the platform's."""
        choice = understood.language_choice if understood else None
        if choice in SUPPORTED:
            conv.locale, conv.locale_source = choice, "chosen"
            return str(choice)
        if conv.locale_source == "chosen" and conv.locale:
            return conv.locale
        written = normalize_locale(understood.language) if understood else None
        if written in _HAN_LOCALES and conv.locale in _HAN_LOCALES and text is not None and han_alone(text):
            # "施術", "午後" in a Japanese conversation (or either Chinese): the script cannot tell.
            written = None
        if {written, conv.locale} == {"en", "vi"} and text is not None and latin_unsure(text):
            # "ok a", "yes" in a Vietnamese chat (or "ko" in an English one): too little to switch on.
            written = None
        if written and understood is not None and understood.confident_language:
            conv.locale, conv.locale_source = written, "detected"
            return written
        if conv.locale:
            return conv.locale
        conv.locale = identity.locale_hint or DEFAULT_LOCALE
        conv.locale_source = "platform" if identity.locale_hint else None
        return conv.locale


async def _arrive(s: AsyncSession, event: InboundEvent) -> arrivals.Arrival | None:
    """The inbox row (None: a duplicate), and the customer's identity and conversation, locked."""
    return await arrivals.arrive(
        s,
        channel=event.key.channel,
        user_id=event.key.user_id,
        event_id=event.event_id,
        kind=type(event.body).__name__.removesuffix("In").lower(),
        received_at=event.received_at,
        read_token=event.read_token,
    )


def _record_customer_line(
    s: AsyncSession, event: InboundEvent, conv: Conversation, identity: ChannelIdentity
) -> dict[str, str]:
    """What the platform told about the customer, and their line of the transcript; returns the
    labels of the buttons they were shown (a press is written as the label it had)."""
    # Set only when it differs: an identity left unchanged has nothing to flush.
    if event.display_name and identity.display_name != event.display_name[:200]:
        identity.display_name = event.display_name[:200]
    hint = normalize_locale(event.locale_hint)
    if hint and identity.locale_hint != hint:
        identity.locale_hint = hint
    conv.last_event_at = event.received_at
    labels: dict[str, str] = dict((conv.stack or {}).get("labels", {}))
    conv_repo.add_transcript(
        s, conv.id, "customer", describe_inbound(event, labels), event_id=event.event_id, at=event.received_at
    )
    return labels


def _without_nul(event: InboundEvent) -> InboundEvent:
    """PostgreSQL refuses NUL in text: a customer's stray \x00 must not make an event fail forever."""
    body = event.body
    if isinstance(body, TextIn) and "\x00" in body.text:
        event = dataclasses.replace(event, body=TextIn(body.text.replace("\x00", "")))
    if event.display_name and "\x00" in event.display_name:
        event = dataclasses.replace(event, display_name=event.display_name.replace("\x00", ""))
    return event
