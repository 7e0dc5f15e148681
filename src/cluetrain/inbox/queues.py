"""The inbox's lists: one function the inbox page, the API and the CLI all call.

``conversation_page`` returns one page of conversations for some ``Filters``, with everything
a list row shows loaded in a fixed number of queries (the conversation with its author,
assignee and department in one; the tags in a second), whatever the page size. Pages are cut
by keyset, never OFFSET: the cursor is the last row's sort key, so page 200 costs what page 1
does and a conversation arriving meanwhile neither repeats nor hides a row.

Orders:

* ``recent``: latest message first (``last_message_at``, then id);
* ``due``: conversations with a service-level clock, soonest deadline first (``due_at``, id);
* with search words: the newest conversations first (id). Not ranked by relevance: in an
  inbox the newest match is the one wanted, and walking the index in id order lets a
  search stop after one page.

Counts are bounded (``count_conversations``): at most ``COUNT_CAP`` rows are counted, and more
show as "1,000+", so no list ever counts a whole table.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from django.db import connection
from django.db.models import BooleanField, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from cluetrain.inbox import search
from cluetrain.inbox.filters import Filters, InvalidFilter
from cluetrain.inbox.models import Conversation, Tag
from cluetrain.organizations.models import Organization, Person
from cluetrain.organizations.policy import Permission, require

MAX_LIMIT = 1000
COUNT_CAP = 1000

Order = Literal["recent", "due", "search"]


@dataclass(frozen=True)
class Page:
    """One page of an inbox list. ``next_cursor`` is passed as ``after`` for the next page."""

    rows: list[Conversation]
    next_cursor: str | None
    has_more: bool


@dataclass(frozen=True)
class Count:
    """A bounded count: ``value`` rows, or more than ``value`` when ``more``."""

    value: int
    more: bool

    def __str__(self) -> str:
        return f"{self.value:,}+" if self.more else f"{self.value:,}"


def conversation_page(
    organization: Organization,
    viewer: Person,
    filters: Filters,
    *,
    after: str | None = None,
    limit: int = 50,
) -> Page:
    """The page of conversations after cursor ``after`` (the first page without one).

    Rows are Conversations with ``author``, ``assignee`` and ``department`` loaded and their
    ``tags`` prefetched; ``search_text`` is deferred (show ``subject``). Raises ``NotAllowed``
    unless the viewer may work this organisation's inbox, ``InvalidFilter`` for a cursor
    that is not one.
    """
    require(viewer, organization, Permission.WORK_INBOX)
    limit = max(1, min(int(limit), MAX_LIMIT))
    order = _order(filters)
    position = decode_cursor(after, order) if after else None
    # The recent order walks each status on its own (see _merged).
    matching = _matching(organization, viewer, filters, statuses=order != "recent")
    rows = list(_page_query(matching, order, filters, position, limit + 1))
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(order, rows[-1]) if has_more else None
    return Page(rows=rows, next_cursor=next_cursor, has_more=has_more)


def count_conversations(
    organization: Organization, viewer: Person, filters: Filters, *, cap: int = COUNT_CAP
) -> Count:
    """How many conversations match, counting at most ``cap`` + 1 of them."""
    require(viewer, organization, Permission.WORK_INBOX)
    order = _order(filters)
    matching = _matching(organization, viewer, filters)
    if order == "search":
        found = _searched(matching, filters, None, cap + 1).order_by()[: cap + 1].count()
    else:
        found = matching.order_by()[: cap + 1].count()
    return Count(min(found, cap), found > cap)


# --- the queries ----------------------------------------------------------------------------


def _order(filters: Filters) -> Order:
    if filters.q:
        return "search"
    return filters.sort


def _matching(
    organization: Organization, viewer: Person, filters: Filters, *, statuses: bool = True
) -> QuerySet[Any]:
    """Every filter but the search words, as one queryset; without the statuses when the
    caller splits the walk by status."""
    qs = Conversation.objects.filter(organization=organization)
    if filters.assignee == "me":
        qs = qs.filter(assignee=viewer)
    elif filters.assignee == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    elif isinstance(filters.assignee, int):
        qs = qs.filter(assignee_id=filters.assignee)
    if len(filters.departments) == 1:
        qs = qs.filter(department_id=filters.departments[0])
    elif filters.departments:
        qs = qs.filter(department_id__in=filters.departments)
    if filters.tag:
        # The tag's id is looked up once (an uncorrelated subquery), so checking a row is
        # one probe of the (conversation, tag) index.
        tag_id = Tag.objects.filter(organization=organization, name=filters.tag).values("pk")
        through = Conversation.tags.through
        qs = qs.filter(
            Exists(through.objects.filter(conversation_id=OuterRef("pk"), tag_id=tag_id[:1]))
        )
    for chip in ("intent", "urgency", "sentiment_label"):
        if value := getattr(filters, chip):
            qs = qs.filter(**{chip: value})
    if filters.incident is not None:
        qs = qs.filter(incident=filters.incident)
    now = timezone.now()
    if filters.snoozed:
        qs = qs.filter(snoozed_until__gt=now)
    else:
        qs = qs.filter(Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now))
    if filters.sort == "due" and not filters.q:
        qs = qs.filter(due_at__isnull=False)
    if statuses:
        qs = qs.filter(status__in=filters.statuses)
    return qs


def _page_query(
    matching: QuerySet[Any],
    order: Order,
    filters: Filters,
    position: tuple[Any, ...] | None,
    size: int,
) -> QuerySet[Any]:
    if order == "search":
        qs = _searched(matching, filters, position, size)
    else:
        keys = ("due_at", "id") if order == "due" else ("-last_message_at", "-id")
        if position:
            matching = matching.filter(_after(order, position))
        ids = _merged(matching, filters.statuses if order == "recent" else (), keys, size)
        qs = Conversation.objects.filter(pk__in=ids).order_by(*keys)
    return (
        qs.select_related("author", "assignee", "department")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.only("id", "name")))
        .defer("search_text")[:size]
    )


def _after(order: Order, position: tuple[Any, ...]) -> Q:
    """Rows after the cursor's. The redundant ``<=``/``>=`` gives the index a range to seek."""
    moment, pk = position
    if order == "due":
        return Q(Q(due_at__gt=moment) | Q(due_at=moment, id__gt=pk), due_at__gte=moment)
    return Q(
        Q(last_message_at__lt=moment) | Q(last_message_at=moment, id__lt=pk),
        last_message_at__lte=moment,
    )


def _merged(
    matching: QuerySet[Any], split: tuple[str, ...], keys: tuple[str, ...], size: int
) -> RawSQL:
    """The ids of the first ``size`` rows in ``keys`` order, read as one ordered index walk
    per status, merged.

    A single walk over ``status IN (new, open)`` cannot come out in order: the database
    would sort every open conversation (and join its author) to show fifty. Each walk here
    stops after ``size`` rows, so the page costs the same at any table size.
    """
    arms = [matching.filter(status=status) for status in split] if split else [matching]
    parts: list[str] = []
    params: list[Any] = []
    for n, arm in enumerate(arms):
        sql, arm_params = arm.order_by(*keys).values("pk")[:size].query.sql_with_params()
        parts.append(f"SELECT * FROM ({sql}) AS arm{n}")  # noqa: S608 - Django's own SQL
        params += arm_params
    return RawSQL(" UNION ALL ".join(parts), tuple(params))  # noqa: S611 - Django's own SQL


def _searched(
    matching: QuerySet[Any], filters: Filters, position: tuple[Any, ...] | None, size: int
) -> QuerySet[Any]:
    """One page of search results (at most ``size``), newest first."""
    terms = search.parse_terms(filters.q)
    if not terms:
        return Conversation.objects.none()
    before = position[0] if position else None
    if connection.vendor != "sqlite":
        found = matching.filter(
            RawSQL(  # noqa: S611 - the words are a parameter
                f"{search.PG_VECTOR} @@ to_tsquery('simple'::regconfig, %s)",
                (search.tsquery(terms),),
                output_field=BooleanField(),
            )
        )
        if before is not None:
            found = found.filter(id__lt=before)
        return found.order_by("-id")
    # FTS5 hands out matching ids newest first and the filters are checked for each (a
    # primary-key lookup), so the walk stops after one page even for a common word.
    table = search.FTS_TABLE
    inner = matching.filter(pk=RawSQL(f"{table}.rowid", ())).values("pk")  # noqa: S611
    inner_sql, inner_params = inner.query.sql_with_params()
    sql = (
        f"SELECT {table}.rowid FROM {table} WHERE {table} MATCH %s"  # noqa: S608 - our names
        + (f" AND {table}.rowid < %s" if before is not None else "")
        + f" AND EXISTS ({inner_sql}) ORDER BY {table}.rowid DESC LIMIT %s"
    )
    params: list[Any] = [search.fts5_query(terms)]
    params += [before] if before is not None else []
    ids = RawSQL(sql, (*params, *inner_params, size))  # noqa: S611 - values are parameters
    return Conversation.objects.filter(pk__in=ids).order_by("-id")


# --- cursors --------------------------------------------------------------------------------

_CURSOR_KIND = {"recent": "r", "due": "d", "search": "s"}


def encode_cursor(order: Order, row: Conversation) -> str:
    if order == "search":
        key: list[Any] = [row.pk]
    elif order == "due":
        assert row.due_at is not None
        key = [row.due_at.isoformat(), row.pk]
    else:
        key = [row.last_message_at.isoformat(), row.pk]
    raw = json.dumps([_CURSOR_KIND[order], *key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, order: Order) -> tuple[Any, ...]:
    """The sort key a cursor holds; ``InvalidFilter`` for anything else."""
    problem = InvalidFilter("after", "this page link is not valid for this list; start again.")
    if len(cursor) > 200:
        raise problem
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (UnicodeError, ValueError, binascii.Error):
        raise problem from None
    if not isinstance(value, list) or not value or value[0] != _CURSOR_KIND[order]:
        raise problem
    key = value[1:]
    if not key or not _is_id(key[-1]):
        raise problem
    if order == "search":
        if len(key) != 1:
            raise problem
        return (key[0],)
    if len(key) != 2 or not isinstance(key[0], str):
        raise problem
    try:
        moment = datetime.fromisoformat(key[0])
    except ValueError:
        raise problem from None
    if moment.tzinfo is None:
        raise problem
    return (moment, key[1])


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63
