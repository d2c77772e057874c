"""The whole-conversation corpus (tests/conversations/) through the real engine on a fresh SQLite:
success rate and turns per completed flow, per language, typed versus with buttons, for the whole
corpus and for the held-out and main sets apart.

    .venv/bin/python bench/conversations.py                 # the tables
    .venv/bin/python bench/conversations.py --set heldout   # one set only
    .venv/bin/python bench/conversations.py --show ID       # one transcript and what differs
    .venv/bin/python bench/conversations.py --failures      # every failing transcript

"turns/flow": customer turns until the expected end state was reached for good, averaged over the
conversations that succeeded (a flow that files nothing completes with its last turn). "missed":
turns the dialog runtime counted as not understood, over all conversations of the row. No timings.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.bus import Bus  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.engine import Engine  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from tests.support.conversation_runner import Outcome, report, run  # noqa: E402
from tests.support.conversations import LOCALES, SETS, Conversation, known_failures, load_corpus  # noqa: E402


async def run_all(conversations: list[Conversation], url: str, secret: Path) -> list[Outcome]:
    db = Database(url)
    values = {"database_url": url, "secret_key": "bench-conversations-not-secret", "secret_key_file": secret}
    settings = Settings(_env_file=None, **values)  # type: ignore[call-arg,arg-type]
    engine = Engine(db, settings, Bus())
    try:
        return [await run(engine, db, c) for c in conversations]
    finally:
        await db.dispose()


def _row(label: str, mode: str, outs: list[Outcome]) -> str:
    if not outs:
        return f"{label:<9} {mode:<8} {0:>5}"
    passed = [o for o in outs if o.ok]
    turns = [o.turns_to_done for o in passed if o.turns_to_done is not None]
    per_flow = f"{statistics.mean(turns):.1f}" if turns else "-"
    sent = sum(len(o.spec.turns) for o in outs)
    missed = sum(o.misses for o in outs)
    return (
        f"{label:<9} {mode:<8} {len(outs):>5} {len(passed):>5} {100 * len(passed) / len(outs):>8.1f}%"
        f" {per_flow:>10} {missed:>4}/{sent:<4}"
    )


def table(title: str, outs: list[Outcome]) -> Iterable[str]:
    yield f"== {title}: {sum(o.ok for o in outs)}/{len(outs)} conversations reach their end state"
    yield f"{'locale':<9} {'mode':<8} {'conv':>5} {'pass':>5} {'success':>9} {'turns/flow':>10} {'missed/turns':>9}"
    for locale in (*LOCALES, "all"):
        mine = [o for o in outs if locale in ("all", o.spec.locale)]
        for mode in ("typed", "buttons", "all"):
            rows = [o for o in mine if mode in ("all", o.spec.mode)]
            if rows or mode == "all":
                yield _row(locale, mode, rows)
        yield ""


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--set", choices=SETS, help="only this set")
    parser.add_argument("--locale", choices=LOCALES, help="only this language")
    parser.add_argument("--show", metavar="ID", help="print one conversation's transcript and verdict")
    parser.add_argument("--failures", action="store_true", help="print the transcript of every failure")
    args = parser.parse_args()

    conversations = [
        c
        for c in load_corpus()
        if (args.set is None or c.set == args.set)
        and (args.locale is None or c.locale == args.locale)
        and (args.show is None or c.id == args.show)
    ]
    if not conversations:
        print("no such conversation" if args.show else "no conversations selected", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'conversations.db'}"
        upgrade(url)
        outs = asyncio.run(run_all(conversations, url, Path(tmp) / "secret"))
    if args.show:
        print(report(outs[0]))
        return 0
    if args.failures:
        for o in outs:
            if not o.ok:
                print(report(o), end="\n\n" + "-" * 100 + "\n\n")
    known = known_failures()
    for title, chosen in (("whole corpus", outs), *((s, [o for o in outs if o.spec.set == s]) for s in SETS)):
        if chosen and (title == "whole corpus" or args.set is None):
            print("\n".join(table(title, chosen)))
    stale = sorted(o.spec.id for o in outs if o.ok and o.spec.id in known)
    newly = sorted(o.spec.id for o in outs if not o.ok and o.spec.id not in known)
    if stale:
        print("pass now, delete from known_failures.txt:", " ".join(stale))
    if newly:
        print("fail but not in known_failures.txt:", " ".join(newly))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
