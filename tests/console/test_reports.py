"""The reports page's numbers against a seeded data set whose answers are known (SQLite and PostgreSQL),
each chart's CSV against its chart, and admins only."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.console.reports import as_csv
from storage.db import Database
from storage.models import Conversation
from storage.repositories.reports import day_of, hour_of, jst_day, jst_hour, jst_week, percentile, week_of
from tests.console.report_data import FROM, TO, at, seed_reports
from tests.console.support import add_agent, running, signed_in

RANGE = f"from={FROM.isoformat()}&to={TO.isoformat()}"


def series(chart: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{series name: {label: value}} of one chart."""
    return {s["name"]: dict(zip(chart["labels"], s["data"], strict=True)) for s in chart["series"]}


def nonzero(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v}


@pytest.fixture
async def charts(console_settings: Settings) -> Any:
    async with running(console_settings) as app:
        root = await add_agent(app.db, "root@agency.example", "Root", role="admin")
        ann = await add_agent(app.db, "ann@agency.example", "Ann")
        ben = await add_agent(app.db, "ben@agency.example", "Ben")
        assert root
        await seed_reports(app.db, ann, ben)
        async with signed_in(app.base, "root@agency.example", db=app.db) as admin:
            doc = (await admin.client.get(f"/console/reports/data?{RANGE}")).json()
            csvs = {
                c["id"]: (await admin.client.get(f"/console/reports/{c['id']}.csv?{RANGE}"))
                for c in doc["charts"]
            }
            page = await admin.client.get(f"/console/reports?{RANGE}")
        async with signed_in(app.base, "ann@agency.example") as agent:
            refused = [
                (await agent.client.get(path)).status_code
                for path in ("/console/reports", "/console/reports/data", "/console/reports/settled.csv")
            ]
            offered = 'id="nav-reports"' in (await agent.client.get("/console/")).text
            refused.append(offered)
        yield {c["id"]: c for c in doc["charts"]}, csvs, page, refused, doc


async def test_the_numbers_are_the_known_answers(charts: Any) -> None:
    by_id, _, _, _, doc = charts
    assert (doc["from"], doc["to"], doc["timezone"]) == ("2026-03-02", "2026-03-15", "Asia/Tokyo")
    channel = series(by_id["conversations-channel"])
    assert len(by_id["conversations-channel"]["labels"]) == 14  # every day of the range, JST
    assert {k: nonzero(v) for k, v in channel.items()} == {
        "line": {"2026-03-02": 1, "2026-03-09": 1},
        "telegram": {"2026-03-03": 1},  # 00:30 JST, still 2 March in UTC
        "webchat": {"2026-03-02": 1, "2026-03-10": 1},
    }
    language = series(by_id["conversations-language"])
    assert {k: sum(v.values()) for k, v in language.items()} == {"en": 1, "ja": 2, "ko": 1, "zh_Hans": 1}
    assert series(by_id["settled"]) == {
        "Conversations": {"Settled by the bot alone": 2, "Handed to a person": 3}
    }
    first = series(by_id["first-response-week"])
    assert first["Median (min)"] == {"2026-03-02": 15, "2026-03-09": 18}
    assert first["90th percentile (min)"] == {"2026-03-02": 15, "2026-03-09": 27.6}
    assert first["Tickets"] == {"2026-03-02": 1, "2026-03-09": 2}  # T4 has no answer yet
    first_agent = series(by_id["first-response-agent"])
    assert first_agent["Median (min)"] == {"Ann": 22.5, "Ben": 6}
    assert first_agent["90th percentile (min)"] == {"Ann": 28.5, "Ben": 6}
    resolution = series(by_id["resolution-week"])
    assert resolution["Median (min)"] == {"2026-03-02": 60, "2026-03-09": 78}
    assert resolution["90th percentile (min)"] == {"2026-03-02": 60, "2026-03-09": 111.6}
    res_agent = series(by_id["resolution-agent"])
    assert res_agent["Median (min)"] == {"Ann": 90, "Ben": 36}
    assert res_agent["90th percentile (min)"] == {"Ann": 114, "Ben": 36}
    wait = series(by_id["queue-wait-hour"])
    assert len(wait["Median (min)"]) == 24
    assert {h: v for h, v in wait["Median (min)"].items() if v is not None} == {
        "09:00": 30,
        "14:00": 5,
        "23:00": 10,
    }
    assert wait["90th percentile (min)"]["09:00"] == 38
    assert nonzero(wait["Tickets"]) == {"09:00": 2, "14:00": 1, "23:00": 1}
    csat = series(by_id["csat-week"])
    assert csat["Average rating (1-5)"] == {"2026-03-02": 5, "2026-03-09": 3.5}
    assert csat["Satisfied (4-5), %"] == {"2026-03-02": 100, "2026-03-09": 50}
    assert csat["Answers"] == {"2026-03-02": 1, "2026-03-09": 2}
    csat_agent = series(by_id["csat-agent"])
    assert csat_agent["Average rating (1-5)"] == {"Ann": 4, "Ben": 4}
    assert csat_agent["Satisfied (4-5), %"] == {"Ann": 50, "Ben": 100}
    kinds = series(by_id["requests-kind"])
    assert kinds["Requests"] == {"cancellation": 2, "change": 1, "late": 1, "special": 1}
    assert kinds["Fees (JPY)"] == {"cancellation": 20000, "change": 0, "late": 0, "special": 0}
    assert series(by_id["no-shows"]) == {"No-shows": {"2026-03-02": 1, "2026-03-09": 3}}


async def test_each_csv_is_exactly_its_charts_numbers(charts: Any) -> None:
    by_id, csvs, _, _, _ = charts
    assert len(csvs) == 12
    for ident, response in csvs.items():
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
        assert response.text == as_csv(by_id[ident])
        rows = list(csv.reader(io.StringIO(response.text)))
        assert rows[0] == ["label", *(s["name"] for s in by_id[ident]["series"])]
        assert [r[0] for r in rows[1:]] == by_id[ident]["labels"]
    rows = list(csv.reader(io.StringIO(csvs["first-response-week"].text)))
    assert rows[1:] == [["2026-03-02", "15.0", "15.0", "1"], ["2026-03-09", "18.0", "27.6", "2"]]


async def test_the_page_is_for_admins_only_and_has_a_canvas_per_chart(charts: Any) -> None:
    by_id, _, page, refused, _ = charts
    assert page.status_code == 200
    for ident in by_id:
        assert f'id="chart-{ident}"' in page.text and f'data-testid="csv-{ident}"' in page.text
    assert "/static/vendor/chart.umd.min.js" in page.text and "<script>" not in page.text
    assert refused == [403, 403, 403, False], "agents get no reports, nor a link to them"
    assert 'id="nav-reports"' in page.text


@pytest.mark.parametrize(
    "when",
    [
        at(9, 8),
        at(8, 23, 59),
        at(9, 0, 0),
        at(15, 23, 59),
        at(16, 0, 0),
        at(3, 0, 30),
        at(2, 23, 30),
        at(1, 9),
    ],
)
async def test_sql_jst_day_week_and_hour_match_python(db_url: str, when: dt.datetime) -> None:
    db = Database(db_url)
    try:
        async with db.write() as s:
            conv = Conversation(channel="webchat", user_id="w", created_at=when)
            s.add(conv)
            await s.flush()
            col = Conversation.created_at
            row = (
                await s.execute(
                    select(jst_day(s, col), jst_week(s, col), jst_hour(s, col)).where(
                        Conversation.id == conv.id
                    )
                )
            ).one()
        assert tuple(row) == (day_of(when), week_of(when), hour_of(when))
    finally:
        await db.dispose()


def test_percentiles_and_weeks() -> None:
    assert percentile([], 0.5) is None
    assert percentile([6, 30], 0.9) == pytest.approx(27.6)
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert week_of(at(15, 23, 59)) == "2026-03-09" and week_of(at(16, 0, 0)) == "2026-03-16"
