"""JSON for the database's JSON columns and the hot path's bodies: orjson, with the standard
library as the fallback for what orjson refuses (integers past 64 bits, NaN written by older
versions), so every value that was stored before still reads and every value that could be
written still can.

orjson writes compact UTF-8 (no spaces, no \\u escapes): the same JSON value, a few times faster
to build, which matters on the hot path (each turn writes the dialog's stack and sends a body).
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS  # json.dumps turns int keys into strings; so does this


def dumps(value: Any) -> str:
    return dumps_bytes(value).decode()


def dumps_bytes(value: Any) -> bytes:
    try:
        return orjson.dumps(value, option=_OPTIONS)
    except TypeError:
        return json.dumps(value).encode()


def loads(text: str | bytes) -> Any:
    """A JSON value; ValueError (as json.loads raises) for anything that is not one we can keep."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    try:
        # strictly UTF-8, as before: json.loads would guess UTF-16 or UTF-32 from bytes
        value = json.loads(text.decode("utf-8") if isinstance(text, bytes) else text)
    except RecursionError:
        # Brackets nested past what either parser follows: not a body anyone sends, but one that must
        # be refused like any other malformed one (a 400), not fail the request (a 500, redelivered).
        raise ValueError("JSON nested too deep") from None
    return _scrubbed(value)


def _scrubbed(value: Any) -> Any:
    """An escaped unpaired surrogate ("\\ud800") is valid JSON but no database, log or platform can
    encode it: it reads as U+FFFD, so the rest of the message is kept and answered."""
    if isinstance(value, str):
        return without_lone_surrogates(value)
    if isinstance(value, list):
        return [_scrubbed(v) for v in value]
    if isinstance(value, dict):
        return {_scrubbed(k): _scrubbed(v) for k, v in value.items()}
    return value


def without_lone_surrogates(text: str) -> str:
    """`text` with every unpaired surrogate as U+FFFD (paired ones cannot occur in a str)."""
    if text.isascii() or not any("\ud800" <= c <= "\udfff" for c in text):
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
