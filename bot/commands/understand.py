"""`counselbot understand`: what the bot makes of free text, as JSON; and the corpus evaluation.

    counselbot understand "TEXT" [--now ISO8601]      one JSON object
    counselbot understand [--now ISO8601] < texts     one JSON object per input line, in order
    counselbot understand --evaluate CORPUS [--quiet] accuracy per language and intent; exit 1 below
                                                      --min-accuracy (default 0.90)

`--now` is the receipt time dates are relative to (default: the current time); it needs a UTC offset.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from bot.understanding import understand

EXIT_BAD_INPUT = 2
EXIT_BELOW_THRESHOLD = 1


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "understand",
        help="language, intent, minutes late and date of free text, as JSON",
        description="Understand TEXT (or each line of standard input) as a customer message; print JSON.",
    )
    parser.add_argument("text", nargs="?", help="the message; without it, one message per stdin line")
    parser.add_argument("--now", metavar="ISO8601", help="receipt time, with UTC offset (default: now)")
    parser.add_argument("--evaluate", metavar="CORPUS", help="score a labelled corpus (.tsv) instead")
    parser.add_argument("--min-accuracy", type=float, default=0.90, help="with --evaluate: exit 1 below this")
    parser.add_argument("--quiet", action="store_true", help="with --evaluate: do not list the misses")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.evaluate:
        return _evaluate(Path(args.evaluate), args.min_accuracy, not args.quiet)
    if args.now is None:
        now = dt.datetime.now(dt.UTC)
    else:
        try:
            now = dt.datetime.fromisoformat(args.now)
        except ValueError:
            return _bad(f"--now: not an ISO 8601 datetime: {args.now!r}")
        if now.tzinfo is None:
            return _bad("--now needs a UTC offset, e.g. 2025-12-18T10:00:00+09:00")
    texts = [args.text] if args.text is not None else (line.rstrip("\r\n") for line in sys.stdin)
    for text in texts:
        print(json.dumps(understand(text, now).to_json(), ensure_ascii=False), flush=True)
    return 0


def _evaluate(path: Path, min_accuracy: float, show_misses: bool) -> int:
    from bot.understanding.evaluate import CorpusError, evaluate, load

    try:
        cases = load(path)
    except (OSError, CorpusError) as e:
        return _bad(f"{path}: {e}")
    report = evaluate(cases)
    print(report.format(show_misses=show_misses))
    return 0 if report.intent_accuracy >= min_accuracy else EXIT_BELOW_THRESHOLD


def _bad(message: str) -> int:
    print(f"counselbot understand: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT
