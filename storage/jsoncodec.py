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
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        # strictly UTF-8, as before: json.loads would guess UTF-16 or UTF-32 from bytes
        return json.loads(text.decode("utf-8") if isinstance(text, bytes) else text)
