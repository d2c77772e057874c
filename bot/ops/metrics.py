"""/metrics in the Prometheus text format (version 0.0.4), through prometheus_client.

Three kinds of figures:
- counters and the processing-time histogram (bot.instruments): complete for the whole server. One
  process keeps them in memory; with several (`serve --workers N`, multiprocess mode) every worker
  writes its values to a file in PROMETHEUS_MULTIPROC_DIR and whichever worker answers a scrape adds
  all the files up, so a total never drops when the next scrape lands on another worker;
- database-wide gauges (bot.ops.gauges), read at scrape time: the same whichever process answers;
- the answering process's own figures (memory, CPU, open files, Python's gc): with several workers
  they describe only the worker that answered, and carry its `pid` as a label.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import Iterable, Sequence

from prometheus_client import (
    CollectorRegistry,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

from bot import instruments
from bot.channels import AppContext
from bot.ops.gauges import DatabaseCollector, read_figures

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


class Metrics:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.multiprocess_dir = instruments.MULTIPROCESS_DIR
        counted: Collector
        if self.multiprocess_dir:
            counted = MultiProcessCollector(None, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
        else:
            counted = ctx.engine.instruments.registry
        # Not the library's ready-made ones: those sit in its global registry, and each app has its own.
        process = CollectorRegistry()
        ProcessCollector(registry=process)
        PlatformCollector(registry=process)
        GCCollector(registry=process)
        process.register(PeakMemory())
        # With several workers these describe whichever worker answered: a `pid` label gives each
        # worker series of its own (process_cpu_seconds_total would otherwise jump between workers).
        own: Collector = PerProcess(process) if self.multiprocess_dir else process
        self._collectors: list[Collector] = [counted, own]

    async def endpoint(self, request: Request) -> Response:
        return Response(await self.render(), media_type=CONTENT_TYPE)

    async def render(self, now: dt.datetime | None = None) -> bytes:
        now = now or dt.datetime.now(dt.UTC)
        delivery = self.ctx.delivery
        channels = sorted(delivery.senders) if delivery is not None else []
        figures = await read_figures(self.ctx.db, now)
        scrape = Exposition([*self._collectors, DatabaseCollector(figures, now, channels)])
        # Reading the other workers' files (and /proc) is file I/O: off the event loop.
        return await asyncio.to_thread(generate_latest, scrape)

    async def worker_exiting(self) -> None:
        """Let prometheus_client drop what only a live process means (live gauges); counters stay."""
        if self.multiprocess_dir:
            mark_process_dead(os.getpid(), self.multiprocess_dir)  # type: ignore[no-untyped-call]


class Exposition:
    """Several collectors as one, for generate_latest."""

    def __init__(self, collectors: Sequence[Collector]) -> None:
        self.collectors = collectors

    def collect(self) -> Iterable[Metric]:
        for collector in self.collectors:
            yield from collector.collect()


class PerProcess:
    """Another collector's families, each sample labelled with this process's id."""

    def __init__(self, inner: Collector) -> None:
        self.inner = inner

    def collect(self) -> Iterable[Metric]:
        pid = str(os.getpid())
        for family in self.inner.collect():
            family.samples = [s._replace(labels={**s.labels, "pid": pid}) for s in family.samples]
            yield family


class PeakMemory:
    """Peak resident memory from /proc on Linux (the process collector has the current figure)."""

    def collect(self) -> Iterable[Metric]:
        try:
            with open(f"/proc/{os.getpid()}/status", encoding="ascii") as f:
                status = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:
            return
        if "VmHWM" in status:
            family = GaugeMetricFamily(
                "counselbot_process_peak_resident_memory_bytes", "Peak resident memory size in bytes."
            )
            family.add_metric([], int(status["VmHWM"].split()[0]) * 1024)
            yield family


def parse(text: str) -> Samples:
    """The samples of an exposition (for tests and the benchmarks): (name, labels) -> value."""
    found: Samples = {}
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
