"""The reports page in chromium: every chart is drawn (its canvas has pixels), nothing is refused by the
CSP, and each chart's CSV download holds exactly the numbers Chart.js drew; screenshots as a by-product."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser

from bot.config import Settings
from tests.console.report_screenshots import DESKTOP, open_reports, seeded, shoot
from tests.console.support import running

pytestmark = pytest.mark.browser

# Pixels drawn on a canvas (any non-transparent one).
INKED = """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }"""
# What Chart.js holds for one chart: its labels and each dataset's name and numbers.
DRAWN = """id => { const c = window.counselbotCharts[id].chart;
  return {labels: c.data.labels, series: c.data.datasets.map(d => ({name: d.label, data: d.data}))}; }"""


def drawn_as_csv(drawn: dict[str, Any]) -> list[list[str]]:
    def cell(v: Any) -> str:
        return "" if v is None else (f"{v:.1f}" if isinstance(v, float) else str(v))

    header = ["label", *(s["name"] for s in drawn["series"])]
    rows = [
        [str(label), *(cell(s["data"][i]) for s in drawn["series"])]
        for i, label in enumerate(drawn["labels"])
    ]
    return [header, *rows]


def normalized(rows: list[list[str]]) -> list[list[str]]:
    """Numbers compared as numbers (JSON turns 15.0 into 15)."""

    def norm(v: str) -> str:
        try:
            return repr(float(v))
        except ValueError:
            return v

    return [[norm(v) for v in r] for r in rows]


async def test_charts_are_drawn_and_each_csv_matches_its_chart(
    sqlite_settings: Settings, browser: Browser, tmp_path: Path
) -> None:
    async with running(sqlite_settings) as app:
        await seeded(app)
        page, errors = await open_reports(app, browser, DESKTOP)
        figures = page.locator("figure[data-chart]")
        ids = [await figures.nth(i).get_attribute("data-chart") for i in range(await figures.count())]
        assert len(ids) == 12
        for ident in ids:
            canvas = page.locator(f"#chart-{ident}")
            assert await canvas.get_attribute("data-drawn") == "1"
            assert await canvas.evaluate(INKED) > 500, f"{ident}: nothing drawn"
            async with page.expect_download() as info:
                await page.locator(f"[data-testid='csv-{ident}']").click()
            download = await info.value
            text = await asyncio.to_thread(Path(await download.path()).read_text, encoding="utf-8")
            rows = list(csv.reader(io.StringIO(text)))
            drawn = await page.evaluate(DRAWN, ident)
            assert normalized(rows) == normalized(drawn_as_csv(drawn)), ident
        assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
        await page.context.close()
        saved = await shoot(tmp_path, browser, app)
        assert all(p.stat().st_size > 10_000 for p in saved)
