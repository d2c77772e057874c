"""Data requests and the retention rule (RULES.md §6), shared by the console and the CLI.

Every erase writes an audit entry in the same transaction. Audit entries hold ids and counts only, so
they stay after the data is gone: what was deleted, when and by whom remains provable, not what it said.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bot.attachments.store import ContentStore
from bot.console.web import reading
from storage.db import Database
from storage.models import Customer
from storage.repositories import attachments as attachments_repo
from storage.repositories import console as audit_repo
from storage.repositories import console_data as data


@dataclass(frozen=True, slots=True)
class PurgeItem:
    customer_id: int
    contract_ended: dt.date | None
    mode: data.EraseMode
    counts: dict[str, int]


async def export(
    db: Database, customer_id: int, actor: str, agent_id: int | None = None
) -> dict[str, Any] | None:
    async with db.read() as s:
        out = await data.export_customer(s, customer_id)
    if out is not None:
        # Audited before anything is handed out; the export itself is read without the write lock.
        async with db.write() as s:
            audit_repo.audit(s, actor, "customer.export", "customer", customer_id, agent_id=agent_id)
    return out


async def erase(
    db: Database,
    customer_id: int,
    mode: data.EraseMode | None,
    actor: str,
    agent_id: int | None = None,
    action: str = "customer.erase",
    store: ContentStore | None = None,
) -> PurgeItem | None:
    now = dt.datetime.now(dt.UTC)
    async with db.write() as s:
        customer = await s.get(Customer, customer_id)
        if customer is None:
            return None
        # Bucket objects go once their rows are gone (after the commit below).
        bucket_keys = await attachments_repo.bucket_keys_for_customer(s, customer_id)
        ended = customer.contract_ends_on
        plan = await data.erase_plan(s, customer_id)
        chosen = mode or data.default_mode(plan)
        counts = await data.erase_customer(s, customer_id, chosen, now)
        audit_repo.audit(
            s, actor, action, "customer", customer_id, {"mode": chosen, **counts}, agent_id=agent_id
        )
    if bucket_keys:
        await (store or _store_from_env()).delete(bucket_keys)
    return PurgeItem(customer_id, ended, chosen, counts)


def _store_from_env() -> ContentStore:
    """The bucket as the environment configures it (the CLI's purge has no app to ask)."""
    from bot.config import load_settings

    return ContentStore(load_settings())


async def purge(
    db: Database,
    ended_before: dt.date,
    *,
    dry_run: bool,
    actor: str = "cli",
    store: ContentStore | None = None,
) -> list[PurgeItem]:
    """The customers whose contract ended before `ended_before`: listed (dry run) or erased."""
    async with reading(db) as s:
        found = [(c.id, c.contract_ends_on) for c in await data.purge_candidates(s, ended_before)]
        plans = [(cid, ended, await data.erase_plan(s, cid)) for cid, ended in found]
    if dry_run:
        async with db.write() as s:
            audit_repo.audit(
                s,
                actor,
                "purge.dry_run",
                None,
                None,
                {"ended_before": ended_before.isoformat(), "customers": len(plans)},
            )
        return [PurgeItem(cid, ended, data.default_mode(plan), plan) for cid, ended, plan in plans]
    done = []
    for cid, _ended, _plan in plans:
        item = await erase(db, cid, None, actor, action="customer.purge", store=store)
        if item is not None:
            done.append(item)
    async with db.write() as s:
        audit_repo.audit(
            s,
            actor,
            "purge.run",
            None,
            None,
            {"ended_before": ended_before.isoformat(), "customers": len(done)},
        )
    return done
