"""Mapped rows of the hot path, loaded and saved without the ORM's loading and flush machinery.

Every event loads its customer's identity and conversation and changes a few of the conversation's
columns. Through the ORM that is a `Session.execute` (cache key, execution context, result object,
row processors, instance loading) and, at commit, a unit-of-work flush that diffs the object and
builds its UPDATE: together about a fifth of the CPU of an event (docs/benchmarks.md). Here the SELECT
runs on the unit's DBAPI cursor (`common.cursor_rows`), its values pass through the columns' own
result processors, and the objects are placed in the session as persistent, as a load would place
them; the turn's columns are then written by one UPDATE built once, and marked saved. Everything
else about the objects stays the ORM's: an attribute the fast save does not cover is flushed as usual.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Table, bindparam, inspect, update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapper, Session, configure_mappers, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_dict, set_committed_value

from storage.repositories.common import cursor_many

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Shape:
    """How a mapped class's columns come out of a row on one dialect: attribute key and processor."""

    mapper: Mapper[Any]
    keys: tuple[str, ...]
    primary_key: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]


_SHAPES: dict[tuple[str, type[Any]], Shape] = {}


def shape(dialect: Dialect, cls: type[Any]) -> Shape:
    found = _SHAPES.get((dialect.name, cls))
    if found is None:
        # A class's attributes exist only once the mappers are configured, which the ORM does at its
        # first query or flush; in a new process a returning customer's rows can be placed before
        # any (the terminal chat's first event crashed on it).
        configure_mappers()
        mapper: Mapper[Any] = inspect(cls)
        table: Table = mapper.local_table  # type: ignore[assignment]
        found = _SHAPES[(dialect.name, cls)] = Shape(
            mapper,
            tuple(mapper.get_property_by_column(c).key for c in table.columns),
            tuple(mapper.get_property_by_column(c).key for c in mapper.primary_key),
            tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in table.columns),
        )
    return found


def place(session: Session, found: Shape, values: Sequence[Any], *, processed: bool = False) -> Any:
    """A persistent instance holding these committed column values (in `found.keys` order), as a load
    with populate_existing would leave it: an instance already in the session gets the new values.

    `processed`: the values come from SQLAlchemy's result (its result processors ran), not the cursor."""
    if processed:
        data = dict(zip(found.keys, values, strict=True))
    else:
        data = {
            key: (process(value) if process is not None and value is not None else value)
            for key, process, value in zip(found.keys, found.processors, values, strict=True)
        }
    identity = found.mapper.identity_key_from_primary_key(tuple(data[k] for k in found.primary_key))
    existing = session.identity_map.get(identity)
    if existing is not None:
        for key, value in data.items():
            set_committed_value(existing, key, value)
        return existing
    instance = found.mapper.class_manager.new_instance()
    instance_dict(instance).update(data)
    make_transient_to_detached(instance)
    session.add(instance)
    return instance


@dataclass(frozen=True, slots=True)
class Saver:
    """One UPDATE, built once, of the columns a hot path changes (plus an `onupdate` timestamp)."""

    columns: frozenset[str]
    statement: Any
    stamp: str | None

    @classmethod
    def of(cls, model: type[Any], columns: Sequence[str], *, stamp: str | None = None) -> Saver:
        table: Table = inspect(model).local_table
        written = [*columns, stamp] if stamp else list(columns)
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id", type_=table.c.id.type))
            .values({c: bindparam(f"b_{c}", type_=table.c[c].type) for c in written})
        )
        return cls(frozenset(columns), statement, stamp)

    def save(self, session: Session, instance: Any) -> bool:
        """Writes the instance's changes when this UPDATE covers all of them; False (nothing done)
        when it changed something else too, which the ORM's flush then writes as usual."""
        params = self.params(instance)
        if params is None:
            return False
        cursor_many(session, self.statement, [params])
        self.saved(session, instance, params)
        return True

    def params(self, instance: Any) -> dict[str, Any] | None:
        """This UPDATE's parameters for the instance's changes; None when it does not cover them all."""
        state = inspect(instance)
        changed = state.committed_state.keys()
        if not changed or not changed <= self.columns or state.key is None:
            return None
        params = {f"b_{c}": getattr(instance, c) for c in self.columns}
        params["b_id"] = instance.id
        if self.stamp:
            params[f"b_{self.stamp}"] = dt.datetime.now(dt.UTC)
        return params

    def saved(self, session: Session, instance: Any, params: dict[str, Any]) -> None:
        """The instance as written by this UPDATE with `params` (which the caller ran)."""
        for c in self.columns:
            set_committed_value(instance, c, params[f"b_{c}"])
        if self.stamp:
            set_committed_value(instance, self.stamp, params[f"b_{self.stamp}"])
        # Saved: nothing is left for the flush to diff (the object stays readable, detached).
        session.expunge(instance)
