"""Intake: heard messages in, each stored exactly once, with the source's cursor beside them.

Streams deliver at least once (a reconnect replays, a poll overlaps the last one, an archive is
imported twice), so intake de-duplicates on the network's id: the unique constraint
(organization, network, external_id) makes storage exactly-once, and the stream's cursor is
saved in the same transaction as the messages it covers, so a cursor never runs ahead of the
messages stored: a listener killed between two batches replays the second one, and nothing is
lost or doubled.

This is the hot path of listening (the benchmark takes in 10,000 messages a second), so a
batch costs a fixed handful of queries whatever its size: one to find which messages are
already stored, one upsert of their authors (``INSERT … ON CONFLICT DO UPDATE … RETURNING``),
one insert of the messages (``INSERT … ON CONFLICT DO NOTHING``), one update of the source.
On PostgreSQL each of them takes one array per column whatever the batch's size
(``core.bulk_pg``: psycopg rewriting a 500-row statement's placeholders cost more than the
database took to run it).

Rules for what a source hands over (``Heard``), all enforced here again:

- text: HTML (``Heard.html``) becomes plain text; NFC; control, bidi-override and other
  invisible format characters removed; at most ``MAX_TEXT`` characters, ``truncated`` set when
  cut; empty text is kept as "" (an image-only post is still a message);
- times: a naive ``created_at`` is read as UTC (networks and archives give UTC); one more than
  ``FUTURE_SKEW`` ahead of our clock (a sender's clock is wrong) is taken as the moment we
  received it;
- ids longer than the column are replaced by a digest of themselves (cutting them could make
  two ids one); a message without an id is dropped and counted in ``dropped``;
- links other than http(s) are dropped, so no ``javascript:`` address is ever stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connection, transaction
from django.db.models import Field
from django.utils import timezone

from cluetrain.core import bulk, bulk_pg, writers
from cluetrain.listening.heard import Heard
from cluetrain.listening.models import MAX_TEXT, Author, Direction, Message, Source
from cluetrain.listening.text import clean_line, clean_text, html_to_text
from cluetrain.organizations.models import Organization

log = logging.getLogger(__name__)

# A sender's clock this far ahead of ours is believed; further is clock skew.
FUTURE_SKEW = dt.timedelta(minutes=5)
ID_LENGTH = 300
URL_LENGTH = 500
# Rows per INSERT statement: well inside SQLite's 32,766 and PostgreSQL's 65,535 parameters.
ROWS_PER_STATEMENT = 500
IDS_PER_QUERY = 2000

# How many heard messages intake refused since the process started (no id), for the logs.
dropped = 0


@dataclass(frozen=True, slots=True)
class Row:
    network: str
    external_id: str
    author_id: str
    handle: str
    name: str
    author_url: str
    text: str
    truncated: bool
    created_at: dt.datetime
    url: str
    reply_to: str
    root: str
    direction: str


def bounded_id(value: str) -> str:
    """A network id that fits its column: as it is, or a digest of it when it is too long."""
    if type(value) is str and len(value) <= ID_LENGTH and value.isascii() and value.isprintable():
        return value  # the common case: clean_line would give it back as it is
    value = clean_line(str(value), ID_LENGTH * 4)
    if len(value) <= ID_LENGTH:
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()


def safe_url(value: str) -> str:
    """``value`` if it is an http(s) address that fits the column; "" otherwise."""
    if not value:
        return ""  # most messages and authors come without one
    value = clean_line(value, URL_LENGTH + 1)
    lowered = value[:8].lower()
    if len(value) > URL_LENGTH or not (lowered.startswith(("https://", "http://"))):
        return ""
    return value


def aware(moment: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    """``moment`` as an aware datetime no later than ``now + FUTURE_SKEW`` (else ``now``)."""
    if moment is None:
        return now
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=dt.UTC)
    if moment > now + FUTURE_SKEW:
        return now
    return moment


def _clean(heard: Heard, now: dt.datetime) -> Row | None:
    global dropped
    external_id = bounded_id(heard.external_id)
    network = clean_line(heard.network, 20).lower()
    if not external_id or not network:
        dropped += 1
        return None
    raw = heard.text if isinstance(heard.text, str) else str(heard.text or "")
    text, truncated = clean_text(html_to_text(raw) if heard.html else raw, MAX_TEXT)
    handle = clean_line(heard.author_handle, 300)
    author_id = bounded_id(heard.author_id) or handle or "unknown"
    return Row(
        network=network,
        external_id=external_id,
        author_id=author_id,
        handle=handle,
        name=clean_line(heard.author_name, 200),
        author_url=safe_url(heard.author_url),
        text=text,
        truncated=truncated,
        created_at=aware(heard.created_at, now),
        url=safe_url(heard.url),
        reply_to=bounded_id(heard.reply_to),
        root=bounded_id(heard.root),
        direction=Direction.OUTBOUND
        if heard.direction == Direction.OUTBOUND
        else Direction.INBOUND,
    )


def clean_batch(heard: Iterable[Heard], now: dt.datetime) -> list[Row]:
    """Every usable message of ``heard`` cleaned, each network id once (the first wins)."""
    rows: dict[tuple[str, str], Row] = {}
    for item in heard:
        row = _clean(item, now)
        if row is not None:
            rows.setdefault((row.network, row.external_id), row)
    return list(rows.values())


def unseen(organization_id: int, rows: list[Row]) -> list[Row]:
    """The rows whose message is not stored yet (one query per network and 2,000 ids).

    Written in SQL: the ORM's ``__in`` spends longer building 2,000 parameters than the
    database takes to answer.
    """
    by_network: dict[str, list[str]] = {}
    for row in rows:
        by_network.setdefault(row.network, []).append(row.external_id)
    table = connection.ops.quote_name(Message._meta.db_table)
    org, net, ext = (
        bulk.column(Message, name) for name in ("organization", "network", "external_id")
    )
    stored: set[tuple[str, str]] = set()
    if connection.vendor == "postgresql":
        # One array instead of 2,000 placeholders (see ``bulk_pg``).
        sql = f"SELECT {ext} FROM {table} WHERE {org} = %s AND {net} = %s"  # noqa: S608
        sql += f" AND {ext} = ANY(%s::text[])"
        with connection.cursor() as cursor:
            for network, ids in by_network.items():
                text = bulk_pg.array_literal(ids, bulk_pg.element_writer("text"))
                cursor.execute(sql, [organization_id, network, text])
                stored.update((network, found) for (found,) in cursor.fetchall())
        return [row for row in rows if (row.network, row.external_id) not in stored]
    with bulk.raw_cursor() as (cursor, mark):
        for network, ids in by_network.items():
            for chunk in bulk.chunks(ids, IDS_PER_QUERY):
                marks = ", ".join([mark] * len(chunk))
                sql = f"SELECT {ext} FROM {table} WHERE {org} = {mark} AND {net} = {mark}"  # noqa: S608
                cursor.execute(f"{sql} AND {ext} IN ({marks})", [organization_id, network, *chunk])
                stored.update((network, found) for (found,) in cursor.fetchall())
    return [row for row in rows if (row.network, row.external_id) not in stored]


def _lock(organization_id: int) -> None:
    """Serialise intake per organisation on PostgreSQL, as SQLite's write lock already does.

    Two listeners (or a listener and an import) taking in the same message at once would
    otherwise both find it new and both count it on its author.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [0x6C697374, organization_id])


def _upsert_authors(organization_id: int, rows: list[Row], now: dt.datetime) -> dict[Any, int]:
    """Create or refresh the authors of ``rows`` (new messages only); their ids by key."""
    authors: dict[tuple[str, str], list[Any]] = {}
    for row in rows:
        key = (row.network, row.author_id)
        entry = authors.get(key)
        if entry is None:
            authors[key] = [row.handle, row.name, row.author_url, row.created_at, row.created_at, 1]
            continue
        entry[0] = row.handle or entry[0]
        entry[1] = row.name or entry[1]
        entry[2] = row.author_url or entry[2]
        entry[3] = min(entry[3], row.created_at)
        entry[4] = max(entry[4], row.created_at)
        entry[5] += 1
    q = connection.ops.quote_name
    table = q(Author._meta.db_table)
    names = [
        "organization",
        "network",
        "external_id",
        "handle",
        "display_name",
        "profile_url",
        "first_seen_at",
        "last_seen_at",
        "message_count",
    ]
    columns = [bulk.column(Author, name) for name in names]
    org, net, ext, handle, display, profile, first, last, count = columns
    # A later message brings the newer name; an empty one never erases what we know.
    keep = "CASE WHEN excluded.{c} <> '' THEN excluded.{c} ELSE {t}.{c} END"
    update = ", ".join(
        [
            *(f"{c} = {keep.format(c=c, t=table)}" for c in (handle, display, profile)),
            f"{first} = CASE WHEN excluded.{first} < {table}.{first} "
            f"THEN excluded.{first} ELSE {table}.{first} END",
            f"{last} = CASE WHEN excluded.{last} > {table}.{last} "
            f"THEN excluded.{last} ELSE {table}.{last} END",
            f"{count} = {table}.{count} + excluded.{count}",
        ]
    )
    ids: dict[Any, int] = {}
    items = list(authors.items())
    if connection.vendor == "postgresql":
        # Every author in one statement of arrays (see ``bulk_pg``).
        returned = bulk_pg.insert_rows(
            table,
            columns,
            [bulk_pg.db_type(bulk.concrete(Author, name)) for name in names],
            [(organization_id, *key, *values) for key, values in items],
            tail=f"ON CONFLICT ({org}, {net}, {ext}) DO UPDATE SET {update} "
            f"RETURNING {q('id')}, {net}, {ext}",
        )
        return {(network, external_id): pk for pk, network, external_id in returned}
    db_time = bulk.time_adapter()
    with bulk.raw_cursor() as (cursor, mark):
        placeholders = "(" + ", ".join([mark] * len(columns)) + ")"
        for chunk in bulk.chunks(items, ROWS_PER_STATEMENT):
            params: list[Any] = []
            for (network, external_id), (h, n, u, seen_first, seen_last, c) in chunk:
                params += [organization_id, network, external_id, h, n, u]
                params += [db_time(seen_first), db_time(seen_last), c]
            values = ", ".join([placeholders] * len(chunk))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values} "  # noqa: S608
            sql += f"ON CONFLICT ({org}, {net}, {ext}) DO UPDATE SET {update} "
            cursor.execute(sql + f"RETURNING {q('id')}, {net}, {ext}", params)
            for pk, network, external_id in cursor.fetchall():
                ids[(network, external_id)] = pk
    return ids


# Columns intake fills for every message; every other column takes its model default.
_FILLED = (
    "organization",
    "source",
    "network",
    "external_id",
    "url",
    "author",
    "text",
    "truncated",
    "created_at",
    "received_at",
    "reply_to_external_id",
    "root_external_id",
    "direction",
)


def _literal(field: Field[Any, Any]) -> str | None:
    """A column's default as an SQL literal, or None when it must be a parameter."""
    value = field.get_default()
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return None


# The triage columns a caller that triages as it takes in fills for each new message, in
# this order (``cluetrain.triage.pipeline.take_in``); otherwise they take their defaults.
DECIDED = (
    "triaged_at",
    "intent",
    "complaint",
    "incident",
    "sentiment",
    "sentiment_label",
    "language",
    "urgency",
    "topic",
    "department",
    "confidence",
    "reason",
    "triage_model",
    "conversation",
)

# Given the new rows (oldest first is not promised) and their authors' ids, inside the
# transaction that stores them: one tuple of DECIDED values per row, in the rows' order.
Decide = Callable[[int, list[Row], dict[Any, int]], list[Sequence[Any]]]


@cache
def _message_plan(vendor: str, decided: bool) -> tuple[str, str, tuple[Any, ...]]:
    """The column list and one row's VALUES template of the message insert, per database
    (and with or without the triage columns).

    Derived from the model, so a column another app adds to ``Message`` later is filled with
    its default without a change here.
    """
    q = connection.ops.quote_name
    extra: list[Any] = []
    names = (*_FILLED, *DECIDED) if decided else _FILLED
    columns = [bulk.column(Message, name) for name in names]
    # SQLite's own driver takes "?" (``bulk.raw_cursor``): Django's cursor would rewrite each
    # "%s" of a 500-row statement with a regular expression first.
    values = ["?" if vendor == "sqlite" else "%s"] * len(columns)
    for field in Message._meta.concrete_fields:
        if field.primary_key or q(field.column) in columns:
            continue
        columns.append(q(field.column))
        literal = _literal(field)
        if literal is None:
            values.append(values[0])
            extra.append(field.get_db_prep_save(field.get_default(), connection))
        else:
            values.append(literal)
    return ", ".join(columns), "(" + ", ".join(values) + ")", tuple(extra)


def _insert_messages(
    organization_id: int,
    source_id: int | None,
    rows: list[Row],
    author_ids: dict[Any, int],
    now: dt.datetime,
    decided: list[Sequence[Any]] | None = None,
) -> None:
    table = connection.ops.quote_name(Message._meta.db_table)
    unique = ", ".join(
        bulk.column(Message, name) for name in ("organization", "network", "external_id")
    )
    if connection.vendor == "postgresql":
        _insert_messages_pg(
            table, unique, organization_id, source_id, rows, author_ids, now, decided
        )
        return
    columns, row_sql, extra = _message_plan(connection.vendor, decided is not None)
    db_time = bulk.time_adapter()
    received = db_time(now)
    with bulk.raw_cursor() as (cursor, _):
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            chunk = rows[start : start + ROWS_PER_STATEMENT]
            params: list[Any] = []
            for offset, row in enumerate(chunk):
                params += _filled(
                    row,
                    organization_id,
                    source_id,
                    author_ids[(row.network, row.author_id)],
                    db_time(row.created_at),
                    received,
                )
                if decided is not None:
                    values_of = decided[start + offset]
                    params += [db_time(values_of[0]), *values_of[1:]]
                params += extra
            values = ", ".join([row_sql] * len(chunk))
            sql = f"INSERT INTO {table} ({columns}) VALUES {values} "  # noqa: S608 - names are ours
            cursor.execute(sql + f"ON CONFLICT ({unique}) DO NOTHING", params)


def _filled(
    row: Row,
    organization_id: int,
    source_id: int | None,
    author_id: int,
    created_at: Any,
    received: Any,
) -> list[Any]:
    """One message's values for the ``_FILLED`` columns, in their order; the two times come
    as the caller's database takes them (SQLite: preformatted text, PostgreSQL: datetimes)."""
    return [
        organization_id,
        source_id,
        row.network,
        row.external_id,
        row.url,
        author_id,
        row.text,
        row.truncated,
        created_at,
        received,
        row.reply_to,
        row.root,
        row.direction,
    ]


@cache
def _message_plan_pg(decided: bool) -> tuple[list[str], list[str], list[tuple[str, str]], tuple]:
    """PostgreSQL's message insert: the filled columns and their types, then the (column,
    default) pairs of every other column, as in ``_message_plan``."""
    names = (*_FILLED, *DECIDED) if decided else _FILLED
    fields = [bulk.concrete(Message, name) for name in names]
    columns = [connection.ops.quote_name(f.column) for f in fields]
    types = [bulk_pg.db_type(f) for f in fields]
    constants: list[tuple[str, str]] = []
    extra: list[Any] = []
    for field in Message._meta.concrete_fields:
        column = connection.ops.quote_name(field.column)
        if field.primary_key or column in columns:
            continue
        literal = _literal(field)
        if literal is None:
            constants.append((column, "%s"))
            extra.append(field.get_db_prep_save(field.get_default(), connection))
        else:
            constants.append((column, literal))
    return columns, types, constants, tuple(extra)


def _insert_messages_pg(
    table: str,
    unique: str,
    organization_id: int,
    source_id: int | None,
    rows: list[Row],
    author_ids: dict[Any, int],
    now: dt.datetime,
    decided: list[Sequence[Any]] | None,
) -> None:
    columns, types, constants, extra = _message_plan_pg(decided is not None)
    values = [
        (
            *_filled(
                row,
                organization_id,
                source_id,
                author_ids[(row.network, row.author_id)],
                row.created_at,
                now,
            ),
            *(decided[n] if decided is not None else ()),
        )
        for n, row in enumerate(rows)
    ]
    bulk_pg.insert_rows(
        table,
        columns,
        types,
        values,
        constants=constants,
        constant_params=extra,
        tail=f"ON CONFLICT ({unique}) DO NOTHING",
    )


def _save_cursor(source: Source, cursor: str | None, stored: int, now: dt.datetime) -> None:
    changes: dict[str, Any] = {"last_polled_at": now}
    if cursor is not None:
        changes["cursor"] = str(cursor)[:255]
    if stored:
        changes["last_message_at"] = now
    Source.objects.filter(pk=source.pk).update(**changes)
    for name, value in changes.items():
        setattr(source, name, value)


def do_intake(
    organization: Organization | int,
    heard: Sequence[Heard],
    *,
    source: Source | None = None,
    cursor: str | None = None,
    decide: Decide | None = None,
    cleaned: list[Row] | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Store the messages of ``heard`` not stored yet and move ``source``'s cursor to ``cursor``.

    Both happen in one transaction: after a crash either the messages and the cursor are
    stored, or neither is and the stream replays them. Returns how many messages were new.
    Triage is asked for once the transaction is committed, unless ``decide`` triaged the new
    messages as they were stored (``cluetrain.triage.pipeline.take_in``, which may also pass
    the rows it already ``cleaned`` from ``heard`` at ``now``).
    """
    organization_id = organization if isinstance(organization, int) else organization.pk
    now = now or timezone.now()
    rows = cleaned if cleaned is not None else clean_batch(heard, now)
    with writers.one_at_a_time(), transaction.atomic():
        _lock(organization_id)
        new = unseen(organization_id, rows) if rows else []
        if new:
            author_ids = _upsert_authors(organization_id, new, now)
            decided = decide(organization_id, new, author_ids) if decide is not None else None
            _insert_messages(
                organization_id, source.pk if source else None, new, author_ids, now, decided
            )
        if source is not None:
            _save_cursor(source, cursor, len(new), now)
    if new and decide is None:
        transaction.on_commit(lambda: request_triage(organization_id))
    return len(new)


def request_triage(organization_id: int) -> None:
    """Ask the triage pipeline to look at the organisation's new messages.

    Failing to ask loses nothing: the messages wait untriaged and the next request (or the
    triage worker's own sweep) takes them.
    """
    from cluetrain.triage import pipeline

    try:
        pipeline.request_triage(organization_id)
    except Exception:
        log.exception("Could not ask for triage of organisation %s", organization_id)
