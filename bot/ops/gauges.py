"""The database-wide gauges of /metrics: read at scrape time, the same whichever process answers.

prometheus_client calls a collector's collect() synchronously, so the queries run first, in the
endpoint (async, with a timeout), and the collector only turns their result into metric families.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from prometheus_client.core import GaugeMetricFamily, Metric

from storage.db import Database
from storage.repositories import jobs as jobs_repo
from storage.repositories import ops as ops_repo

PRIORITIES = ("urgent", "normal")
TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class Figures:
    backlog: Mapping[str, ops_repo.Backlog]
    dead: Mapping[str, int]
    waiting: Mapping[str, ops_repo.Backlog]
    jobs: Mapping[tuple[str, str], int]
    oldest_job: dt.datetime | None


async def read_figures(db: Database, now: dt.datetime, timeout: float = TIMEOUT) -> Figures | None:
    """The figures, or None when the database does not answer in time (counselbot_database_up 0)."""
    try:
        async with asyncio.timeout(timeout), db.read() as s:
            return Figures(
                backlog=await ops_repo.outbox_backlog(s),
                dead=await ops_repo.dead_letters(s),
                waiting=await ops_repo.tickets_waiting(s),
                jobs=await jobs_repo.counts(s),
                oldest_job=await jobs_repo.oldest_due(s, now),
            )
    except Exception:
        return None


class DatabaseCollector:
    """One scrape's figures as metric families (a collector made per scrape: scrapes may overlap)."""

    def __init__(self, figures: Figures | None, now: dt.datetime, channels: Sequence[str]) -> None:
        self.figures, self.now, self.channels = figures, now, channels

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily("counselbot_database_up", "Whether the database answered this scrape.")
        up.add_metric([], 0 if self.figures is None else 1)
        yield up
        if self.figures is not None:
            yield from self._families(self.figures)

    def _families(self, f: Figures) -> Iterable[Metric]:
        now = self.now
        names = sorted({*self.channels, *f.backlog, *f.dead})
        yield _by(
            "counselbot_outbox_backlog",
            "Replies committed and not yet delivered, by channel.",
            "channel",
            {c: f.backlog[c].count if c in f.backlog else 0 for c in names},
        )
        yield _by(
            "counselbot_outbox_oldest_age_seconds",
            "Age of the oldest undelivered reply, by channel.",
            "channel",
            {c: _age(now, f.backlog.get(c)) for c in names},
        )
        yield _by(
            "counselbot_dead_letters",
            "Replies given up on (a ticket was raised), by channel.",
            "channel",
            {c: f.dead.get(c, 0) for c in names},
        )
        prios = sorted({*PRIORITIES, *f.waiting})
        yield _by(
            "counselbot_tickets_waiting",
            "Open tickets no agent has claimed yet, by priority.",
            "priority",
            {p: f.waiting[p].count if p in f.waiting else 0 for p in prios},
        )
        yield _by(
            "counselbot_ticket_oldest_wait_seconds",
            "How long the longest-waiting unclaimed ticket has waited, by priority.",
            "priority",
            {p: _age(now, f.waiting.get(p)) for p in prios},
        )
        jobs = GaugeMetricFamily(
            "counselbot_jobs", "Scheduled jobs by kind and status.", labels=["kind", "status"]
        )
        for (kind, status), n in sorted(f.jobs.items()):
            jobs.add_metric([kind, status], n)
        yield jobs
        oldest = GaugeMetricFamily(
            "counselbot_jobs_oldest_due_seconds", "How overdue the oldest due, unclaimed job is."
        )
        oldest.add_metric([], 0.0 if f.oldest_job is None else (now - f.oldest_job).total_seconds())
        yield oldest


def _by(name: str, help_text: str, label: str, values: Mapping[str, float]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, help_text, labels=[label])
    for key, value in values.items():
        family.add_metric([key], value)
    return family


def _age(now: dt.datetime, backlog: ops_repo.Backlog | None) -> float:
    if backlog is None or backlog.oldest is None:
        return 0.0
    return max(0.0, (now - backlog.oldest).total_seconds())
