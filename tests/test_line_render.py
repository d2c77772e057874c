"""Rendered replies -> LINE message objects within LINE's limits, packed into requests of five."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from urllib.parse import parse_qs

from hypothesis import given
from hypothesis import strategies as st

from bot.handlers.line.render import MAX_TEXT, Batch, batches, render, render_wire, split_text
from bot.i18n import JST
from bot.replies import Rendered, RenderedOption


def as_json(r: Rendered) -> list[dict[str, Any]]:
    return [m.to_dict() for m in render(r)]


def options(n: int, label: str = "Option") -> tuple[RenderedOption, ...]:
    return tuple(RenderedOption(f"opt{i}", f"{label} {i}") for i in range(1, n + 1))


def test_text_is_a_text_message() -> None:
    assert as_json(Rendered("text", "こんにちは")) == [{"type": "text", "text": "こんにちは"}]


def test_handoff_notice_is_text() -> None:
    assert as_json(Rendered("handoff", "A person will answer.")) == [
        {"type": "text", "text": "A person will answer."}
    ]


def test_choices_become_quick_reply_postbacks_with_option_and_token() -> None:
    [message] = as_json(Rendered("choices", "What would you like to do?", options(3), token="12"))
    assert message["text"] == "What would you like to do?"
    items = message["quickReply"]["items"]
    assert [i["action"]["type"] for i in items] == ["postback"] * 3
    assert [i["action"]["label"] for i in items] == ["Option 1", "Option 2", "Option 3"]
    assert [i["action"]["displayText"] for i in items] == ["Option 1", "Option 2", "Option 3"]
    assert parse_qs(items[0]["action"]["data"]) == {"o": ["opt1"], "t": ["12"]}


def test_thirteen_choices_fit_fourteen_become_numbered_text() -> None:
    [thirteen] = as_json(Rendered("choices", "Pick one", options(13), token="1"))
    assert len(thirteen["quickReply"]["items"]) == 13
    fourteen = Rendered("choices", "Pick one", options(14), token="1")
    [message] = as_json(fourteen)
    assert "quickReply" not in message
    assert message["text"] == fourteen.as_numbered_text()
    assert message["text"].splitlines()[-1] == "14. Option 14"


def test_long_labels_are_listed_in_full_and_buttons_numbered() -> None:
    r = Rendered(
        "choices",
        "Which booking?",
        (RenderedOption("b1", "Consultation at Ginza Clinic, 3 June"), RenderedOption("b2", "Surgery")),
        token="4",
    )
    [message] = as_json(r)
    assert "1. Consultation at Ginza Clinic, 3 June" in message["text"]
    labels = [i["action"]["label"] for i in message["quickReply"]["items"]]
    assert all(len(label) <= 20 for label in labels)
    assert labels[0].startswith("1. ") and labels[0].endswith("…")
    assert (
        message["quickReply"]["items"][0]["action"]["displayText"] == "Consultation at Ginza Clinic, 3 June"
    )


def test_date_picker_is_a_datetime_picker_action_in_date_mode_with_its_options() -> None:
    r = Rendered(
        "date_picker", "Which day?", (RenderedOption("any", "Any day"),), token="5",
        min_date="2025-06-01", max_date="2025-08-31",
    )  # fmt: skip
    [message] = as_json(r)
    picker, other = message["quickReply"]["items"]
    assert picker["action"]["type"] == "datetimepicker"
    assert picker["action"]["mode"] == "date"
    assert picker["action"]["min"] == "2025-06-01" and picker["action"]["max"] == "2025-08-31"
    assert "2025-06-01" <= picker["action"]["initial"] <= "2025-08-31"
    assert parse_qs(picker["action"]["data"]) == {"d": ["1"], "t": ["5"]}
    assert 1 <= len(picker["action"]["label"]) <= 20
    assert parse_qs(other["action"]["data"]) == {"o": ["any"], "t": ["5"]}


def test_the_date_picker_opens_today_in_japan_when_allowed() -> None:
    today = dt.datetime.now(JST).date()
    birth = Rendered("date_picker", "Date of birth?", min_date="1900-01-01", max_date=today.isoformat())
    [message] = as_json(birth)
    assert message["quickReply"]["items"][0]["action"]["initial"] == today.isoformat()
    open_ended = Rendered("date_picker", "Which day?")
    [message] = as_json(open_ended)
    assert message["quickReply"]["items"][0]["action"]["initial"] == today.isoformat()
    assert "min" not in message["quickReply"]["items"][0]["action"]


def test_long_text_is_split_within_line_limits_and_buttons_stay_on_the_last_piece() -> None:
    paragraph = "Cancellation fees depend on how many days before the appointment you cancel.\n"
    text = paragraph * 200
    messages = as_json(Rendered("choices", text, options(2), token="1"))
    assert len(messages) > 1
    assert all(len(m["text"].encode("utf-16-le")) // 2 <= MAX_TEXT for m in messages)
    assert "\n".join(m["text"].rstrip("\n") for m in messages) == text.rstrip("\n")
    assert all("quickReply" not in m for m in messages[:-1])
    assert len(messages[-1]["quickReply"]["items"]) == 2


def test_split_counts_like_line_and_never_breaks_emoji() -> None:
    text = "😀" * 3000  # 6000 UTF-16 units
    pieces = split_text(text)
    assert "".join(pieces) == text
    assert all(len(p.encode("utf-16-le")) // 2 <= MAX_TEXT for p in pieces)
    assert split_text("short") == ["short"]


def test_at_most_five_messages_per_request_whole_parts_together() -> None:
    parts = [Rendered("text", f"part {i}") for i in range(12)]
    plan = batches(parts)
    assert [len(b.messages) for b in plan] == [5, 5, 2]
    assert [(b.first_part, b.parts_after) for b in plan] == [(0, 5), (5, 10), (10, 12)]


def test_resuming_packs_the_same_requests() -> None:
    parts = [Rendered("text", "x" * (MAX_TEXT + 10)), *(Rendered("text", f"p{i}") for i in range(6))]
    full = batches(parts)
    resumed = batches(parts, start=full[1].first_part)
    assert resumed == full[1:]


def test_a_part_longer_than_five_messages_spans_requests_and_counts_once_done() -> None:
    parts = [Rendered("text", "a"), Rendered("text", "y " * (MAX_TEXT * 3)), Rendered("text", "b")]
    plan = batches(parts)
    assert [b.parts_after for b in plan] == [1, 1, 2, 3]
    assert [(b.first_part, b.sub) for b in plan] == [(0, 0), (1, 0), (1, 1), (2, 0)]
    assert all(1 <= len(b.messages) <= 5 for b in plan)


def test_retry_keys_are_uuids_stable_and_distinct_per_request() -> None:
    row_key = str(uuid.uuid4())
    plan = batches([Rendered("text", f"p{i}") for i in range(11)])
    keys = [b.retry_key(row_key) for b in plan]
    assert keys[0] == row_key
    assert len(set(keys)) == 3
    assert keys == [b.retry_key(row_key) for b in batches([Rendered("text", f"p{i}") for i in range(11)])]
    assert all(str(uuid.UUID(k)) == k for k in keys)
    assert str(uuid.UUID(Batch(0, 0, 1, ()).retry_key("not-a-uuid")))


WIRE_CASES: list[dict[str, Any]] = [
    {"type": "text", "text": "hi", "sender": {"name": "Clinic", "iconUrl": "https://example.org/i.png"}},
    {
        "type": "image",
        "originalContentUrl": "https://example.org/a.jpg",
        "previewImageUrl": "https://example.org/p.jpg",
    },
    {"type": "sticker", "packageId": "446", "stickerId": "1988"},
    {
        "type": "template",
        "altText": "Choose",
        "template": {
            "type": "buttons",
            "text": "Choose",
            "actions": [
                {"type": "uri", "label": "Open", "uri": "https://example.org"},
                {"type": "message", "label": "Say", "text": "yes"},
            ],
        },
    },
    {
        "type": "flex",
        "altText": "Booking",
        "contents": {
            "type": "bubble",
            "body": {
                "type": "box",
                "layout": "vertical",
                "contents": [
                    {"type": "text", "text": "Booking BK-1", "weight": "bold", "size": "lg", "wrap": True},
                    {"type": "separator"},
                    {
                        "type": "button",
                        "style": "primary",
                        "action": {"type": "postback", "label": "Change", "data": "o=change&t=3"},
                    },
                ],
            },
        },
        "quickReply": {
            "items": [{"type": "action", "action": {"type": "postback", "label": "Menu", "data": "o=m"}}]
        },
    },
]


def test_the_wire_form_is_the_sdks_own_json_for_every_message_we_send() -> None:
    from linebot.v3.messaging import Message

    from bot.handlers.line.wire import as_wire

    rendered = [
        Rendered("text", "こんにちは"),
        Rendered("choices", "What would you like to do?", options(3), token="12"),
        Rendered("choices", "Pick", options(14), token="3"),
        Rendered("choices", "Pick", options(2, "A label far longer than twenty characters"), token="4"),
        Rendered("date_picker", "When?", options(2), "5", "2026-12-01", "2027-01-31"),
        Rendered("text", "x" * (MAX_TEXT + 10)),
    ]
    messages = [m for r in rendered for m in render(r)]
    messages += [Message.from_dict(case) for case in WIRE_CASES]
    for message in messages:
        assert as_wire(message) == message.to_dict()
    assert [as_wire(m) for m in messages[-len(WIRE_CASES) :]] == WIRE_CASES


def test_messages_built_without_validation_equal_the_validated_ones() -> None:
    # render() skips pydantic's validation (its cost on the delivery path): each message must be
    # exactly what the validating constructors make from the same JSON.
    from linebot.v3.messaging import Message

    rendered = [
        Rendered("text", "こんにちは"),
        Rendered("choices", "What would you like to do?", options(8), token="12"),
        Rendered("choices", "Pick", options(2, "A label far longer than twenty characters"), token="4"),
        Rendered("date_picker", "When?", options(2), "5", "2026-12-01", "2027-01-31"),
        Rendered("text", "x" * (MAX_TEXT + 10)),
    ]
    for message in [m for r in rendered for m in render(r)]:
        validated = Message.from_dict(message.to_dict())
        assert type(validated) is type(message)
        assert validated == message
        assert validated.to_dict() == message.to_dict()


_labels = st.text(min_size=0, max_size=40)
_rendered = st.builds(
    Rendered,
    kind=st.sampled_from(["text", "choices", "handoff", "card", "date_picker"]),
    text=st.text(max_size=60) | st.just("x" * (MAX_TEXT + 7)),
    options=st.lists(st.builds(RenderedOption, st.text(min_size=1, max_size=12), _labels), max_size=15).map(
        tuple
    ),
    token=st.text(max_size=8),
    min_date=st.just("2026-01-05") | st.none(),
    max_date=st.just("2026-12-30") | st.none(),
)


@given(_rendered)
def test_the_wire_render_is_the_sdk_models_own_json(r: Rendered) -> None:
    # The dicts the sender posts are what the SDK's models would have said (to_dict), for every kind.
    assert render_wire(r) == [m.to_dict() for m in render(r)]


def test_batches_carry_the_wire_json() -> None:
    parts = [Rendered("choices", "Pick", options(2), token="7"), Rendered("text", "hello")]
    [batch] = batches(parts)
    assert list(batch.messages) == [m.to_dict() for p in parts for m in render(p)]
