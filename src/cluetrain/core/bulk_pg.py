"""PostgreSQL's form of the hot-path statements: one array parameter per column.

Django runs psycopg with client-side binding: before a statement is sent, psycopg splits its
text at every ``%s`` with a regular expression (cached only for short statements with few
parameters) and renders each value as a literal. For a 500-row INSERT of 30 columns that is
15,000 placeholders, and it cost more than PostgreSQL took to run the statement (most of a
triage batch's time). Here a whole batch is one statement whose parameters are one array per
column, ``INSERT … SELECT … FROM unnest(%s::type[], …)``, and the arrays are written as
PostgreSQL array literals by plain string joins (psycopg's own list adapter renders each
element through Python, which for text and times is slower still).

Every table and column name interpolated into SQL here comes from the models, never from input.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from django.db import connection, models


def _quoted(value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    if "\\" in text or '"' in text:
        text = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


# A batch repeats many moments (its "now", a message's time as its conversation's first and
# last): finding one again costs a fraction of formatting it.
@lru_cache(maxsize=16384)
def _moment(value: Any) -> str:
    # ISO 8601 with its offset: exact to the microsecond, read the same whatever the session's
    # time zone (a naive value, which Django never hands over, would be read in UTC as Django
    # sets the connection's zone).
    return value.isoformat() if isinstance(value, dt.datetime) else _quoted(value)


def _boolean(value: Any) -> str:
    return "t" if value else "f"


def _number(value: Any) -> str:
    return repr(value) if isinstance(value, float) else str(int(value))


def element_writer(db_type: str) -> Callable[[Any], str]:
    """How one non-NULL value of a column of ``db_type`` is written inside an array literal."""
    if db_type in ("bigint", "integer", "smallint", "bigserial", "serial"):
        return _number
    if db_type == "double precision" or db_type == "real":
        return lambda value: repr(float(value))
    if db_type == "boolean":
        return _boolean
    if db_type.startswith("timestamp"):
        return _moment
    return _quoted


def array_literal(values: Sequence[Any], write: Callable[[Any], str]) -> str:
    """``values`` as a PostgreSQL array literal (``{1,NULL,3}``), NULL for None."""
    return "{" + ",".join(["NULL" if v is None else write(v) for v in values]) + "}"


def db_type(field: models.Field[Any, Any]) -> str:
    """The column type to cast an array of this field's values to (``varchar(300)``,
    ``bigint``...); a foreign key takes its target's."""
    found = field.db_type(connection)
    assert found, f"{field} has no column"
    return found


def unnest(
    types: Sequence[str], columns: Sequence[Sequence[Any]], alias: str = "u"
) -> tuple[str, list[str], list[str]]:
    """``unnest(%s::t0[], …) AS alias(c0, …)``, its column names and its parameters.

    The columns are named ``c0``, ``c1``… so that a condition written against the target
    table (``triaged_at IS NULL``) never means one of them."""
    names = [f"c{n}" for n in range(len(types))]
    casts = ", ".join(f"%s::{t}[]" for t in types)
    params = [
        array_literal(values, element_writer(t)) for values, t in zip(columns, types, strict=True)
    ]
    return f"unnest({casts}) AS {alias}({', '.join(names)})", names, params


def insert_rows(
    table: str,
    columns: Sequence[str],
    types: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    constants: Sequence[tuple[str, str]] = (),
    constant_params: Sequence[Any] = (),
    tail: str = "",
) -> list[tuple[Any, ...]]:
    """``INSERT INTO table (columns…, constant columns…) SELECT … FROM unnest(…) tail``: every
    row in one statement, in their order. ``constants`` are (quoted column, SQL expression)
    pairs the same for every row (a model default); ``constant_params`` fill the ``%s`` of
    those expressions. Returns the rows ``tail``'s ``RETURNING`` gives (none without one)."""
    if not rows:
        return []
    source, names, params = unnest(types, list(zip(*rows, strict=True)))
    target = ", ".join([*columns, *(column for column, _ in constants)])
    select = ", ".join([*(f"u.{n}" for n in names), *(expr for _, expr in constants)])
    sql = f"INSERT INTO {table} ({target}) SELECT {select} FROM {source} {tail}"  # noqa: S608
    with connection.cursor() as cursor:
        # The SELECT list comes before FROM: the constants' parameters come first.
        cursor.execute(sql, [*constant_params, *params])
        return [tuple(r) for r in cursor.fetchall()] if "RETURNING" in tail else []


def update_rows(
    table: str,
    columns: Sequence[str],
    types: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    guard: str = "",
) -> None:
    """``UPDATE table SET columns = … FROM unnest(…) WHERE id = …`` for every row (its values,
    then its id) in one statement. ``guard`` is a condition on the table's own columns."""
    if not rows:
        return
    source, names, params = unnest([*types, "bigint"], list(zip(*rows, strict=True)))
    sets = ", ".join(f"{c} = u.{n}" for c, n in zip(columns, names, strict=False))
    where = f"{table}.id = u.{names[-1]}" + (f" AND {guard}" if guard else "")
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {sets} FROM {source} WHERE {where}", params)  # noqa: S608
