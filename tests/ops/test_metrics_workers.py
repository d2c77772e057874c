"""/metrics of `counselbot serve --workers 2`: each scrape lands on one worker, and still every counter
is complete and never goes down (prometheus_client's multiprocess mode adds the workers' files up);
the answering worker's own process figures carry its pid. Plus the multiprocess directory itself."""

from __future__ import annotations

import asyncio
import os
import stat
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector

from bot.ops.metrics import Samples, parse
from bot.ops.multiproc import ENV, metrics_directory
from tests.support.processes import serve_process
from tests.support.wait import eventually

VISITORS = 6
PER_VISITOR = 20
SENT = VISITORS * PER_VISITOR

Series = tuple[str, frozenset[tuple[str, str]]]


def monotonic_names(text: str) -> set[str]:
    """The sample names that may only go up: counters, and histograms' buckets, counts and sums."""
    names: set[str] = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            if kind == "counter":
                names.add(name)
            elif kind == "histogram":
                names.update(f"{name}{suffix}" for suffix in ("_bucket", "_count", "_sum"))
    return names


def webchat_events(m: Samples) -> float:
    return sum(
        v
        for (name, labels), v in m.items()
        if name == "counselbot_events_total" and ("channel", "webchat") in labels
    )


async def visitor(base: str, i: int) -> None:
    # No keep-alive: every request is a new connection, which either worker may accept.
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
        for n in range(PER_VISITOR):
            r = await http.post("/api/chat/messages", json={"id": f"v{i:02d}-msg-{n:04d}", "text": "hello"})
            assert r.json() == {"status": "handled"}


async def scrape_until(base: str, done: asyncio.Event, into: list[tuple[set[str], Samples]]) -> None:
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
        for _ in range(2000):  # bounded; the senders finish long before
            r = await http.get("/metrics")
            assert r.status_code == 200
            into.append((monotonic_names(r.text), parse(r.text)))
            if done.is_set():
                return
            await asyncio.sleep(0.02)


def assert_never_drops(scrapes: list[tuple[set[str], Samples]]) -> None:
    last: dict[Series, float] = {}
    for i, (names, samples) in enumerate(scrapes):
        for series, v in samples.items():
            if series[0] in names and series in last:
                assert v >= last[series], f"{series} went from {last[series]} to {v} at scrape {i}"
        for series in last:
            # A counselbot counter once shown is in every later scrape, whichever worker answers.
            if series[0].startswith("counselbot_"):
                assert series in samples, f"{series} missing from scrape {i}"
        last.update({s: v for s, v in samples.items() if s[0] in names})


@pytest.mark.postgres
async def test_counters_are_complete_and_never_drop_whichever_worker_answers(
    pg_url: str, tmp_path: Path
) -> None:
    directory = tmp_path / "metrics"
    env = {"COUNSELBOT_SCHEDULER_ENABLED": "false", "COUNSELBOT_METRICS_DIR": str(directory)}
    with serve_process(pg_url, tmp_path, env, args=("--workers", "2")) as (base, _):
        scrapes: list[tuple[set[str], Samples]] = []
        done = asyncio.Event()
        scraper = asyncio.create_task(scrape_until(base, done, scrapes))
        started = time.monotonic()
        await asyncio.gather(*(visitor(base, i) for i in range(VISITORS)))
        elapsed = time.monotonic() - started
        done.set()
        await scraper

        async def final() -> Samples | None:
            async with httpx.AsyncClient(base_url=base, timeout=30) as http:
                m = parse((await http.get("/metrics")).text)
            return m if webchat_events(m) == SENT else None

        last = await eventually(final, timeout=15)
        assert last[("counselbot_event_processing_seconds_count", frozenset())] >= SENT
        per_worker = [
            sum(
                s.value
                for f in MultiProcessCollector.merge([str(p)])
                for s in f.samples
                if s.name == "counselbot_events_total"
            )
            for p in directory.glob("counter_*.db")
        ]
        pids = {
            dict(labels)["pid"]
            for _, m in scrapes
            for (name, labels) in m
            if name == "process_cpu_seconds_total"
        }
    print(
        f"{SENT} messages in {elapsed:.1f}s; {len(scrapes)} scrapes; events per worker {per_worker}; pids {len(pids)}"
    )
    assert len(scrapes) >= 10
    assert_never_drops(scrapes)
    # Both workers took messages and answered scrapes: the totals above really were added up.
    assert len(per_worker) == 2 and all(n > 0 for n in per_worker) and sum(per_worker) == SENT
    assert len(pids) == 2
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700


def test_the_directory_is_private_fresh_and_gone_afterwards(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    with metrics_directory(None, workers=2) as path:
        assert path is not None and os.environ[ENV] == str(path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o700
        assert list(path.iterdir()) == []
    assert not path.exists() and ENV not in os.environ


def test_a_given_directory_is_emptied_of_old_metric_files_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV, raising=False)
    given = tmp_path / "given"
    given.mkdir()
    (given / "counter_123.db").write_bytes(b"old")
    (given / "README").write_text("the operator's")
    with metrics_directory(given, workers=2) as path:
        assert path == given and os.environ[ENV] == str(given)
        assert sorted(p.name for p in given.iterdir()) == ["README"]
    assert given.exists() and ENV not in os.environ  # the operator's directory stays

    # From the environment, for one process too (prometheus_client would use it anyway).
    monkeypatch.setenv(ENV, str(tmp_path / "from-env"))
    with metrics_directory(None, workers=1) as path:
        assert path == tmp_path / "from-env"
        assert stat.S_IMODE(path.stat().st_mode) == 0o700


def test_one_process_needs_no_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    with metrics_directory(tmp_path / "ignored", workers=1) as path:
        assert path is None and ENV not in os.environ
    assert not (tmp_path / "ignored").exists()
