"""Telegram updates (fixtures shaped as Telegram sends them) -> what counselbot does. No server."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bot.events import (
    AttachmentIn,
    ChoiceIn,
    ConversationKey,
    DateIn,
    FollowIn,
    TextIn,
    UnfollowIn,
    UnsupportedIn,
)
from bot.handlers.telegram import callbacks
from bot.handlers.telegram.inbound import AnswerOnly, Ignore, ToEngine, TurnPage, interpret
from bot.handlers.telegram.updates import MalformedUpdate, parse_update
from tests.fakes.telegram_api import FIXTURES, fixture, update_from

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
KEY = ConversationKey("telegram", "5550001")


def act(update: dict[str, Any]) -> Any:
    return interpret(parse_update(update), NOW)


def test_every_fixture_parses() -> None:
    names = sorted(p.stem for p in FIXTURES.glob("*.json"))
    assert "text_message" in names
    for name in names:
        assert parse_update(fixture(name)).update_id == fixture(name)["update_id"]


def test_text_becomes_text_with_the_senders_language_and_name() -> None:
    a = act(fixture("text_message"))
    assert isinstance(a, ToEngine)
    e = a.event
    assert e.key == KEY
    assert e.event_id == "810000001"
    assert e.body == TextIn("I would like to change my appointment")
    assert e.locale_hint == "zh-hans"
    assert e.display_name == "Mei Chen"
    assert e.received_at == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert a.query is None


def test_start_with_a_deep_link_payload_is_a_follow() -> None:
    a = act(fixture("start_payload"))
    assert isinstance(a, ToEngine)
    assert a.event.body == FollowIn("BK7Q2M")


@pytest.mark.parametrize(
    ("text", "body"),
    [
        ("/start", FollowIn(None)),
        ("/start@counsel_test_bot ABC", FollowIn("ABC")),
        ("/menu", ChoiceIn("menu", anywhere=True)),
        ("/human@counsel_test_bot", ChoiceIn("human", anywhere=True)),
        ("/language", ChoiceIn("language", anywhere=True)),
        ("/Help", TextIn("help")),
        ("/cancel my booking", TextIn("/cancel my booking")),
        ("/", TextIn("/")),
    ],
)
def test_commands(text: str, body: object) -> None:
    a = act(update_from("text_message", text=text))
    assert isinstance(a, ToEngine)
    assert a.event.body == body


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("sticker", "sticker"),
        ("edited_message", "edited_message"),
    ],
)
def test_what_the_bot_cannot_read_gets_a_polite_answer(name: str, kind: str) -> None:
    a = act(fixture(name))
    assert isinstance(a, ToEngine)
    assert a.event.body == UnsupportedIn(kind)
    assert a.event.key == KEY


def test_photos_documents_voice_video_and_locations_are_attachments() -> None:
    photo = act(fixture("photo"))
    assert isinstance(photo, ToEngine)
    # The largest of the sizes Telegram offers, and the caption kept.
    assert photo.event.body == AttachmentIn(
        "image", "telegram:AgACAgQAAxkBAAIBQ2ZfakePhotoLarge", size=60411, caption="my passport"
    )
    document = act(fixture("document"))
    assert isinstance(document, ToEngine)
    assert document.event.body == AttachmentIn(
        "file", "telegram:BQACAgQAAxkBAAIBRmZfakeDoc", name="referral.pdf", size=182044
    )
    for name, kind in (("voice", "audio"), ("video", "video")):
        a = act(fixture(name))
        assert isinstance(a, ToEngine) and isinstance(a.event.body, AttachmentIn)
        assert a.event.body.kind == kind and (a.event.body.source or "").startswith("telegram:")
    location = act(fixture("location"))
    assert isinstance(location, ToEngine)
    assert location.event.body == AttachmentIn("location", latitude=35.681236, longitude=139.767125)


def test_an_edited_message_counts_from_its_edit_time() -> None:
    a = act(fixture("edited_message"))
    assert a.event.received_at == dt.datetime(2026, 1, 1, 0, 1, tzinfo=dt.UTC)


def test_blocking_the_bot_is_an_unfollow() -> None:
    a = act(fixture("my_chat_member_kicked"))
    assert isinstance(a, ToEngine)
    assert a.event.body == UnfollowIn()
    assert a.event.key == KEY


def test_unblocking_and_groups_are_ignored() -> None:
    unblock = fixture("my_chat_member_kicked")
    unblock["my_chat_member"]["new_chat_member"]["status"] = "member"
    assert isinstance(act(unblock), Ignore)
    assert isinstance(act(fixture("group_message")), Ignore)
    # A kind counselbot does not use is acknowledged and ignored, even one PTB could not parse.
    assert isinstance(act({"update_id": 1, "poll": {"id": "1"}}), Ignore)
    assert isinstance(act({"update_id": 2, "some_future_kind": {"x": 1}}), Ignore)


def test_a_choice_press_carries_the_option_and_token_and_the_pressed_label() -> None:
    a = act(fixture("callback_query"))
    assert isinstance(a, ToEngine)
    assert a.event.body == ChoiceIn("change", "1")
    assert a.event.received_at == NOW
    assert a.event.key == KEY
    assert a.query is not None and a.query.id == "4382bfdwdsb323b2d9"
    assert a.chosen_label == "Change a booking"


def test_a_day_press_is_a_date() -> None:
    a = act(update_from("callback_query", data=callbacks.day("7", dt.date(2026, 2, 14))))
    assert isinstance(a, ToEngine)
    assert a.event.body == DateIn(dt.date(2026, 2, 14), None, "7")
    assert a.chosen_label == "2026-02-14"


def test_page_turns_and_inert_buttons_never_reach_the_engine() -> None:
    turn = act(update_from("callback_query", data=callbacks.page("7", dt.date(2026, 3, 1), None, None, "ja")))
    assert isinstance(turn, TurnPage)
    assert turn.turn.month == dt.date(2026, 3, 1) and turn.turn.locale == "ja"
    for data in (callbacks.NOOP, "zz:garbage", "d:1:20261399", "m:1:bad"):
        assert isinstance(act(update_from("callback_query", data=data)), AnswerOnly)


@pytest.mark.parametrize(
    "body",
    [
        [],
        "x",
        {},
        {"update_id": "1"},
        {"update_id": 1.5},
        {"update_id": True},
        {"update_id": 1, "message": 5},
        {"update_id": 1, "message": {"text": "no date or chat"}},
    ],
)
def test_malformed_updates_are_refused(body: object) -> None:
    with pytest.raises(MalformedUpdate):
        parse_update(body)
