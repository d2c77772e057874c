"""UTCDateTime's one-step SQLite bind equals SQLAlchemy's own two steps, and reads back the same."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from storage.models import UTCDateTime

_DIALECT = sqlite.dialect()
_ZONES = st.sampled_from(
    [dt.UTC, dt.timezone(dt.timedelta(hours=9)), dt.timezone(dt.timedelta(hours=-5, minutes=-30))]
)
_AWARE = st.datetimes(
    min_value=dt.datetime(1900, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=_ZONES
)


def _sqlalchemy_text(value: dt.datetime) -> str:
    """What the column wrote before: the decorator's UTC value through SQLite DATETIME's processor."""
    kind = UTCDateTime()
    utc = kind.process_bind_param(value, _DIALECT)
    processor = kind.impl.dialect_impl(_DIALECT).bind_processor(_DIALECT)
    assert processor is not None
    text: str = processor(utc)
    return text


@given(_AWARE)
def test_the_one_step_sqlite_bind_writes_what_sqlalchemy_wrote(value: dt.datetime) -> None:
    process = UTCDateTime().dialect_impl(_DIALECT).bind_processor(_DIALECT)
    assert process is not None
    assert process(value) == _sqlalchemy_text(value)


def test_whole_seconds_keep_their_microseconds_so_texts_still_sort() -> None:
    process = UTCDateTime().dialect_impl(_DIALECT).bind_processor(_DIALECT)
    assert process is not None
    assert process(dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)) == "2026-12-02 09:00:00.000000"
    assert process(None) is None


def test_a_naive_datetime_is_still_refused() -> None:
    process = UTCDateTime().dialect_impl(_DIALECT).bind_processor(_DIALECT)
    assert process is not None
    with pytest.raises(ValueError, match="naive"):
        process(dt.datetime(2026, 12, 2, 9, 0))
