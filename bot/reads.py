"""An agent has read a conversation: record it, and tell whoever shows or marks it.

The console calls `agent_read` when an agent opens a conversation and whenever the customer writes
while the agent has it open. The read is written first (storage.repositories.reads: the mark, and
for LINE a job planned for the mark-as-read call); the bus hints after it only make things quick —
the web chat's stream shows "seen" from `seen:<conversation>`, and the LINE read-mark runner wakes on
`reads` — and a lost hint delays, never loses.
"""

from __future__ import annotations

import datetime as dt

from bot.bus import Bus
from storage.db import Database
from storage.repositories import reads

READS_TOPIC = "reads"


def seen_topic(conversation_id: int) -> str:
    return f"seen:{conversation_id}"


def typing_topic(conversation_id: int) -> str:
    return f"typing:{conversation_id}"


# Every "an agent is composing" signal, whatever the conversation (the Telegram sender listens here).
TYPING_TOPIC = "typing"


async def agent_read(db: Database, bus: Bus, conversation_id: int, agent_id: int | None) -> None:
    async with db.write() as s:
        read = await reads.record_read(s, conversation_id, agent_id, dt.datetime.now(dt.UTC))
    if read is None:
        return
    await bus.publish(seen_topic(conversation_id), {"transcript_id": read.transcript_id})
    if read.planned:
        await bus.publish(READS_TOPIC, {"conversation_id": conversation_id})
