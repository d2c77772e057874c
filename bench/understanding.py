"""Benchmark bot.understanding over the labelled corpus: messages per second, p50/p99 per message.

    .venv/bin/python bench/understanding.py [CORPUS] [--rounds N]

A benchmark, not a test: numbers depend on the machine. The issue's budget is "well under 10 ms".
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

    timings.sort()
    q = statistics.quantiles(timings, n=100)
    print(f"corpus:     {args.corpus} ({len(cases)} messages x {args.rounds} rounds)")
    print(f"throughput: {len(timings) / total_s:,.0f} messages/s (one core)")
    print(f"p50:        {q[49] / 1e6:.3f} ms")
    print(f"p99:        {q[98] / 1e6:.3f} ms")
    print(f"max:        {timings[-1] / 1e6:.3f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
