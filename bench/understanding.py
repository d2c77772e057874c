"""Benchmark bot.understanding over the labelled corpus: messages per second, p50/p99 per message;
then the answer reader (bot.understanding.answers) over the typed-answer cases.

    .venv/bin/python bench/understanding.py [CORPUS] [--rounds N]

A benchmark, not a test: numbers depend on the machine. The budget: understand() under 5 ms p99,
an answer under 1 ms typical.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.understanding import understand  # noqa: E402
from bot.understanding.evaluate import load  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpus", nargs="?", default=str(ROOT / "tests" / "understanding" / "corpus.tsv"))
    parser.add_argument("--rounds", type=int, default=20, help="passes over the corpus (default 20)")
    args = parser.parse_args()

    cases = load(Path(args.corpus))
    for c in cases:  # warm up: regex compilation and caches happen on import and first use
        understand(c.text, c.now)

    timings: list[int] = []
    started = time.perf_counter_ns()
    for _ in range(args.rounds):
        for c in cases:
            t0 = time.perf_counter_ns()
            understand(c.text, c.now)
            timings.append(time.perf_counter_ns() - t0)
    total_s = (time.perf_counter_ns() - started) / 1e9

    print(f"corpus:     {args.corpus} ({len(cases)} messages x {args.rounds} rounds)")
    _report(timings, total_s, "messages")
    _answers(args.rounds)
    return 0


def _report(timings: list[int], total_s: float, what: str) -> None:
    timings.sort()
    q = statistics.quantiles(timings, n=100)
    print(f"throughput: {len(timings) / total_s:,.0f} {what}/s (one core)")
    print(f"p50:        {q[49] / 1e6:.3f} ms")
    print(f"p99:        {q[98] / 1e6:.3f} ms")
    print(f"max:        {timings[-1] / 1e6:.3f} ms")


def _answers(rounds: int) -> None:
    from bot.understanding.answers import read
    from tests.understanding.answer_sets import NOW, expect, load

    here = ROOT / "tests" / "understanding"
    cases = [
        (expect(spec, locale), locale, text)
        for name in ("answers_dev.tsv", "answers_heldout.tsv")
        for _, spec, locale, text, _ in load(str(here / name))
    ]
    for e, locale, text in cases:
        read(text, e, locale=locale, now=NOW)
    timings: list[int] = []
    started = time.perf_counter_ns()
    for _ in range(rounds):
        for e, locale, text in cases:
            t0 = time.perf_counter_ns()
            read(text, e, locale=locale, now=NOW)
            timings.append(time.perf_counter_ns() - t0)
    print(f"\nanswers:    {len(cases)} typed answers x {rounds} rounds")
    _report(timings, (time.perf_counter_ns() - started) / 1e9, "answers")


if __name__ == "__main__":
    raise SystemExit(main())
