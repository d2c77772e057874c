"""How many wrong identity checks are allowed, counted per booking reference and per source.

A conversation is cheap to start (a web chat one is a cookie), so the count follows what an attacker
cannot renew for free: the booking reference tried, and the source — the web chat client's address, the
LINE or Telegram user. Five failures for one reference within an hour lock that reference for an hour
on every channel, even with the right birth date; ten from one source lock that source. References
that do not exist are counted and locked the same way, and the customer is told the same words, so
nothing reveals whether a reference exists. Only keyed hashes of references and sources are stored.

Behind nginx the address must be the client's, not the proxy's: `counselbot serve` runs uvicorn with
proxy headers on, so it takes the address from X-Forwarded-For (which deploy/nginx/counselbot.conf sets)
only when the request comes from a trusted proxy — 127.0.0.1 by default, FORWARDED_ALLOW_IPS otherwise.
A proxy elsewhere that is not trusted makes every visitor one source, sharing one limit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.events import ConversationKey
from storage.models import Conversation
from storage.repositories import link_limits as repo
from storage.repositories.tickets import open_ticket

REFERENCE_MAX_FAILURES = 5
SOURCE_MAX_FAILURES = 10
WINDOW = dt.timedelta(hours=1)
LOCK = dt.timedelta(hours=1)
REFERENCE, SOURCE = "reference", "source"


@dataclass(frozen=True, slots=True)
class LinkGuard:
    """What the engine knows of the attempt beyond the dialog: the app secret and the source."""

    secret: str
    source: str


def source_of(key: ConversationKey, address: str | None) -> str:
    if key.channel == "webchat":
        # The cookie is free to renew; the address is not. Without one (tests, odd transports) the
        # visitor is the best there is.
        return f"webchat-address:{client_network(address)}" if address else f"webchat:{key.user_id}"
    return f"{key.channel}:{key.user_id}"


def client_network(address: str) -> str:
    """An IPv6 client counts as its /64: one subscriber holds the whole block and can rotate in it."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        # A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d; their /64 would be one bucket
        # for every IPv4 client in the world.
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def normalize_reference(reference: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", reference)).upper()


def key_hash(secret: str, kind: str, value: str) -> str:
    return hmac.new(secret.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Attempt:
    reference: str  # normalized
    reference_key: str
    source_key: str

    @classmethod
    def of(cls, guard: LinkGuard, reference: str) -> Attempt:
        ref = normalize_reference(reference)
        return cls(ref, key_hash(guard.secret, REFERENCE, ref), key_hash(guard.secret, SOURCE, guard.source))


async def is_locked(session: AsyncSession, attempt: Attempt, now: dt.datetime) -> bool:
    """Whether either key is locked; from here to commit, other attempts on these keys wait."""
    await repo.serialize(session, attempt.reference_key, attempt.source_key)
    for kind, key in ((REFERENCE, attempt.reference_key), (SOURCE, attempt.source_key)):
        if await repo.active_lock(session, kind, key, now) is not None:
            return True
    return False


async def fail(
    session: AsyncSession, attempt: Attempt, conv: Conversation, now: dt.datetime, tickets: list[int]
) -> int | None:
    """Count a wrong check. None if it locked linking (a new lock opens an urgent ticket); else tries left."""
    by_reference = await repo.record_failure(session, REFERENCE, attempt.reference_key, now, WINDOW)
    by_source = await repo.record_failure(session, SOURCE, attempt.source_key, now, WINDOW)
    locked = False
    if by_reference >= REFERENCE_MAX_FAILURES:
        booking_id = await repo.booking_id_for(session, attempt.reference)
        await _lock(session, REFERENCE, attempt.reference_key, conv, booking_id, now, tickets)
        locked = True
    if by_source >= SOURCE_MAX_FAILURES:
        await _lock(session, SOURCE, attempt.source_key, conv, None, now, tickets)
        locked = True
    if locked:
        conv.link_locked_until = now + LOCK
        return None
    return min(REFERENCE_MAX_FAILURES - by_reference, SOURCE_MAX_FAILURES - by_source)


async def succeeded(session: AsyncSession, attempt: Attempt) -> None:
    # The owner got it right: earlier slips on this reference no longer count against them.
    await repo.clear_failures(session, REFERENCE, attempt.reference_key)


async def _lock(
    session: AsyncSession,
    kind: str,
    key: str,
    conv: Conversation,
    booking_id: int | None,
    now: dt.datetime,
    tickets: list[int],
) -> None:
    lock = await repo.take_lock(session, kind, key, now, now + LOCK, conv.id, booking_id)
    if lock is None:
        return  # locked already by a concurrent attempt: its ticket is enough
    what = "booking reference" if kind == REFERENCE else "source (address or chat account)"
    summary = (
        f"Identity checks failed {REFERENCE_MAX_FAILURES if kind == REFERENCE else SOURCE_MAX_FAILURES} "
        f"times for one {what} within an hour: linking it is locked for an hour on every channel. "
        "Possibly someone guessing a birth date; lift the lock in the console (Locks) once the customer "
        "is confirmed."
    )
    ticket = await open_ticket(session, conv.id, "link_locked", "urgent", summary)
    lock.ticket_id = ticket.id
    if ticket.id not in tickets:
        tickets.append(ticket.id)
