"""The figures the engine, the delivery worker and the scheduler count, as prometheus_client metrics.

One `Instruments` per app: the engine makes it and hands it to the delivery worker and the scheduler;
bot.ops.metrics exposes it at /metrics. Single process: the values live in memory, in this object's
own registry (each app in a test process counts from zero). Multiprocess mode — PROMETHEUS_MULTIPROC_DIR
set in the environment before this module is imported, as `counselbot serve --workers N` does for its
workers — prometheus_client keeps every value in a file per process in that directory, and a scrape
adds up all the files, so whichever worker answers, each counter is complete and never goes down.
(There, keep to one Instruments per process: two objects counting the same series would overwrite
each other's file entry.)

Outside bot.ops on purpose: the engine imports it, and bot.ops imports the engine.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics

# `*_created` series are one more gauge per counter that no dashboard here reads.
disable_created_metrics()  # type: ignore[no-untyped-call]

# Decided when prometheus_client is first imported, like prometheus_client's own choice of value store.
MULTIPROCESS_DIR: str | None = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Instruments:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.events = Counter(
            "counselbot_events",
            "Inbound events by channel and outcome.",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self.processing = Histogram(
            "counselbot_event_processing_seconds",
            "Time to store and answer one inbound event, until commit.",
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.delivery_failures = Counter(
            "counselbot_delivery_failures",
            "Failed send attempts by channel and platform status ('error' without one).",
            ["channel", "status"],
            registry=self.registry,
        )
        self.jobs_run = Counter(
            "counselbot_jobs_run",
            "Scheduled jobs run by kind and result.",
            ["kind", "result"],
            registry=self.registry,
        )

    def event(self, channel: str, outcome: str, seconds: float) -> None:
        self.events.labels(channel=channel, outcome=outcome).inc()
        self.processing.observe(seconds)

    def delivery_failed(self, channel: str, status: int | None) -> None:
        self.delivery_failures.labels(channel=channel, status=str(status or "error")).inc()

    def job_ran(self, kind: str, result: str) -> None:
        self.jobs_run.labels(kind=kind, result=result).inc()
