"""Reports (admins only): how the chat is doing over a date range, as charts with each chart's CSV.

The page draws every chart from one JSON document (/console/reports/data) with the vendored Chart.js
(static/vendor, no CDN, no inline script: the strict CSP holds); /console/reports/{chart}.csv serves
exactly the numbers of one chart, computed by the same function. Days, weeks (from Monday) and hours
are Japan time; durations are minutes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.console.i18n import N_, Translate, translator
from bot.console.web import Console, Me, Page, day_param, reading
from bot.i18n import JST
from storage.db import Database
from storage.repositories import reports as repo

MAX_DAYS = 366
DEFAULT_DAYS = 30
KINDS = ("cancellation", "change", "late", "special", "data")
TITLES = {
    "conversations-channel": N_("Conversations per day, by channel"),
    "conversations-language": N_("Conversations per day, by language"),
    "settled": N_("Settled by the bot alone vs handed to a person"),
    "first-response-week": N_("First response time per week"),
    "first-response-agent": N_("First response time per agent"),
    "resolution-week": N_("Resolution time per week"),
    "resolution-agent": N_("Resolution time per agent"),
    "queue-wait-hour": N_("Queue wait by hour of day (JST)"),
    "csat-week": N_("Satisfaction (CSAT) per week"),
    "csat-agent": N_("Satisfaction (CSAT) per agent"),
    "requests-kind": N_("Requests by kind, with the cancellation fees involved"),
    "no-shows": N_("No-shows per week (appointments recorded as missed)"),
}


def date_range(request: Request, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The JST dates [from, to] asked for (both included); the last 30 days when absent or wrong."""
    today = today or dt.datetime.now(JST).date()
    end = day_param(request.query_params.get("to")) or today
    begin = day_param(request.query_params.get("from")) or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    if begin > end:
        begin, end = end, begin
    begin = max(begin, end - dt.timedelta(days=MAX_DAYS - 1))
    return begin, end


def _bounds(begin: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(begin, dt.time(0), JST).astimezone(dt.UTC)
    stop = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), JST).astimezone(dt.UTC)
    return start, stop


# Series drawn against the right-hand axis (counts and shares beside durations and ratings).
RIGHT = (N_("Tickets"), N_("Satisfied (4-5), %"), N_("Fees (JPY)"))
STACKED = ("conversations-channel", "conversations-language")


def _chart(
    ident: str, title: str, kind: str, unit: str, labels: list[str], series: dict[str, list[Any]]
) -> dict[str, Any]:
    return {
        "id": ident,
        "title": title,
        "type": kind,
        "unit": unit,
        "stacked": ident in STACKED,
        "labels": labels,
        "series": [{"name": name, "data": data, "axis": "y"} for name, data in series.items()],
    }


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _per_day(rows: list[repo.Started], begin: dt.date, end: dt.date, key: str) -> Any:
    days = [(begin + dt.timedelta(days=i)).isoformat() for i in range((end - begin).days + 1)]
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(days, 0))
    for row in rows:
        counts[str(getattr(row, key))][row.day] += row.count
    return days, {k: list(per.values()) for k, per in sorted(counts.items())}


def _spreads(spreads: dict[Any, repo.Spread], _: Translate) -> dict[str, list[Any]]:
    return {
        _("Median (min)"): [_r(x.median) for x in spreads.values()],
        _("90th percentile (min)"): [_r(x.p90) for x in spreads.values()],
        _("Tickets"): [x.count for x in spreads.values()],
    }


def _csat(sats: dict[str, repo.Satisfaction], _: Translate) -> dict[str, list[Any]]:
    return {
        _("Average rating (1-5)"): [_r(x.average) for x in sats.values()],
        _("Satisfied (4-5), %"): [_r(x.satisfied) for x in sats.values()],
        _("Answers"): [x.count for x in sats.values()],
    }


async def build(db: Database, begin: dt.date, end: dt.date, _: Translate) -> list[dict[str, Any]]:
    """Every chart of the page for the JST dates [begin, end]."""
    start, stop = _bounds(begin, end)
    async with reading(db) as s:
        convs = await repo.conversations(s, start, stop)
        times = await repo.ticket_times(s, start, stop)
        csat = await repo.csat(s, start, stop)
        kinds = await repo.requests_by_kind(s, start, stop)
        missed = await repo.no_shows(s, start, stop)
    charts = [
        *_conversation_charts(convs, begin, end, _),
        *_time_charts(times, _),
        *_outcome_charts(csat, kinds, missed, _),
    ]
    right = {_(r) for r in RIGHT}
    for chart in charts:
        for series in chart["series"]:
            series["axis"] = "y2" if series["name"] in right else "y"
    return charts


def _conversation_charts(
    convs: list[repo.Started], begin: dt.date, end: dt.date, _: Translate
) -> list[dict[str, Any]]:
    days, by_channel = _per_day(convs, begin, end, "channel")
    by_language = _per_day(convs, begin, end, "locale")[1]
    total = sum(c.count for c in convs)
    handed = sum(c.count for c in convs if c.handed)
    n = _("Conversations")
    return [
        _chart("conversations-channel", _(TITLES["conversations-channel"]), "bar", n, days, by_channel),
        _chart("conversations-language", _(TITLES["conversations-language"]), "bar", n, days, by_language),
        _chart(
            "settled",
            _(TITLES["settled"]),
            "doughnut",
            n,
            [_("Settled by the bot alone"), _("Handed to a person")],
            {n: [total - handed, handed]},
        ),
    ]


def _time_charts(times: list[repo.TicketTimes], _: Translate) -> list[dict[str, Any]]:
    out = []
    for field, prefix in (("first_response", "first-response"), ("resolution", "resolution")):
        week, agent = repo.by_week_and_agent(times, field)
        out.append(
            _chart(
                f"{prefix}-week", _(TITLES[f"{prefix}-week"]), "line", "min", list(week), _spreads(week, _)
            )
        )
        out.append(
            _chart(
                f"{prefix}-agent", _(TITLES[f"{prefix}-agent"]), "bar", "min", list(agent), _spreads(agent, _)
            )
        )
    waits = repo.wait_by_hour(times)
    hours = [f"{h:02d}:00" for h in waits]
    out.append(
        _chart("queue-wait-hour", _(TITLES["queue-wait-hour"]), "bar", "min", hours, _spreads(waits, _))
    )
    return out


def _outcome_charts(
    csat: tuple[dict[str, repo.Satisfaction], dict[str, repo.Satisfaction]],
    kinds: dict[str, repo.Kind],
    missed: dict[str, int],
    _: Translate,
) -> list[dict[str, Any]]:
    weeks, agents = csat
    names = [k for k in KINDS if k in kinds] + sorted(set(kinds) - set(KINDS))
    per_kind = {
        _("Requests"): [kinds[k].count for k in names],
        _("Fees (JPY)"): [kinds[k].fees_jpy for k in names],
    }
    return [
        _chart("csat-week", _(TITLES["csat-week"]), "line", "", list(weeks), _csat(weeks, _)),
        _chart("csat-agent", _(TITLES["csat-agent"]), "bar", "", list(agents), _csat(agents, _)),
        _chart("requests-kind", _(TITLES["requests-kind"]), "bar", "", names, per_kind),
        _chart(
            "no-shows", _(TITLES["no-shows"]), "bar", "", list(missed), {_("No-shows"): list(missed.values())}
        ),
    ]


def as_csv(chart: dict[str, Any]) -> str:
    """One chart's numbers: a row per label, a column per series (empty where there is no value)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["label", *(s["name"] for s in chart["series"])])
    for i, label in enumerate(chart["labels"]):
        writer.writerow([label, *("" if s["data"][i] is None else s["data"][i] for s in chart["series"])])
    return out.getvalue()


async def page(console: Console, request: Request, me: Me) -> Response:
    begin, end = date_range(request)
    charts = [{"id": ident, "title": title} for ident, title in TITLES.items()]
    query = f"from={begin.isoformat()}&to={end.isoformat()}"
    return console.render(
        "reports.html", me, active="reports", begin=begin, end=end, charts=charts, query=query
    )


async def data(console: Console, request: Request, me: Me) -> Response:
    begin, end = date_range(request)
    charts = await build(console.db, begin, end, translator(me.locale))
    body = {"from": begin.isoformat(), "to": end.isoformat(), "timezone": "Asia/Tokyo", "charts": charts}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


async def chart_csv(console: Console, request: Request, me: Me) -> Response:
    begin, end = date_range(request)
    wanted = request.path_params["chart"]
    for chart in await build(console.db, begin, end, translator(me.locale)):
        if chart["id"] == wanted:
            name = f"{wanted}_{begin.isoformat()}_{end.isoformat()}.csv"
            return Response(
                as_csv(chart),
                media_type="text/csv; charset=utf-8",
                headers={
                    "Content-Disposition": f'attachment; filename="{name}"',
                    "Cache-Control": "no-store",
                },
            )
    return console.error(me, 404, N_("No such chart."))


PAGES = [
    Page("/reports", page, role="admin"),
    Page("/reports/data", data, role="admin"),
    Page("/reports/{chart:str}.csv", chart_csv, role="admin"),
]
