"""Every conversation, filtered and keyset-paged, and full-text search over the transcript.

The list is ordered by last activity (`last_event_at`, then id), newest first, and paged by the last
row's (last_event_at, id): a deep page costs what the first one does (no OFFSET), on the indexes of
migration 0006c.

Search finds a substring in transcript lines, in any language: words in Japanese, Chinese and Thai
are not separated by spaces, so no word tokenizer can be used. SQLite: the FTS5 table `transcript_fts`
(trigram tokenizer, kept in sync by triggers) answers a phrase of 3 characters or more; a shorter
query (予約, 変更) cannot be made of trigrams and is a LIKE over the lines, newest first. PostgreSQL:
ILIKE, which the pg_trgm GIN index answers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import (
    CTE,
    Boolean,
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    column,
    exists,
    literal_column,
    or_,
    select,
    table,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter

from storage.models import (
    Agent,
    ChannelIdentity,
    Conversation,
    ConversationLabel,
    Label,
    OutboxMessage,
    Ticket,
    TranscriptMessage,
)

# What the list calls a conversation's state: its mode, and for a bot conversation whether a person
# ever handled it (a resolved ticket) or the bot alone did.
STATUSES = ("bot", "queued", "agent", "resolved")
# Lines searched: what people wrote. The bot's own lines repeat the same templates in every
# conversation and would drown the customers' words, so they are not even indexed (migration 0007a).
PEOPLE = ("customer", "agent", "note")
# The partial trigram index's condition on PostgreSQL, repeated word for word so the planner uses it.
_INDEXED = literal_column("transcript_messages.author IN ('customer', 'agent', 'note')", Boolean)
TRIGRAM = 3
# SQLite's FTS5 external-content table (migration 0006c): not a model, it has no columns of its own.
FTS = table("transcript_fts", column("rowid", Integer))


@dataclass(frozen=True, slots=True)
class Filters:
    channel: str | None = None
    locale: str | None = None
    status: str | None = None
    label_id: int | None = None
    agent_id: int | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    linked: bool | None = None


@dataclass(frozen=True, slots=True)
class Cursor:
    """The last row of a list page: the next page starts strictly after it."""

    last_event_at: dt.datetime
    id: int


@dataclass(slots=True)
class ListRow:
    id: int
    channel: str
    locale: str | None
    mode: str
    last_event_at: dt.datetime | None
    linked: bool
    status: str = "bot"
    agent_name: str | None = None
    labels: list[Label] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Hit:
    message_id: int
    conversation_id: int
    author: str
    text: str
    created_at: dt.datetime
    channel: str
    locale: str | None


def _has_ticket(*where: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(Ticket.conversation_id == Conversation.id, *where)


def _conditions(f: Filters) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if f.channel:
        out.append(Conversation.channel == f.channel)
    if f.locale:
        out.append(Conversation.locale == f.locale)
    if f.status in ("queued", "agent"):
        out.append(Conversation.mode == f.status)
    elif f.status == "resolved":
        out += [Conversation.mode == "bot", _has_ticket(Ticket.status == "resolved")]
    elif f.status == "bot":
        out += [Conversation.mode == "bot", ~_has_ticket()]
    if f.label_id is not None:
        out.append(
            exists().where(
                ConversationLabel.conversation_id == Conversation.id, ConversationLabel.label_id == f.label_id
            )
        )
    if f.agent_id is not None:
        out.append(_has_ticket(Ticket.claimed_by == f.agent_id))
    if f.since is not None:
        out.append(Conversation.last_event_at >= f.since)
    if f.until is not None:
        out.append(Conversation.last_event_at < f.until)
    if f.linked is not None:
        # On the outer join with the identity: no identity at all is "not linked" too.
        linked = ChannelIdentity.customer_id
        out.append(linked.is_not(None) if f.linked else linked.is_(None))
    return out


async def list_page(
    session: AsyncSession, filters: Filters, after: Cursor | None = None, limit: int = 50
) -> tuple[list[ListRow], Cursor | None]:
    """One page of conversations, newest activity first, and the cursor of the next page (if any)."""
    # A join, not an EXISTS per row: PostgreSQL would otherwise hash every linked identity first.
    stmt = (
        select(
            Conversation.id,
            Conversation.channel,
            Conversation.locale,
            Conversation.mode,
            Conversation.last_event_at,
            ChannelIdentity.customer_id.is_not(None).label("linked"),
        )
        .outerjoin(ChannelIdentity, ChannelIdentity.id == Conversation.identity_id)
        .where(*_conditions(filters))
    )
    if after is not None:
        # The first condition alone bounds the index range; the OR then only breaks ties.
        stmt = stmt.where(
            Conversation.last_event_at <= after.last_event_at,
            or_(
                Conversation.last_event_at < after.last_event_at,
                and_(Conversation.last_event_at == after.last_event_at, Conversation.id < after.id),
            ),
        )
    stmt = stmt.order_by(Conversation.last_event_at.desc(), Conversation.id.desc()).limit(limit + 1)
    found = (await session.execute(stmt)).all()
    rows = [ListRow(r.id, r.channel, r.locale, r.mode, r.last_event_at, bool(r.linked)) for r in found]
    more = len(rows) > limit
    rows = rows[:limit]
    await _decorate(session, rows)
    last = rows[-1] if more and rows else None
    cursor = Cursor(last.last_event_at, last.id) if last and last.last_event_at else None
    return rows, cursor


async def _decorate(session: AsyncSession, rows: list[ListRow]) -> None:
    """Status, the latest ticket's agent and the labels of a page's rows: two queries for the page."""
    ids = [r.id for r in rows]
    if not ids:
        return
    by_id = {r.id: r for r in rows}
    tickets = await session.execute(
        select(Ticket.conversation_id, Ticket.status, Agent.name)
        .outerjoin(Agent, Agent.id == Ticket.claimed_by)
        .where(Ticket.conversation_id.in_(ids))
        .order_by(Ticket.id)
    )
    for conv_id, status, name in tickets.all():
        if conv_id is None:
            continue
        row = by_id[conv_id]
        row.agent_name = name or row.agent_name
        if status == "resolved":
            row.status = "resolved"
    for row in rows:
        if row.mode in ("queued", "agent"):
            row.status = row.mode
    for conv_id, labels in (await labels_of(session, ids)).items():
        by_id[conv_id].labels = labels


async def labels_of(session: AsyncSession, conversation_ids: Sequence[int]) -> dict[int, list[Label]]:
    if not conversation_ids:
        return {}
    found = await session.execute(
        select(ConversationLabel.conversation_id, Label)
        .join(Label, Label.id == ConversationLabel.label_id)
        .where(ConversationLabel.conversation_id.in_(list(conversation_ids)))
        .order_by(Label.name)
    )
    out: dict[int, list[Label]] = {}
    for conv_id, label in found.all():
        out.setdefault(conv_id, []).append(label)
    return out


def _like(query: str) -> str:
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matching(query: str, dialect: str) -> tuple[CTE | Select[tuple[int]] | None, ColumnElement[bool]]:
    """How lines containing `query` are found: the ids of the matching lines from the trigram index
    (a CTE to join on PostgreSQL, an FTS subquery on SQLite), or, for 1–2 characters, a condition
    checked on the lines newest first."""
    if len(query) < TRIGRAM:
        if dialect == "postgresql":
            return None, TranscriptMessage.text.ilike(_like(query), escape="\\")
        return None, TranscriptMessage.text.like(_like(query), escape="\\")
    if dialect == "sqlite":
        # A quoted FTS5 string is a phrase: the trigrams of the query, in order, i.e. the substring.
        phrase = '"' + query.replace('"', '""') + '"'
        return select(FTS.c.rowid).where(literal_column(FTS.name).op("MATCH")(phrase)), true()
    # PostgreSQL: the matching ids first, from the GIN index (a materialized CTE, so the planner cannot
    # walk the whole table by id instead, as it does when it expects matches to come early), then the
    # newest of them. The pattern is rendered into the statement (quoted by the dialect), not bound:
    # a cached generic plan could not know how rare the words are.
    pattern: BindParameter[str] = bindparam("pattern", _like(query), literal_execute=True)
    ids = select(TranscriptMessage.id.label("id")).where(
        TranscriptMessage.text.ilike(pattern, escape="\\"), _INDEXED
    )
    return ids.cte("matching").prefix_with("MATERIALIZED"), true()


async def search(
    session: AsyncSession,
    query: str,
    filters: Filters,
    *,
    before_id: int | None = None,
    limit: int = 30,
    authors: Sequence[str] = PEOPLE,
) -> tuple[list[Hit], int | None]:
    """Transcript lines containing `query` (any case, any language), newest first, and the id to page
    on from (the next page's `before_id`), if there are more."""
    query = query.strip()
    if not query:
        return [], None
    if not set(authors) <= set(PEOPLE):
        raise ValueError("only what people wrote is indexed for search")
    ids, condition = _matching(query, session.get_bind().dialect.name)
    stmt = (
        select(
            TranscriptMessage.id,
            TranscriptMessage.conversation_id,
            TranscriptMessage.author,
            TranscriptMessage.text,
            TranscriptMessage.created_at,
            Conversation.channel,
            Conversation.locale,
        )
        .join(Conversation, Conversation.id == TranscriptMessage.conversation_id)
        .outerjoin(ChannelIdentity, ChannelIdentity.id == Conversation.identity_id)
        .where(condition, TranscriptMessage.author.in_(list(authors)), *_conditions(filters))
    )
    if isinstance(ids, CTE):
        stmt = stmt.join(ids, ids.c.id == TranscriptMessage.id)
    elif ids is not None:
        stmt = stmt.where(TranscriptMessage.id.in_(ids))
    if before_id is not None:
        stmt = stmt.where(TranscriptMessage.id < before_id)
    stmt = stmt.order_by(TranscriptMessage.id.desc()).limit(limit + 1)
    hits = [Hit(*r) for r in (await session.execute(stmt)).all()]
    more = len(hits) > limit
    hits = hits[:limit]
    return hits, (hits[-1].message_id if more and hits else None)


async def lines_from(
    session: AsyncSession, conversation_id: int, first_id: int, before_id: int, limit: int = 500
) -> list[tuple[TranscriptMessage, str | None, str | None]]:
    """A conversation's lines from `first_id` up to (not including) `before_id`, oldest first, with the
    agent's name and delivery state: what a search result opens when its line is older than the
    latest lines the conversation page loads."""
    rows = await session.execute(
        select(TranscriptMessage, Agent.name, OutboxMessage.status)
        .outerjoin(Agent, Agent.id == TranscriptMessage.agent_id)
        .outerjoin(OutboxMessage, OutboxMessage.id == TranscriptMessage.outbox_id)
        .where(
            TranscriptMessage.conversation_id == conversation_id,
            TranscriptMessage.id >= first_id,
            TranscriptMessage.id < before_id,
        )
        .order_by(TranscriptMessage.id)
        .limit(limit)
    )
    return [(m, name, status) for m, name, status in rows.all()]
