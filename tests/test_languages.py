"""The bot speaks each of its seven languages end to end through the web chat, and keeps the language
a customer chooses.

Every expectation is the catalog's own rendering (`Translator(locale).render(msg(...))`), so these
tests check that the conversation is *translated* (never the English source outside English) and
that money comes out in the locale's yen format, without hard-coding any translation here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
from markupsafe import escape
from sqlalchemy import select

from bot.config import Settings
from bot.dialogs.language import PREFIX
from bot.dialogs.language import confirmation as language_confirmation
from bot.handlers.webchat.routes import PAGE_TEXT
from bot.i18n import Msg, Translator, Yen, msg, msg_plural
from bot.understanding.language import han_alone, latin_unsure
from storage.db import Database
from storage.models import Conversation
from tests.dialogs.webchat import BIRTH, Chat, same_jst_day, seed
from tests.support.server import serve_app

# (locale, what the browser sends as Accept-Language, "I want to cancel my booking" as a customer types it)
LANGUAGES = (
    ("ja", "ja-JP,ja;q=0.9", "予約をキャンセルしたい"),
    ("en", "en-US,en;q=0.9", "I want to cancel my booking"),
    ("zh_Hans", "zh-CN,zh;q=0.9", "我想取消预约"),
    ("zh_Hant", "zh-TW,zh;q=0.9", "我想取消預約"),
    ("ko", "ko-KR,ko;q=0.9", "예약을 취소하고 싶어요"),
    ("th", "th-TH,th;q=0.9", "ต้องการยกเลิกการจองค่ะ"),
    ("vi", "vi-VN,vi;q=0.9", "Tôi muốn hủy lịch hẹn"),
)

GREETING = msg(
    "Hello! This is the official counseling chat of Beta Me Agent. "
    "I can help with your bookings, and a person from our team is always one tap away."
)
MENU = msg("How can I help you?")
WHO = msg("To help with your bookings, I first need to confirm who you are.")
REFERENCE = msg("Please type your booking reference (you find it in your booking confirmation e-mail).")
BIRTH_DATE = msg("Thank you. Now your date of birth, please: choose it or type it like 1990-04-01.")
LINKED = msg("Thank you, I found your booking: this chat is now linked to it.")
CONFIRM = msg("Shall I send this cancellation request?")
SENT = msg(
    "Thank you. Your cancellation request has been sent. A person from our team will confirm it with "
    "the clinic and tell you here. Until then, your booking stays as it is."
)
MISSED = msg(
    "Please type your booking reference, for example BK-1234. You find it in your booking confirmation e-mail."
)
CONSENT = msg(
    "Before I ask for any personal data: we use your booking reference and date of birth only to "
    "confirm who you are and to link this chat to your bookings. Your personal information (name, "
    "date of birth, contact details, past treatments) is used only to arrange your care, is shared only "
    "with the partner clinics that treat you, and is never given to anyone else without your consent "
    "unless the law requires it. You can ask to see, correct or delete it at any time.\n"
    "Do you agree?"
)


@asynccontextmanager
async def chat_in(settings: Settings, accept_language: str) -> AsyncIterator[Chat]:
    """A visitor whose browser asks for `accept_language`, with the chat opened (greeting and menu)."""
    await same_jst_day()
    db = Database(settings.database_url)
    headers = {"Accept-Language": accept_language}
    try:
        async with (
            serve_app(settings) as base,
            httpx.AsyncClient(base_url=base, timeout=10, headers=headers) as http,
        ):
            c = Chat(http, db)
            await c._post({"start": True})
            yield c
    finally:
        await db.dispose()


def switched(locale: str) -> Msg:
    """What the bot says when the customer has chosen `locale`."""
    return language_confirmation(locale).text


def says(c: Chat, locale: str, *messages: Msg) -> None:
    """Each message is in the bot's last replies in `locale` (and, outside English, not in English)."""
    said = c.text()
    tr, en = Translator(locale), Translator("en")
    for m in messages:
        assert tr.render(m) in said, f"{locale}: {tr.render(m)!r} not in {said!r}"
        if locale != "en":
            assert en.render(m) not in said, f"{locale}: English {en.render(m)!r} in {said!r}"


async def conversation(settings: Settings) -> Conversation:
    db = Database(settings.database_url)
    try:
        async with db.read() as s:
            return (await s.execute(select(Conversation))).scalar_one()
    finally:
        await db.dispose()


@pytest.mark.parametrize(("locale", "accept", "cancel"), LANGUAGES, ids=[lang[0] for lang in LANGUAGES])
async def test_a_whole_cancellation_in_each_language(
    locale: str, accept: str, cancel: str, sqlite_url: str, settings_for: Callable[..., Settings]
) -> None:
    settings = settings_for(sqlite_url)
    # Digits only after the prefix: letters in a reference can read as a word ("KO" is Vietnamese
    # shorthand for "not") and would be taken as the customer switching to that language.
    reference = f"BMA-{2601 + [lang[0] for lang in LANGUAGES].index(locale)}"
    ids = await seed(settings, (reference, "treatment", 2, 14, 120_000))
    tr = Translator(locale)
    async with chat_in(settings, accept) as c:
        page = (await c.http.get("/")).text
        assert f'<html lang="{locale.replace("_", "-")}">' in page
        for text in PAGE_TEXT.values():
            assert str(escape(tr.render(text))) in page, (locale, tr.render(text))
        says(c, locale, GREETING, MENU)
        assert c.options()[:2] == ["cancellation", "booking_change"]

        await c.say(cancel)
        says(c, locale, WHO)
        assert "consent_yes" in c.options()
        await c.press("consent_yes")
        says(c, locale, REFERENCE)
        await c.say(reference)
        says(c, locale, BIRTH_DATE)
        await c.pick(BIRTH)

        says(
            c,
            locale,
            LINKED,
            msg_plural(
                "You are cancelling {n} day before the appointment (counted on Japan calendar dates).",
                "You are cancelling {n} days before the appointment (counted on Japan calendar dates).",
                2,
            ),
            msg(
                "Rule: from 3 days before the appointment, the fee is {rate}% of the interpretation fee.",
                rate=50,
            ),
            msg("Cancellation fee: {rate}% of {total} = {fee}", rate=50, total=Yen(120_000), fee=Yen(60_000)),
            CONFIRM,
        )
        assert tr.yen(60_000) in c.text()
        assert c.options() == ["confirm", "keep", "menu"]

        await c.press("confirm")
        says(c, locale, SENT)
        [request] = await c.requests()
        assert (request.kind, request.booking_id, request.fee_jpy) == ("cancellation", ids[reference], 60_000)
    conv = await conversation(settings)
    assert conv.locale == locale


async def test_a_typed_language_choice_wins_and_is_kept(settings: Settings) -> None:
    await seed(settings, ("LG-SWITCH-1", "treatment", 9, 11, 80_000))
    async with chat_in(settings, "ja-JP") as c:
        says(c, "ja", GREETING, MENU)

        await c.say("English")
        says(c, "en", switched("en"), MENU)

        # Written in Japanese, answered in the chosen English.
        await c.say("予約をキャンセルしたい")
        says(c, "en", WHO)
        await c.press("consent_yes")
        says(c, "en", REFERENCE)

        # In the middle of the identity check: switched, and the same question asked again.
        await c.say("中文")
        says(c, "zh_Hans", switched("zh_Hans"), REFERENCE)
        # Korean after choosing Chinese: still Chinese.
        await c.say("예약 번호를 모르겠어요")
        says(c, "zh_Hans", MISSED, REFERENCE)

        # The menu's own way: "Language", then a language's button.
        await c.press("menu")
        says(c, "zh_Hans", MENU)
        await c.press("language")
        says(c, "zh_Hans", msg("Which language would you like me to use?"))
        assert f"{PREFIX}ko" in c.options()
        await c.press(f"{PREFIX}ko")
        says(c, "ko", switched("ko"), MENU)
    conv = await conversation(settings)
    assert (conv.locale, conv.locale_source) == ("ko", "chosen")


@pytest.mark.parametrize(
    ("written", "locale", "choice", "chosen"),
    [
        ("예약을 취소하고 싶어요", "ko", "日本語", "ja"),
        ("Tôi muốn hủy lịch hẹn", "vi", "繁體中文", "zh_Hant"),
        ("ต้องการยกเลิกการจองค่ะ", "th", "Tiếng Việt", "vi"),
    ],
)
async def test_the_language_written_beats_the_platform_and_a_choice_beats_both(
    written: str, locale: str, choice: str, chosen: str, settings: Settings
) -> None:
    await seed(settings, ("LG-DETECT-1", "treatment", 9, 11, 80_000))
    async with chat_in(settings, "en-US") as c:
        says(c, "en", GREETING, MENU)
        await c.say(written)
        says(c, locale, WHO)

        # Typed at the consent question: the question is asked again, in the chosen language.
        await c.say(choice)
        says(c, chosen, switched(chosen), CONSENT)
        await c.press("consent_yes")
        says(c, chosen, REFERENCE)
        # The customer goes back to writing in their own language: the choice stays.
        await c.say(written)
        says(c, chosen, MISSED, REFERENCE)
    conv = await conversation(settings)
    assert (conv.locale, conv.locale_source) == (chosen, "chosen")


async def test_regression_han_characters_alone_keep_a_japanese_conversation_japanese(
    settings: Settings,
) -> None:
    # "手術", "施術", "午後" have no kana: a Japanese conversation switched to Chinese on each, and back.
    await seed(settings, ("LG-HAN-1", "treatment", 9, 11, 80_000))
    async with chat_in(settings, "en-US") as c:
        await c.say("予約をキャンセルしたい")
        says(c, "ja", WHO)
        for word in ("手術", "施術", "来週月曜日", "午後"):
            await c.say(word)
            says(c, "ja", CONSENT)
            assert (await conversation(settings)).locale == "ja"
        # A Chinese sentence still switches, and Han characters alone then keep Chinese.
        await c.say("我想取消预约")
        says(c, "zh_Hans", CONSENT)
        await c.say("手術")
        says(c, "zh_Hans", CONSENT)
    assert (await conversation(settings)).locale == "zh_Hans"


@pytest.mark.parametrize(
    ("text", "alone"),
    [
        ("施術", True),
        ("来週月曜日", True),
        ("午後", True),
        ("航班延误", True),
        ("我想取消预约", False),
        ("可以吗", False),
        ("手术取消了", False),
        ("予約を変更", False),
        ("ok", False),
    ],
)
def test_han_alone_is_han_with_nothing_chinese_or_japanese_about_it(text: str, alone: bool) -> None:
    assert han_alone(text) is alone


async def test_regression_ok_a_keeps_a_vietnamese_conversation_vietnamese(settings: Settings) -> None:
    # Held-out 4: "ok a" (ok ạ) and "buoi sang" typed without tone marks switched the chat to English.
    await seed(settings, ("LG-VI-1", "treatment", 9, 11, 80_000))
    async with chat_in(settings, "en-US") as c:
        await c.say("e muon huy lich hen")
        says(c, "vi", WHO)
        for word in ("ok a", "yes", "H4-VI99"):
            await c.say(word)
            assert (await conversation(settings)).locale == "vi"
        # Plain English still switches.
        await c.say("sorry, can you write in english? I want to cancel my appointment")
    assert (await conversation(settings)).locale == "en"


@pytest.mark.parametrize(
    ("text", "unsure"),
    [
        ("ok a", True),
        ("yes", True),
        ("H4-VI04", True),
        ("buoi chieu", False),
        ("gui di a", False),
        ("vâng", False),
        ("please cancel it", False),
        ("i want to cancel", False),
    ],
)
def test_latin_unsure_is_too_little_english_or_vietnamese_to_switch_on(text: str, unsure: bool) -> None:
    assert latin_unsure(text) is unsure
