"""Every conversation (filtered, keyset-paged) and full-text search over what people wrote.

The list shows no names or message text (channel, language, state, labels, the agent, times), so like
the queue it is not a view of anyone's personal data. A search is: its results are customers' words,
and its query is customer text too — each search writes a `conversation.search` audit entry whose
detail holds the query only as a hash (bot.logs.hashed, as sign-in failures hold the e-mail), its
length, the filters (codes and ids) and the number of results.

Who finds what: `visible(me)` is the one place that narrows what a role may find, applied to the list
and to search alike. Today every signed-in agent, admin or not, may open every conversation (see
docs/console.md, "Who may do what"), so it narrows nothing for either role; a session that is not
fully signed in (second factor pending, password to change) or signed out reaches neither page.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from markupsafe import Markup, escape
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.console.conversation import entry_json
from bot.console.i18n import N_, translator
from bot.console.web import (
    Console,
    Me,
    Page,
    audited,
    day_param,
    inert,
    instant_param,
    int_param,
    json_error,
    reading,
)
from bot.i18n import JST, language_names
from bot.logs import hashed
from storage.models import ChannelIdentity, Conversation
from storage.repositories import console as accounts
from storage.repositories import conversation_list as finder
from storage.repositories import labels as label_repo

CHANNELS = ("line", "telegram", "webchat", "terminal")
STATUS_LABELS = {
    "bot": N_("Bot only"),
    "queued": N_("Waiting"),
    "agent": N_("With an agent"),
    "resolved": N_("Resolved"),
}
AUTHOR_LABELS = {"customer": N_("Customer"), "agent": N_("Agent"), "note": N_("Internal note")}
MAX_QUERY = 100
# Characters of context shown on each side of the match.
CONTEXT = 40


@dataclass(frozen=True, slots=True)
class Query:
    """The page's parameters, validated: anything unknown is dropped, never passed on."""

    filters: finder.Filters
    q: str
    after: finder.Cursor | None
    before: int | None
    values: dict[str, str]


def _cursor(value: str | None) -> finder.Cursor | None:
    if not value or "~" not in value:
        return None
    at, _, ident = value.rpartition("~")
    when, number = instant_param(at), int_param(ident)
    return finder.Cursor(when, number) if when is not None and number is not None else None


def parse(params: QueryParams) -> Query:
    get = params.get
    channel = get("channel") if get("channel") in CHANNELS else None
    locale = get("locale") if get("locale") in language_names() else None
    status = get("status") if get("status") in finder.STATUSES else None
    linked = {"yes": True, "no": False}.get(get("linked") or "")
    since, until = day_param(get("from")), day_param(get("to"))
    filters = finder.Filters(
        channel=channel,
        locale=locale,
        status=status,
        label_id=int_param(get("label")),
        agent_id=int_param(get("agent")),
        # Days are JST days; "to" includes its whole day.
        since=dt.datetime.combine(since, dt.time(), JST) if since else None,
        until=dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), JST) if until else None,
        linked=linked,
    )
    q = (get("q") or "").strip()[:MAX_QUERY]
    values = {
        "channel": channel or "",
        "locale": locale or "",
        "status": status or "",
        "label": str(filters.label_id or ""),
        "agent": str(filters.agent_id or ""),
        "from": since.isoformat() if since else "",
        "to": until.isoformat() if until else "",
        "linked": (get("linked") or "") if linked is not None else "",
        "q": q,
    }
    return Query(filters, q, _cursor(get("after")), int_param(get("before")), values)


def visible(me: Me, filters: finder.Filters) -> finder.Filters:
    """The filters narrowed to what this agent's role may see. Both roles may open every conversation
    today, so nothing is narrowed; a rule that hides conversations from a role goes here, and then
    holds for the list and the search alike."""
    return filters


def highlight(text: str, query: str) -> Markup:
    """The line around the first match, the match in <mark>: customer text escaped (and bidi controls
    made visible) first, the markup only ever ours."""
    found = re.search(re.escape(query), text, re.IGNORECASE) if query else None
    if found is None:
        return Markup(escape(inert(text[: 2 * CONTEXT])))
    start, end = found.span()
    left = max(0, start - CONTEXT)
    before = ("…" if left else "") + text[left:start]
    after = text[end : end + CONTEXT] + ("…" if end + CONTEXT < len(text) else "")
    return Markup("{}<mark>{}</mark>{}").format(inert(before), inert(text[start:end]), inert(after))


def cursor_text(cursor: finder.Cursor | None) -> str:
    return f"{cursor.last_event_at.isoformat()}~{cursor.id}" if cursor else ""


async def page(console: Console, request: Request, me: Me) -> Response:
    query = parse(request.query_params)
    filters = visible(me, query.filters)
    hits: list[finder.Hit] = []
    rows: list[finder.ListRow] = []
    next_after: finder.Cursor | None = None
    next_before: int | None = None
    async with reading(console.db) as s:
        labels = await label_repo.all_labels(s)
        agents = await accounts.list_agents(s)
        if query.q:
            hits, next_before = await finder.search(s, query.q, filters, before_id=query.before)
            hit_labels = await finder.labels_of(s, sorted({h.conversation_id for h in hits}))
        else:
            rows, next_after = await finder.list_page(s, filters, query.after)
            hit_labels = {}
    if query.q:
        detail = {
            "query": hashed(query.q),
            "chars": len(query.q),
            "results": len(hits),
            "filters": {k: v for k, v in query.values.items() if v and k != "q"},
            "page": "next" if query.before else "first",
        }
        await audited(console.db, me, "conversation.search", "conversation", None, detail)
    return console.render(
        "conversations.html",
        me,
        active="conversations",
        query=query,
        rows=rows,
        hits=[(h, highlight(h.text, query.q), hit_labels.get(h.conversation_id, [])) for h in hits],
        next_after=cursor_text(next_after),
        next_before=next_before,
        labels=labels,
        agents=agents,
        channels=CHANNELS,
        statuses=STATUS_LABELS,
        authors=AUTHOR_LABELS,
    )


async def lines(console: Console, request: Request, me: Me) -> Response:
    """Older lines of a conversation, for a search result whose line the page has not loaded."""
    conv_id = int(request.path_params["conversation_id"])
    first, before = int_param(request.query_params.get("from")), int_param(request.query_params.get("before"))
    if first is None or before is None or before <= first:
        return json_error(N_("from and before (message ids) are needed"), 400, me.locale)
    async with reading(console.db) as s:
        conv = await s.get(Conversation, conv_id)
        identity = await s.get(ChannelIdentity, conv.identity_id) if conv and conv.identity_id else None
        rows = await finder.lines_from(s, conv_id, first, before) if conv else []
    if conv is None:
        return json_error(N_("No such conversation."), 404, me.locale)
    # Transcript text, like the stream: a view of its own.
    await audited(
        console.db, me, "conversation.history", "conversation", conv_id, {"from": first, "lines": len(rows)}
    )
    who: str = N_("Customer")
    if identity and identity.display_name:
        who = N_("Customer · %(name)s", name=identity.display_name)
    tr = translator(me.locale)
    return JSONResponse({"entries": [entry_json(m, name, status, who, tr) for m, name, status in rows]})


PAGES = [
    Page("/conversations", page),
    Page("/api/conversations/{conversation_id:int}/lines", lines),
]
