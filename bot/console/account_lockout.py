"""Who may try a password now: failures per (account, address) with exponential backoff.

Why by (account, address): counted per account alone, anyone who knows an agent's e-mail could keep
the account locked with five requests every fifteen minutes. Counted per pair, a stranger elsewhere
only ever slows down their own address.

- **Pair**: PAIR_FREE failures in a day are free; each further one makes that address wait for that
  account BACKOFF_BASE × 2^(n − PAIR_FREE), at most BACKOFF_MAX (30 s, 1 min, 2 min, … 15 min). A
  success clears the pair.
- **Address**: at most ADDRESS_LIMIT failures in ADDRESS_WINDOW over all accounts (one address
  spraying many accounts); it blocks only that address.
- **Account ceiling**: ACCOUNT_CEILING failures in ACCOUNT_WINDOW from everywhere (many addresses
  guessing one account). While it holds, the account refuses new addresses — but an address the agent
  signed in from successfully in the last 30 days (KNOWN_FOR) is never refused by it: a stranger with
  many addresses can stop guessing from new places, not lock the agent out at their own desk. An agent
  on a new address during such an attack waits until it stops (at most ACCOUNT_WINDOW after it) or
  asks an admin.

IPv6 clients count as their /64 (one subscriber holds the block). Keys are hashes: no e-mail or
address is stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.console.i18n import N_plural, Text
from bot.link_limits import client_network
from storage.repositories import accounts as repo
from storage.repositories import console as console_repo

PAIR_FREE = 5
PAIR_WINDOW = dt.timedelta(days=1)
BACKOFF_BASE = dt.timedelta(seconds=30)
BACKOFF_MAX = dt.timedelta(minutes=15)
ADDRESS_LIMIT = 20
ADDRESS_WINDOW = dt.timedelta(minutes=15)
ACCOUNT_CEILING = 50
ACCOUNT_WINDOW = dt.timedelta(minutes=15)


def _h(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Keys:
    pair: str
    account: str
    address: str
    known: str

    @classmethod
    def of(cls, email: str, address: str) -> Keys:
        net = client_network(address)
        return cls(
            pair=f"pair:{_h(email, net)}",
            account=f"acct:{_h(email)}",
            address=f"ip:{_h(net)}",
            known=f"ok:{_h(email, net)}",
        )


def backoff(failures: int) -> dt.timedelta:
    if failures < PAIR_FREE:
        return dt.timedelta(0)
    delay: dt.timedelta = BACKOFF_BASE * 2 ** min(failures - PAIR_FREE, 20)
    return min(delay, BACKOFF_MAX)


@dataclass(frozen=True, slots=True)
class Verdict:
    """None of `reason` means the attempt may go on; otherwise which limit, and for how long."""

    reason: str | None
    retry_after: int = 0


async def check(s: AsyncSession, keys: Keys, now: dt.datetime) -> Verdict:
    """Whether this attempt may go on; if it may, it is counted for the pair at once, before the
    password or code is verified (a success clears it): so concurrent guesses cannot all slip in while
    the first ones are still being hashed. `failed` then adds the rest of a failure."""
    await repo.serialize(s, keys.pair)
    verdict = await _verdict(s, keys, now)
    if verdict.reason is None:
        console_repo.record_attempt(s, keys.pair, now)
    return verdict


async def _verdict(s: AsyncSession, keys: Keys, now: dt.datetime) -> Verdict:
    n, last = await repo.failures(s, keys.pair, now - PAIR_WINDOW)
    if last is not None and n >= PAIR_FREE:
        until = last + backoff(n)
        if until > now:
            return Verdict("pair", _seconds(until - now))
    n, last = await repo.failures(s, keys.address, now - ADDRESS_WINDOW)
    if n >= ADDRESS_LIMIT and last is not None:
        return Verdict("address", _seconds(ADDRESS_WINDOW))
    n, last = await repo.failures(s, keys.account, now - ACCOUNT_WINDOW)
    if n >= ACCOUNT_CEILING and not await repo.known(s, keys.known, now - repo.KNOWN_FOR):
        return Verdict("account", _seconds(ACCOUNT_WINDOW))
    return Verdict(None)


def _seconds(delta: dt.timedelta) -> int:
    return max(1, int(delta.total_seconds() + 0.999))


async def failed(s: AsyncSession, keys: Keys, now: dt.datetime, *, checked: bool = True) -> int:
    """Count one failure for the account and the address (`check` counted it for the pair); the pair's
    count after it. `checked=False`: no `check` came first (a wrong current password on the account
    page), so the pair is counted here too."""
    for key in (keys.account, keys.address) if checked else (keys.pair, keys.account, keys.address):
        console_repo.record_attempt(s, key, now)
    await s.flush()
    await repo.prune(s, now)
    n, _ = await repo.failures(s, keys.pair, now - PAIR_WINDOW)
    return n


async def succeeded(s: AsyncSession, keys: Keys, now: dt.datetime) -> None:
    await console_repo.clear_attempts(s, keys.pair)
    await repo.remember_success(s, keys.known, now)


def wait_message(retry_after: int) -> Text:
    if retry_after < 90:
        return N_plural(
            "Too many failed sign-ins. Please wait %(n)d second and try again.",
            "Too many failed sign-ins. Please wait %(n)d seconds and try again.",
            retry_after,
        )
    return N_plural(
        "Too many failed sign-ins. Please wait %(n)d minute and try again.",
        "Too many failed sign-ins. Please wait %(n)d minutes and try again.",
        (retry_after + 59) // 60,
    )
