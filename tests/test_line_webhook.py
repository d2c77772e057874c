"""LINE webhook bodies -> InboundEvents, and the signature check (no server, no database)."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from linebot.v3 import WebhookParser
from linebot.v3.webhooks import FollowEvent, MessageEvent, PostbackEvent

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
from bot.handlers.line.webhook import (
    BadPayload,
    choice_data,
    date_data,
    parse_body,
    parse_event,
    signature_of,
    verify_signature,
)
from tests.fakes.line_api import CHANNEL_SECRET, FIXTURES, event_from, fixture, sign, webhook_body

USER = "U4af4980629a1b2c3d4e5f60718293a4b"


def test_our_signature_is_the_one_line_bot_sdk_verifies() -> None:
    body = (FIXTURES / "text.json").read_bytes()
    assert signature_of(CHANNEL_SECRET, body) == sign(body)
    events = WebhookParser(CHANNEL_SECRET).parse(body.decode(), signature_of(CHANNEL_SECRET, body))
    assert isinstance(events[0], MessageEvent)


def test_fixtures_are_what_line_bot_sdk_parses(caplog: pytest.LogCaptureFixture) -> None:
    parser = WebhookParser(CHANNEL_SECRET)
    kinds = {}
    with caplog.at_level(logging.INFO):
        for path in sorted(FIXTURES.glob("*.json")):
            body = path.read_text(encoding="utf-8")
            events = parser.parse(body, sign(body.encode()))
            kinds[path.stem] = [type(e).__name__ for e in events]
    assert kinds["text"] == [MessageEvent.__name__]
    assert kinds["postback_date"] == [PostbackEvent.__name__]
    assert kinds["follow"] == [FollowEvent.__name__]
    assert kinds["unknown_event"] == ["UnknownEvent"]
    assert kinds["connectivity_check"] == []


@pytest.mark.parametrize(
    "signature",
    [None, "", "not base64 at all", "ÿ", signature_of("another-secret", b"{}")],
)
def test_wrong_or_missing_signature_is_refused(signature: str | None) -> None:
    assert not verify_signature(CHANNEL_SECRET, b"{}", signature)


def test_one_changed_byte_breaks_the_signature() -> None:
    body = webhook_body(event_from("text", user_id=USER))
    signature = sign(body)
    assert verify_signature(CHANNEL_SECRET, body, signature)
    for i in (0, len(body) // 2, len(body) - 1):
        changed = body[:i] + bytes([body[i] ^ 0x01]) + body[i + 1 :]
        assert not verify_signature(CHANNEL_SECRET, changed, signature)


@pytest.mark.parametrize(
    "body", [b"", b"not json", b"\xff\xfe{}", b"[]", b'{"events": {}}', b'{"destination": "U1"}']
)
def test_a_body_that_is_not_a_webhook_is_bad(body: bytes) -> None:
    with pytest.raises(BadPayload):
        parse_body(body)


def test_connectivity_check_has_no_events() -> None:
    assert parse_body((FIXTURES / "connectivity_check.json").read_bytes()) == []


def test_text_message() -> None:
    raw = event_from("text", user_id=USER, event_id="01JD8Y7K0Q3V5W9X2Z4A6B8C0D", timestamp_ms=1732500000123)
    event = parse_event(raw).event
    assert event is not None
    assert event.key == ConversationKey("line", USER)
    assert event.event_id == "01JD8Y7K0Q3V5W9X2Z4A6B8C0D"
    assert event.body == TextIn("I want to cancel my booking")
    assert event.received_at == dt.datetime(2024, 11, 25, 2, 0, 0, 123000, tzinfo=dt.UTC)
    assert event.reply_token == "b60d432864f44d079f6d8efe86cf404b"
    assert not event.silent


def test_postback_carries_option_and_token() -> None:
    event = parse_event(event_from("postback", postback__data=choice_data("cancellation", "7"))).event
    assert event is not None and event.body == ChoiceIn("cancellation", "7")


def test_rich_menu_postback_data_is_the_option() -> None:
    event = parse_event(event_from("postback", postback__data="menu")).event
    assert event is not None and event.body == ChoiceIn("menu", "")


def test_date_picker_postbacks() -> None:
    date = parse_event(event_from("postback_date", postback__data=date_data("3"))).event
    assert date is not None and date.body == DateIn(dt.date(2025, 12, 24), None, "3")
    at = parse_event(event_from("postback_datetime")).event
    assert at is not None and at.body == DateIn(dt.date(2025, 12, 24), dt.time(10, 30), "3")
    broken = parse_event(event_from("postback_date", postback__params={"date": "24/12/2025"})).event
    assert broken is not None and broken.body == UnsupportedIn("postback")
    time_only = parse_event(event_from("postback_date", postback__params={"time": "10:00"})).event
    assert time_only is not None and time_only.body == UnsupportedIn("postback")


def test_follow_and_unfollow() -> None:
    follow = parse_event(event_from("follow")).event
    assert follow is not None and follow.body == FollowIn() and follow.reply_token
    unfollow = parse_event(event_from("unfollow")).event
    assert unfollow is not None and unfollow.body == UnfollowIn() and unfollow.reply_token is None


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("sticker", "sticker"),
        ("unknown_event", "somethingNew"),
    ],
)
def test_what_the_bot_cannot_read_is_unsupported_and_answered(name: str, kind: str) -> None:
    event = parse_event(event_from(name)).event
    assert event is not None
    assert event.body == UnsupportedIn(kind)
    assert not event.silent and event.reply_token


@pytest.mark.parametrize("name", ["image", "video", "audio", "file"])
def test_images_videos_audio_and_files_are_attachments_fetched_by_message_id(name: str) -> None:
    event = parse_event(event_from(name)).event
    assert event is not None and isinstance(event.body, AttachmentIn)
    assert event.body.kind == name and event.body.source is not None
    assert event.body.source == "line:" + fixture(name)["events"][0]["message"]["id"]
    assert not event.silent and event.reply_token


def test_a_file_carries_its_name_and_size_and_a_location_its_place() -> None:
    event = parse_event(event_from("file")).event
    assert event is not None and event.body == AttachmentIn("file", "line:325708", name="file.txt", size=2138)
    event = parse_event(event_from("location")).event
    assert event is not None and event.body == AttachmentIn(
        "location",
        latitude=35.67966,
        longitude=139.73669,
        place="my location · 1-3 Kioicho, Chiyoda-ku, Tokyo, 102-8282, Japan",
    )


def test_an_external_content_provider_gives_an_https_url_and_nothing_else_is_trusted() -> None:
    external = {"type": "external", "originalContentUrl": "https://cdn.example.com/a.jpg"}
    event = parse_event(event_from("image", message__contentProvider=external)).event
    assert event is not None and event.body == AttachmentIn("image", "url:https://cdn.example.com/a.jpg")
    plain = {"type": "external", "originalContentUrl": "http://cdn.example.com/a.jpg"}
    assert parse_event(event_from("image", message__contentProvider=plain)).event is None
    assert parse_event(event_from("image", message__id="../../etc")).event is None


def test_a_new_message_type_is_unsupported() -> None:
    event = parse_event(event_from("text", message__type="hologram")).event
    assert event is not None and event.body == UnsupportedIn("hologram")


def test_standby_is_stored_silently_without_reply_token() -> None:
    event = parse_event(event_from("standby_text")).event
    assert event is not None and event.silent and event.reply_token is None
    assert event.body == TextIn("hello while another module is active")


def test_unsend_is_recorded_silently() -> None:
    event = parse_event(event_from("unsend")).event
    assert event is not None and event.silent and event.body == UnsupportedIn("unsend")


def test_group_chats_are_skipped() -> None:
    for name in ("group_text", "group_join"):
        parsed = parse_event(event_from(name))
        assert parsed.event is None and parsed.skip == "not a one-to-one chat"


@pytest.mark.parametrize(
    "change",
    [
        {"webhookEventId": None},
        {"webhookEventId": 5},
        {"timestamp": "yesterday"},
        {"timestamp": True},
        {"source": {"type": "user"}},
        {"message": "hi"},
    ],
)
def test_malformed_events_are_skipped_without_personal_data(change: dict[str, object]) -> None:
    raw = {**event_from("text", user_id=USER), **change}
    parsed = parse_event(raw)
    assert parsed.event is None
    assert USER not in parsed.skip and "cancel" not in parsed.skip


def test_redelivery_keeps_the_event_id() -> None:
    raw = event_from("text", event_id="01JD8Y7K0Q3V5W9X2Z4A6B8C0E", redelivery=True)
    event = parse_event(raw).event
    assert event is not None and event.event_id == "01JD8Y7K0Q3V5W9X2Z4A6B8C0E"


def test_body_helpers_round_trip() -> None:
    body = webhook_body(event_from("text"), event_from("sticker"))
    events = parse_body(body)
    assert [e["type"] for e in events] == ["message", "message"]
    assert json.loads(body)["destination"] == fixture("text")["destination"]
