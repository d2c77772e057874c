"""The reports page in a real browser: sign in as an admin, open the seeded range, wait for the charts.

    .venv/bin/python -m tests.console.report_screenshots [OUT_DIR]

regenerates docs/screenshots/reports-desktop.png and reports-phone.png from the known data set of
tests/console/report_data.py; tests/console/test_reports_browser.py drives the same page.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from playwright.async_api import Browser, Page, ViewportSize
from pydantic import SecretStr

from bot.config import Settings
from storage.migrate import upgrade
from tests.console.browser import chromium, sign_in
from tests.console.report_data import FROM, TO, seed_reports
from tests.console.support import PASSWORD, TEST_APP_SECRET, Running, add_agent, next_code, running

ROOT = Path(__file__).resolve().parents[2]
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
ADMIN = "root@agency.example"


async def seeded(app: Running) -> None:
    await add_agent(app.db, ADMIN, "Root", role="admin")
    ann = await add_agent(app.db, "ann@agency.example", "Ann")
    ben = await add_agent(app.db, "ben@agency.example", "Ben")
    await seed_reports(app.db, ann, ben)


async def open_reports(app: Running, browser: Browser, viewport: ViewportSize) -> tuple[Page, list[str]]:
    """A signed-in admin's page on the seeded range once every chart is drawn; and the browser's
    console errors (a CSP refusal would show there)."""
    context = await browser.new_context(viewport=viewport, accept_downloads=True)
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    await sign_in(page, app.base, ADMIN, PASSWORD, code=lambda: next_code(app.db, ADMIN))
    await page.goto(f"{app.base}/console/reports?from={FROM.isoformat()}&to={TO.isoformat()}")
    await page.wait_for_selector("#reports[data-ready='1']")
    return page, errors


async def shoot(out: Path, browser: Browser, app: Running) -> list[Path]:
    saved = []
    for name, viewport in (("reports-desktop", DESKTOP), ("reports-phone", PHONE)):
        page, _ = await open_reports(app, browser, viewport)
        path = out / f"{name}.png"
        await page.screenshot(path=str(path), full_page=name == "reports-desktop")
        saved.append(path)
        await page.context.close()
    return saved


async def capture(out: Path, database_url: str) -> list[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            _env_file=None,
            database_url=database_url,
            secret_key=SecretStr(TEST_APP_SECRET),  # type: ignore[call-arg]
            secret_key_file=Path(tmp) / "secret",
            scheduler_enabled=False,
        )
        async with running(settings) as app, chromium() as browser:
            await seeded(app)
            return await shoot(out, browser, app)


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/reports.db"
        upgrade(url)
        for path in asyncio.run(capture(out, url)):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
