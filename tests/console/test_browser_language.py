"""The console's language in a real browser: Japanese by default (also the sign-in page, unless the
browser asks for English), an agent switches to English on the account page and back, and the live
queue's own strings (console.js) follow."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page

from bot.config import Settings
from storage.models import Agent
from tests.console.browser import sign_in
from tests.console.support import PASSWORD, add_agent, running

pytestmark = pytest.mark.browser


async def _choose(page: Page, base: str, locale: str) -> None:
    await page.goto(f"{base}/console/account")
    await page.select_option("#console-locale", locale)
    await page.click("#language-save")
    await page.wait_for_url(f"{base}/console/account?done=language")


async def test_an_agent_switches_the_console_to_english_and_back(
    sqlite_settings: Settings, browser: Browser
) -> None:
    async with running(sqlite_settings) as app:
        agent_id = await add_agent(app.db, "ann@agency.example", "Ann")
        context = await browser.new_context(locale="ja-JP")
        try:
            page = await context.new_page()
            await page.goto(f"{app.base}/console/login")
            assert await page.get_attribute("html", "lang") == "ja"
            assert await page.locator("h1").text_content() == "サインイン"
            await sign_in(page, app.base, "ann@agency.example", PASSWORD)
            await page.wait_for_selector("#live[data-state='live']")
            assert await page.locator("#live").text_content() == "リアルタイム"  # console.js, in Japanese
            assert await page.locator("header nav a[aria-current='page']").text_content() == "キュー"

            await _choose(page, app.base, "en")
            assert await page.get_attribute("html", "lang") == "en"
            assert await page.locator("#done").text_content() == "Your console language is saved."
            assert await page.locator("#console-locale").input_value() == "en"
            async with app.db.read() as s:
                stored = await s.get(Agent, agent_id)
                assert stored is not None and stored.console_locale == "en"
            await page.goto(f"{app.base}/console/")
            await page.wait_for_selector("#live[data-state='live']")
            assert await page.locator("#live").text_content() == "live"
            assert await page.locator("header nav a[aria-current='page']").text_content() == "Queue"
            assert await page.locator("#sign-out").text_content() == "Sign out"

            await _choose(page, app.base, "ja")
            assert await page.get_attribute("html", "lang") == "ja"
            assert await page.locator("#done").text_content() == "コンソールの言語を保存しました。"
            assert await page.locator("#sign-out").text_content() == "サインアウト"
        finally:
            await context.close()


async def test_the_sign_in_page_follows_the_browser_before_anyone_is_signed_in(
    sqlite_settings: Settings, browser: Browser
) -> None:
    async with running(sqlite_settings) as app:
        for locale, lang, title in (("en-US", "en", "Sign in"), ("ko-KR", "ja", "サインイン")):
            context = await browser.new_context(locale=locale)
            try:
                page = await context.new_page()
                await page.goto(f"{app.base}/console/login")
                assert await page.get_attribute("html", "lang") == lang, locale
                assert await page.locator("h1").text_content() == title
                await page.fill('input[name="email"]', "nobody@agency.example")
                await page.fill('input[name="password"]', "wrong password here")
                await page.click("#sign-in")
                error = page.locator("#login-error")
                await error.wait_for()
                expected = (
                    "Wrong e-mail or password."
                    if lang == "en"
                    else "メールアドレスまたはパスワードが正しくありません。"
                )
                assert await error.text_content() == expected
            finally:
                await context.close()
