"""Labels (admin-managed, several per conversation) and notes on a customer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Agent, ConversationLabel, CustomerNote, Label


async def all_labels(session: AsyncSession) -> list[Label]:
    return list((await session.execute(select(Label).order_by(Label.name))).scalars())


async def label_named(session: AsyncSession, name: str) -> Label | None:
    return (await session.execute(select(Label).where(Label.name == name))).scalar_one_or_none()


def add_label(session: AsyncSession, name: str, colour: str, now: dt.datetime) -> Label:
    label = Label(name=name, colour=colour, created_at=now)
    session.add(label)
    return label


async def delete_label(session: AsyncSession, label_id: int) -> bool:
    label = await session.get(Label, label_id)
    if label is None:
        return False
    await session.execute(delete(ConversationLabel).where(ConversationLabel.label_id == label_id))
    await session.delete(label)
    return True


async def labels_of_conversation(session: AsyncSession, conversation_id: int) -> list[Label]:
    rows = await session.execute(
        select(Label)
        .join(ConversationLabel, ConversationLabel.label_id == Label.id)
        .where(ConversationLabel.conversation_id == conversation_id)
        .order_by(Label.name)
    )
    return list(rows.scalars())


async def set_conversation_labels(
    session: AsyncSession, conversation_id: int, label_ids: Sequence[int], agent_id: int, now: dt.datetime
) -> tuple[set[int], set[int]]:
    """Make the conversation's labels exactly `label_ids` (unknown ids ignored): (added, removed)."""
    known = set((await session.execute(select(Label.id).where(Label.id.in_(list(label_ids))))).scalars())
    current = set(
        (
            await session.execute(
                select(ConversationLabel.label_id).where(ConversationLabel.conversation_id == conversation_id)
            )
        ).scalars()
    )
    added, removed = known - current, current - known
    if removed:
        await session.execute(
            delete(ConversationLabel).where(
                ConversationLabel.conversation_id == conversation_id,
                ConversationLabel.label_id.in_(list(removed)),
            )
        )
    for label_id in sorted(added):
        session.add(
            ConversationLabel(
                conversation_id=conversation_id, label_id=label_id, added_by=agent_id, added_at=now
            )
        )
    return added, removed


def add_customer_note(
    session: AsyncSession, customer_id: int, agent_id: int, text: str, now: dt.datetime
) -> CustomerNote:
    note = CustomerNote(customer_id=customer_id, agent_id=agent_id, text=text, created_at=now)
    session.add(note)
    return note


async def customer_notes(
    session: AsyncSession, customer_id: int, limit: int = 100
) -> list[tuple[CustomerNote, str | None]]:
    """The customer's notes, newest first, with the writing agent's name."""
    rows = await session.execute(
        select(CustomerNote, Agent.name)
        .outerjoin(Agent, Agent.id == CustomerNote.agent_id)
        .where(CustomerNote.customer_id == customer_id)
        .order_by(CustomerNote.id.desc())
        .limit(limit)
    )
    return [(note, name) for note, name in rows.all()]
