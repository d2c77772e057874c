"""storage.jsoncodec (orjson with the standard library behind it) and the postback data built
without urlencode: the same values as before, for whatever a customer or a column holds."""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.handlers.line.webhook import BadPayload, choice_data, parse_body
from storage import jsoncodec

_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(_json_values)
def test_dumps_then_loads_gives_the_value_back(value: Any) -> None:
    assert jsoncodec.loads(jsoncodec.dumps(value)) == value
    assert jsoncodec.loads(jsoncodec.dumps_bytes(value)) == value


@given(_json_values)
def test_what_the_standard_library_wrote_still_reads(value: Any) -> None:
    assert jsoncodec.loads(json.dumps(value)) == value


def test_what_orjson_refuses_falls_back_to_the_standard_library() -> None:
    huge = {"n": 2**80, 3: "int key"}
    assert jsoncodec.loads(jsoncodec.dumps(huge)) == {"n": 2**80, "3": "int key"}
    assert math.isnan(jsoncodec.loads('{"x": NaN}')["x"])  # as older versions wrote it


def test_a_non_finite_float_is_written_as_null() -> None:
    # json.dumps wrote "Infinity" and "NaN", which are not JSON (PostgreSQL's json type refuses them)
    assert jsoncodec.loads(jsoncodec.dumps({"a": math.inf, "b": math.nan})) == {"a": None, "b": None}


def test_non_ascii_is_written_as_utf8() -> None:
    assert jsoncodec.dumps({"t": "予約を変更"}) == '{"t":"予約を変更"}'


@pytest.mark.parametrize(
    "body",
    [b"\xff\xfe{}", '{"events": []}'.encode("utf-16"), b"\xef\xbb\xbf{}", b"{", b"[1, 2]", b'{"events": {}}'],
)
def test_a_webhook_body_that_is_not_utf8_json_with_events_is_refused(body: bytes) -> None:
    with pytest.raises(BadPayload):
        parse_body(body)


def test_a_webhook_body_with_an_unpaired_surrogate_escape_reads_it_as_the_replacement_character() -> None:
    # json.loads keeps the lone surrogate, which no database can store: the event failed (500) and
    # was redelivered forever.
    body = b'{"events": [{"message": {"text": "ok \\ud800 \\ud83d\\ude00"}}]}'
    assert parse_body(body) == [{"message": {"text": "ok \ufffd \U0001f600"}}]


def test_a_body_nested_past_the_parsers_depth_is_a_bad_payload_not_a_crash() -> None:
    with pytest.raises(BadPayload):
        parse_body(b'{"events": [' + b"[" * 200_000 + b"]" * 200_000 + b"]}")


@given(st.text(), st.text())
def test_choice_data_is_what_urlencode_gives(option: str, token: str) -> None:
    expected = urlencode({"o": option, "t": token} if token else {"o": option})
    assert choice_data(option, token) == expected
