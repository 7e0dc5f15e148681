"""Statements for the hot paths that store thousands of rows a second.

Django's ``bulk_create`` and ``bulk_update`` build a model instance per row, prepare each value
through its field and (for updates) a CASE per column; at the listening pipeline's rates that is
most of the time spent. These helpers write plain tuples with one statement per chunk instead,
on SQLite and PostgreSQL alike. Every table and column name interpolated into SQL here comes
from the models, never from input.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from django.db import connection, models

from cluetrain.core import bulk_pg

# Rows per multi-row INSERT: below SQLite's 32,766 parameters for tables of up to ~60 columns.
ROWS_PER_STATEMENT = 500


# A batch repeats many moments (its "now", a message's time as its conversation's first and
# last, deadlines of conversations opened in the same minute): formatting one costs a
# microsecond, finding it again a twentieth of that.
@lru_cache(maxsize=16384)
def _sqlite_time(moment: dt.datetime) -> Any:
    """Django's SQLite text for an aware datetime: naive UTC, ``YYYY-MM-DD HH:MM:SS[.ffffff]``.

    Cutting the "+00:00" off the ISO form spares building a naive copy of every value, which
    at thousands of rows a second is a measurable share of the time."""
    if moment.utcoffset():
        moment = moment.astimezone(dt.UTC)
    elif moment.tzinfo is None:
        raise ValueError("naive datetime given to the database")
    return moment.isoformat(" ")[:-6]


def time_adapter() -> Callable[[dt.datetime], Any]:
    """How a datetime is handed to this database's driver (SQLite: UTC text, as Django does;
    psycopg adapts aware datetimes itself)."""
    if connection.vendor == "sqlite":
        return _sqlite_time
    return _same


def _same(value: Any) -> Any:
    return value


def _json(value: Any) -> Any:
    return json.dumps(value)


def adapter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    """How one field's Python value is handed to this database's driver (None: as it is)."""
    if isinstance(field, models.DateTimeField):
        # psycopg adapts aware datetimes itself; SQLite stores Django's UTC text.
        return _sqlite_time if connection.vendor == "sqlite" else None
    if isinstance(field, models.JSONField):
        return _json
    return None


def _adapters(fields: Sequence[models.Field[Any, Any]]) -> list[tuple[int, Callable[[Any], Any]]]:
    """(position, adapter) of the columns whose values need adapting; the rest pass as they
    are, which keeps the per-value cost off the hot path."""
    found = []
    for position, field in enumerate(fields):
        adapt = adapter(field)
        if adapt is not None:
            found.append((position, adapt))
    return found


def _adapted(row: Sequence[Any], adapters: list[tuple[int, Callable[[Any], Any]]]) -> list[Any]:
    values = list(row)
    for position, adapt in adapters:
        value = values[position]
        if value is not None:  # NULL needs no adapting, and most clocks are NULL
            values[position] = adapt(value)
    return values


def column(model: type[models.Model], name: str) -> str:
    """The quoted column of a model field."""
    return connection.ops.quote_name(concrete(model, name).column)


def concrete(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    found = model._meta.get_field(name)
    assert isinstance(found, models.Field)
    return found


@contextmanager
def raw_cursor() -> Iterator[tuple[Any, str]]:
    """A cursor and its placeholder. On SQLite, the driver's own cursor: Django's wrapper
    rewrites every ``%s`` of a statement with a regular expression, which for a 500-row INSERT
    costs more than SQLite takes to run it."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        cursor = connection.connection.cursor()
        try:
            yield cursor, "?"
        finally:
            cursor.close()
    else:
        with connection.cursor() as cursor:
            yield cursor, "%s"


def chunks(rows: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    """``rows`` in slices of at most ``size``."""
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def select(sql: str, values: Sequence[Any], *, before: Sequence[Any] = ()) -> list[tuple]:
    """Run ``sql`` whose ``{values}`` is replaced by one placeholder per value (an ``IN``
    list), with ``before`` as the parameters that come first. Django's ``__in`` lookups
    prepare each of thousands of values through their field; these are plain ids and names."""
    if "{values}" in sql and not values:
        return []
    with raw_cursor() as (cursor, mark):
        query = sql.replace("%s", mark).format(values=", ".join([mark] * len(values)))
        cursor.execute(query, [*before, *values])
        return [tuple(r) for r in cursor.fetchall()]


def parse_time(value: Any) -> dt.datetime:
    """A datetime column's value as read through ``select``: SQLite gives Django's UTC text
    (or a naive datetime, by Django's converter), PostgreSQL an aware datetime."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def update_rows(
    model: type[models.Model],
    names: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    guard: str = "",
) -> None:
    """``UPDATE … SET names = … WHERE id = …`` for each row (its values, then its id), in one
    executemany. ``guard`` adds a condition of our own (e.g. ``"triaged_at IS NULL"``)."""
    fields = [concrete(model, name) for name in names]
    adapters = _adapters(fields)
    table = connection.ops.quote_name(model._meta.db_table)
    # The row's last value is its id, which needs no adapting.
    params = [_adapted(row, adapters) for row in rows]
    if not params:
        return
    if connection.vendor == "postgresql" and len({row[-1] for row in params}) == len(params):
        # One statement of arrays (see bulk_pg); a batch naming one id twice keeps
        # executemany's order, the last values winning.
        bulk_pg.update_rows(
            table,
            [connection.ops.quote_name(f.column) for f in fields],
            [bulk_pg.db_type(f) for f in fields],
            params,
            guard=guard,
        )
        return
    with raw_cursor() as (cursor, mark):
        sets = ", ".join(f"{connection.ops.quote_name(f.column)} = {mark}" for f in fields)
        where = f"id = {mark}" + (f" AND {guard}" if guard else "")
        sql = f"UPDATE {table} SET {sets} WHERE {where}"  # noqa: S608 - names are the models'
        cursor.executemany(sql, params)


def insert_rows(
    model: type[models.Model],
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    unique: Sequence[str] = (),
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """Insert rows (values in ``names`` order) with multi-row INSERTs. With ``unique``, rows
    that would break that unique constraint are skipped (``ON CONFLICT DO NOTHING``). Returns
    the ``returning`` columns of the rows actually inserted."""
    fields = [concrete(model, name) for name in names]
    adapters = _adapters(fields)
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    tail = ""
    if unique:
        tail += f" ON CONFLICT ({', '.join(column(model, n) for n in unique)}) DO NOTHING"
    if returning:
        tail += " RETURNING " + ", ".join(column(model, n) for n in returning)
    if connection.vendor == "postgresql":
        # One statement of arrays, however many rows (see bulk_pg).
        return bulk_pg.insert_rows(
            table,
            [connection.ops.quote_name(f.column) for f in fields],
            [bulk_pg.db_type(f) for f in fields],
            [_adapted(row, adapters) for row in rows],
            tail=tail,
        )
    out: list[tuple[Any, ...]] = []
    with raw_cursor() as (cursor, mark):
        one = "(" + ", ".join([mark] * len(fields)) + ")"
        for chunk in chunks(rows, ROWS_PER_STATEMENT):
            params: list[Any] = []
            for row in chunk:
                params.extend(_adapted(row, adapters))
            values = ", ".join([one] * len(chunk))
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {values}{tail}", params)  # noqa: S608
            if returning:
                out.extend(tuple(r) for r in cursor.fetchall())
    return out
