"""An SDK message model as the JSON LINE receives, without pydantic's `.dict()` machinery.

line-bot-sdk's `to_dict()` is `model.dict(by_alias=True, exclude_none=True)` plus per-class calls of
the nested models' own `to_dict()`; on the delivery path that cost more CPU than the HTTP request.
`as_wire` gives the same dict (tests/test_line_render.py checks it against `to_dict()` for every
kind of message we send) by reading each model's fields directly: aliases, no None fields, nested
models by their own class (so a subclass's fields and `type` are kept).
"""

from __future__ import annotations

from typing import Any

from pydantic.v1 import BaseModel

_ALIASES: dict[type, tuple[tuple[str, str], ...]] = {}


def as_wire(value: Any) -> Any:
    cls = type(value)
    if cls is str:
        return value
    fields = _ALIASES.get(cls)
    if fields is not None:
        data = value.__dict__
        out: dict[str, Any] = {}
        for name, alias in fields:
            item = data.get(name)
            if item is not None:
                out[alias] = as_wire(item)
        return out
    if isinstance(value, list | tuple):
        return [as_wire(v) for v in value]
    if isinstance(value, dict):
        return {k: as_wire(v) for k, v in value.items()}
    # Last: pydantic's isinstance check on BaseModel runs in Python (a model class is then known).
    if isinstance(value, BaseModel):
        _ALIASES[cls] = tuple((name, f.alias) for name, f in value.__fields__.items())
        return as_wire(value)
    return value  # a number, bool or enum, as pydantic's .dict() leaves it
