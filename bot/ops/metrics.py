"""/metrics in the Prometheus text format (version 0.0.4), written by hand: a few families, no dependency.

Two kinds of figures. This process's counters (events in, processing time, delivery failures, jobs
run) — scrape every process and sum them. Database-wide gauges (outbox backlog, dead letters, tickets
waiting, jobs by status) — every process reports the same value; take max() across processes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import os
from collections.abc import Iterable, Mapping

from starlette.requests import Request
from starlette.responses import Response

from bot.channels import AppContext
from bot.scheduler import Scheduler
from storage.repositories import jobs as jobs_repo
from storage.repositories import ops as ops_repo

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
PRIORITIES = ("urgent", "normal")


class Histogram:
    def __init__(self, buckets: tuple[float, ...] = BUCKETS) -> None:
        self.buckets = buckets
        self.counts = [0] * len(buckets)
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        self.sum += value
        self.count += 1
        for i, bound in enumerate(self.buckets):
            if value <= bound:
                self.counts[i] += 1


class Metrics:
    def __init__(self, ctx: AppContext, scheduler: Scheduler | None = None) -> None:
        self.ctx = ctx
        self.scheduler = scheduler
        self.processing = Histogram()
        # Timings the engine trimmed before we read them (only under extreme bursts).
        self.unobserved = 0
        self._consumed = 0

    def absorb(self) -> None:
        """Move the engine's new timings into the histogram.

        The engine appends one timing per counted event and trims its list now and then, so the number
        of events counted says how many timings are new, and they are the last ones in the list.
        """
        engine = self.ctx.engine
        total = sum(engine.counters.values())
        new = total - self._consumed
        if new <= 0:
            return
        timings = engine.timings
        fresh = timings[-new:] if new <= len(timings) else list(timings)
        for value in fresh:
            self.processing.observe(value)
        self.unobserved += new - len(fresh)
        self._consumed = total

    async def absorb_forever(self, every: float = 1.0) -> None:
        while True:
            self.absorb()
            await asyncio.sleep(every)

    async def endpoint(self, request: Request) -> Response:
        return Response(await self.render(), media_type=CONTENT_TYPE)

    async def render(self, now: dt.datetime | None = None) -> str:
        self.absorb()
        now = now or dt.datetime.now(dt.UTC)
        out: list[str] = []
        engine, delivery = self.ctx.engine, self.ctx.delivery
        channels = sorted(delivery.senders) if delivery is not None else []

        family(
            out, "counselbot_events_total", "counter", "Inbound events by channel and outcome (this process)."
        )
        for key, n in sorted(engine.counters.items()):
            channel, _, outcome = key.partition(":")
            sample(out, "counselbot_events_total", n, channel=channel, outcome=outcome)

        name = "counselbot_event_processing_seconds"
        family(
            out, name, "histogram", "Time to store and answer one inbound event, until commit (this process)."
        )
        h = self.processing
        for bound, n in zip(h.buckets, h.counts, strict=True):
            sample(out, f"{name}_bucket", n, le=_num(bound))
        sample(out, f"{name}_bucket", h.count, le="+Inf")
        sample(out, f"{name}_sum", h.sum)
        sample(out, f"{name}_count", h.count)

        family(
            out,
            "counselbot_delivery_failures_total",
            "counter",
            "Failed send attempts by channel and platform status ('error' without one) (this process).",
        )
        failures = delivery.failures if delivery is not None else {}
        for key, n in sorted(failures.items()):
            channel, _, status = key.partition(":")
            sample(out, "counselbot_delivery_failures_total", n, channel=channel, status=status)

        if self.scheduler is not None:
            family(
                out,
                "counselbot_jobs_run_total",
                "counter",
                "Scheduled jobs run by kind and result (this process).",
            )
            for key, n in sorted(self.scheduler.counters.items()):
                kind, _, result = key.partition(":")
                sample(out, "counselbot_jobs_run_total", n, kind=kind, result=result)

        await self._database(out, now, channels)
        _process(out)
        return "\n".join(out) + "\n"

    async def _database(self, out: list[str], now: dt.datetime, channels: list[str]) -> None:
        try:
            async with asyncio.timeout(5):
                async with self.ctx.db.read() as s:
                    backlog = await ops_repo.outbox_backlog(s)
                    dead = await ops_repo.dead_letters(s)
                    waiting = await ops_repo.tickets_waiting(s)
                    job_counts = await jobs_repo.counts(s)
                    oldest_job = await jobs_repo.oldest_due(s, now)
        except Exception:
            family(out, "counselbot_database_up", "gauge", "Whether the database answered this scrape.")
            sample(out, "counselbot_database_up", 0)
            return
        family(out, "counselbot_database_up", "gauge", "Whether the database answered this scrape.")
        sample(out, "counselbot_database_up", 1)

        names = sorted({*channels, *backlog, *dead})
        family(
            out, "counselbot_outbox_backlog", "gauge", "Replies committed and not yet delivered, by channel."
        )
        for c in names:
            sample(out, "counselbot_outbox_backlog", backlog[c].count if c in backlog else 0, channel=c)
        family(
            out,
            "counselbot_outbox_oldest_age_seconds",
            "gauge",
            "Age of the oldest undelivered reply, by channel.",
        )
        for c in names:
            sample(out, "counselbot_outbox_oldest_age_seconds", _age(now, backlog.get(c)), channel=c)
        family(
            out, "counselbot_dead_letters", "gauge", "Replies given up on (a ticket was raised), by channel."
        )
        for c in names:
            sample(out, "counselbot_dead_letters", dead.get(c, 0), channel=c)

        prios = sorted({*PRIORITIES, *waiting})
        family(
            out, "counselbot_tickets_waiting", "gauge", "Open tickets no agent has claimed yet, by priority."
        )
        for p in prios:
            sample(out, "counselbot_tickets_waiting", waiting[p].count if p in waiting else 0, priority=p)
        family(
            out,
            "counselbot_ticket_oldest_wait_seconds",
            "gauge",
            "How long the longest-waiting unclaimed ticket has waited, by priority.",
        )
        for p in prios:
            sample(out, "counselbot_ticket_oldest_wait_seconds", _age(now, waiting.get(p)), priority=p)

        family(out, "counselbot_jobs", "gauge", "Scheduled jobs by kind and status.")
        for (kind, status), n in sorted(job_counts.items()):
            sample(out, "counselbot_jobs", n, kind=kind, status=status)
        family(
            out,
            "counselbot_jobs_oldest_due_seconds",
            "gauge",
            "How overdue the oldest due, unclaimed job is.",
        )
        sample(
            out,
            "counselbot_jobs_oldest_due_seconds",
            0.0 if oldest_job is None else (now - oldest_job).total_seconds(),
        )


def _age(now: dt.datetime, backlog: ops_repo.Backlog | None) -> float:
    if backlog is None or backlog.oldest is None:
        return 0.0
    return max(0.0, (now - backlog.oldest).total_seconds())


def _process(out: list[str]) -> None:
    """Resident memory (current and peak) from /proc on Linux; nothing elsewhere."""
    try:
        with open(f"/proc/{os.getpid()}/status", encoding="ascii") as f:
            status = dict(line.split(":", 1) for line in f if ":" in line)
    except OSError:
        return
    for key, name, text in (
        ("VmRSS", "process_resident_memory_bytes", "Resident memory size in bytes."),
        ("VmHWM", "counselbot_process_peak_resident_memory_bytes", "Peak resident memory size in bytes."),
    ):
        if key in status:
            family(out, name, "gauge", text)
            sample(out, name, int(status[key].split()[0]) * 1024)


def family(out: list[str], name: str, kind: str, help_text: str) -> None:
    out.append(f"# HELP {name} {help_text}")
    out.append(f"# TYPE {name} {kind}")


def sample(out: list[str], name: str, value: float, **labels: str) -> None:
    out.append(f"{name}{_labels(labels)} {_num(value)}")


def _labels(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(str(v))}"' for k, v in labels.items()) + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _num(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    return repr(float(value))


def parse(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """The samples of an exposition (for tests and the benchmarks): (name, labels) -> value."""
    found: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        head, _, value = line.rpartition(" ")
        name, _, rest = head.partition("{")
        labels = frozenset(_split_labels(rest.rstrip("}"))) if rest else frozenset()
        found[(name, labels)] = float(value)
    return found


def _split_labels(text: str) -> Iterable[tuple[str, str]]:
    i = 0
    while i < len(text):
        eq = text.index("=", i)
        key = text[i:eq]
        j = eq + 2
        value = []
        while text[j] != '"':
            if text[j] == "\\":
                j += 1
                value.append({"n": "\n"}.get(text[j], text[j]))
            else:
                value.append(text[j])
            j += 1
        yield key, "".join(value)
        i = j + 2 if j + 1 < len(text) and text[j + 1] == "," else j + 1
