"""Every conversation and full-text search at 100,000 conversations: p50/p99 of the console's queries.

    .venv/bin/python bench/finder.py                      # SQLite, a fresh file in a temporary directory
    .venv/bin/python bench/finder.py --postgres           # PostgreSQL: a fresh database on 127.0.0.1
    .venv/bin/python bench/finder.py --conversations 20000 --runs 30

Seeds N conversations (7 languages, 3 channels; some waiting, with an agent, resolved, linked,
labelled), each with 2 customer lines in its language and 2 bot lines, through the migrations (so the
FTS5 triggers and the pg_trgm index are the real ones), then times the repository calls the console
makes (storage/repositories/conversation_list.py) inside a read session, `--runs` times each:

- list: the first page; a filtered page (LINE, Thai, not linked); a label; an agent; a deep page (the
  cursor of the 90,000th row);
- search: a Japanese, a Thai and a Chinese phrase (each in ~1% of conversations of its language,
  inside longer lines), a common Japanese phrase (~1 line in 12 of Japanese conversations), a common
  2-character word (the LIKE fallback), an English word, a phrase that is nowhere, and a 2-character
  word that is nowhere (the worst case: no trigram, every line read).

Prints one line per query: p50 and p99 in milliseconds and the rows returned.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from storage.db import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import (  # noqa: E402
    Agent,
    ChannelIdentity,
    Conversation,
    ConversationLabel,
    Customer,
    Label,
    Ticket,
    TranscriptMessage,
)
from storage.repositories import conversation_list as finder  # noqa: E402

LOCALES = ("ja", "en", "zh_Hans", "zh_Hant", "ko", "th", "vi")
CHANNELS = ("line", "telegram", "webchat")
# What customers write, per language; {n} varies so lines are not all alike.
WORDS = {
    "ja": ["予約を変更したいです", "キャンセル料はいくらですか", "{n}分ほど遅れます", "支払い期限を教えてください",
           "来週の診察の時間を確認したいです", "体調が悪くて行けないかもしれません"],
    "en": ["I would like to change my booking", "how much is the cancellation fee", "I am {n} minutes late",
           "when is the payment due", "can I move the consultation to the afternoon"],
    "zh_Hans": ["我想改预约", "取消费是多少", "我会晚到{n}分钟", "付款期限是什么时候", "我想确认下周的时间"],
    "zh_Hant": ["我想改預約", "取消費是多少", "我會晚到{n}分鐘", "付款期限是什麼時候", "我想確認下週的時間"],
    "ko": ["예약을 변경하고 싶어요", "취소 수수료는 얼마인가요", "{n}분 늦을 것 같아요", "결제 기한이 언제인가요"],
    "th": ["อยากเปลี่ยนวันนัดค่ะ", "ค่ายกเลิกเท่าไหร่คะ", "จะไปสาย {n} นาทีค่ะ", "ต้องชำระเงินภายในวันไหนคะ"],
    "vi": ["tôi muốn đổi lịch hẹn", "phí hủy là bao nhiêu", "tôi sẽ đến muộn {n} phút", "hạn thanh toán là khi nào"],
}  # fmt: skip
# The phrases searched for, put inside a longer line of ~1% of the conversations of their language.
NEEDLES = {"ja": "手術の時間", "th": "ยกเลิกการจอง", "zh_Hans": "航班延误"}
CARRIERS = {
    "ja": "すみません、{x}を午後に変更できますか",
    "th": "สวัสดีค่ะ ดิฉันต้องการ{x}วันพรุ่งนี้ค่ะ",
    "zh_Hans": "你好，因为{x}了，我想改一下时间",
}
BOT = [
    "かしこまりました。担当者に確認します。",
    "Thank you, a person will answer you here.",
    "ご予約を確認しました。",
]
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def conversation_rows(n: int, rnd: random.Random) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {k: [] for k in ("ident", "conv", "msg", "ticket", "label")}
    for i in range(1, n + 1):
        locale, channel = LOCALES[i % len(LOCALES)], CHANNELS[i % 3]
        at = T0 + dt.timedelta(seconds=i * 250 + rnd.randint(0, 200))
        linked = rnd.random() < 0.3
        rows["ident"].append(
            {
                "id": i,
                "channel": channel,
                "user_id": f"u{i}",
                "customer_id": 1 if linked else None,
                "created_at": at,
            }
        )
        kind = rnd.random()
        mode = "queued" if kind < 0.03 else "agent" if kind < 0.05 else "bot"
        rows["conv"].append(
            {"id": i, "channel": channel, "user_id": f"u{i}", "identity_id": i, "mode": mode, "stack": {},
             "version": 0, "locale": locale, "link_failures": 0, "last_event_at": at, "created_at": at,
             "updated_at": at}
        )  # fmt: skip
        if mode != "bot" or kind < 0.25:
            status = {"queued": "open", "agent": "claimed"}.get(mode, "resolved")
            agent = None if status == "open" else 1 + i % 5
            rows["ticket"].append(
                {"conversation_id": i, "reason": "human", "priority": "normal", "status": status,
                 "claimed_by": agent, "created_at": at}
            )  # fmt: skip
        if rnd.random() < 0.05:
            rows["label"].append({"conversation_id": i, "label_id": 1 + i % 3, "added_at": at})
        for k in range(4):
            if k % 2:
                text = rnd.choice(BOT)
            elif locale in NEEDLES and rnd.random() < 0.005:
                text = CARRIERS[locale].format(x=NEEDLES[locale])
            else:
                text = rnd.choice(WORDS[locale]).format(n=rnd.randint(5, 90))
            author = "bot" if k % 2 else "customer"
            rows["msg"].append(
                {
                    "conversation_id": i,
                    "author": author,
                    "text": text,
                    "created_at": at + dt.timedelta(seconds=k),
                }
            )
    return rows


async def seed(db: Database, n: int) -> None:
    rows = conversation_rows(n, random.Random(17))
    async with db.write() as s:
        s.add(Customer(id=1, no_show_count=0))
        for a in range(1, 6):
            s.add(Agent(id=a, email=f"a{a}@example.com", name=f"Agent {a}", role="agent", password_hash="x"))
        for label_id, name in enumerate(("VIP", "Refund", "Complaint"), 1):
            s.add(Label(id=label_id, name=name, colour="blue", created_at=T0))
    for model, key in (
        (ChannelIdentity, "ident"),
        (Conversation, "conv"),
        (Ticket, "ticket"),
        (ConversationLabel, "label"),
        (TranscriptMessage, "msg"),
    ):
        chunk = rows[key]
        for start in range(0, len(chunk), 5000):
            async with db.write() as s:
                await s.execute(insert(model), chunk[start : start + 5000])


async def timed(db: Database, runs: int, call: Callable[[Any], Awaitable[int]]) -> tuple[float, float, int]:
    samples, found = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        async with db.read() as s:
            found = await call(s)
        samples.append((time.perf_counter() - started) * 1000)
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[98], found


async def deep_cursor(db: Database, position: int) -> finder.Cursor:
    async with db.read() as s:
        row = (
            await s.execute(
                select(Conversation.last_event_at, Conversation.id)
                .order_by(Conversation.last_event_at.desc(), Conversation.id.desc())
                .offset(position)
                .limit(1)
            )
        ).one()
    return finder.Cursor(row[0], row[1])


async def measure(db: Database, runs: int, n: int) -> list[tuple[str, float, float, int]]:
    deep = await deep_cursor(db, min(90_000, n - 60))
    F = finder.Filters

    def listing(
        filters: finder.Filters, after: finder.Cursor | None = None
    ) -> Callable[[Any], Awaitable[int]]:
        async def call(s: Any) -> int:
            return len((await finder.list_page(s, filters, after))[0])

        return call

    def searching(query: str) -> Callable[[Any], Awaitable[int]]:
        async def call(s: Any) -> int:
            return len((await finder.search(s, query, F()))[0])

        return call

    cases: list[tuple[str, Callable[[Any], Awaitable[int]]]] = [
        ("list: first page", listing(F())),
        ("list: LINE + Thai + not linked", listing(F(channel="line", locale="th", linked=False))),
        ("list: label", listing(F(label_id=2))),
        ("list: agent", listing(F(agent_id=3))),
        ("list: waiting", listing(F(status="queued"))),
        ("list: deep page (row 90,000)", listing(F(), deep)),
        ("search: ja 手術の時間", searching(NEEDLES["ja"])),
        ("search: th ยกเลิกการจอง", searching(NEEDLES["th"])),
        ("search: zh 航班延误", searching(NEEDLES["zh_Hans"])),
        ("search: ja common 予約を変更", searching("予約を変更")),
        ("search: ja 2 chars 遅れ", searching("遅れ")),
        ("search: en 'afternoon'", searching("afternoon")),
        ("search: nowhere 存在しない言葉", searching("存在しない言葉")),
        ("search: nowhere, 2 chars 歯茎", searching("歯茎")),
    ]
    out = []
    for name, call in cases:
        await call_once(db, call)  # warm the caches and the statement cache
        p50, p99, found = await timed(db, runs, call)
        out.append((name, p50, p99, found))
        print(f"{name:<34} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   rows {found}", flush=True)
    return out


async def call_once(db: Database, call: Callable[[Any], Awaitable[int]]) -> None:
    async with db.read() as s:
        await call(s)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--postgres", action="store_true", help="a fresh database on 127.0.0.1:5432")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database (prints its name)")
    parser.add_argument("--reuse", metavar="NAME", help="measure a database kept by --keep (no seeding)")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    name = args.reuse or f"cb_bench_finder_{uuid.uuid4().hex[:6]}"
    args.postgres = args.postgres or bool(args.reuse)
    args.keep = args.keep or bool(args.reuse)
    if args.postgres:
        admin = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
        if not args.reuse:
            await admin.execute(f'CREATE DATABASE "{name}"')
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    else:
        url = f"sqlite+aiosqlite:///{tmp.name}/bench.db"
    try:
        await asyncio.to_thread(upgrade, url)
        db = Database(url)
        started = time.perf_counter()
        if not args.reuse:
            await seed(db, args.conversations)
        if args.postgres:
            conn = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:5432/{name}")
            await conn.execute("ANALYZE")
            await conn.close()
        verb = "measured" if args.reuse else "seeded"
        print(f"{verb} {args.conversations} conversations ({4 * args.conversations} lines) "
              f"in {time.perf_counter() - started:.0f} s on {'PostgreSQL' if args.postgres else 'SQLite'}")  # fmt: skip
        await measure(db, args.runs, args.conversations)
        await db.dispose()
    finally:
        if args.postgres and args.keep:
            print(f"kept database {name}")
        elif args.postgres:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if args.postgres:
            await admin.close()
        tmp.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
