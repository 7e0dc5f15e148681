"""Where the measures get their rows: the roll-up tables, or (``rollups=False``) the
product's own tables, turned into the same day bags by ``rollups.facts``."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from cluetrain.core import bulk
from cluetrain.insights.rollups import facts

if TYPE_CHECKING:
    from cluetrain.insights.measures import Period, Scope

TOP_POSTS = 10


def _day(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _counts(value: Any) -> dict[str, int]:
    if isinstance(value, dict):
        return value
    return json.loads(value) if value else {}


@dataclass
class ConversationDays:
    """Day bags of conversation counts, and (computed raw) the exact durations behind them."""

    bags: list[tuple[dt.date, dict[str, int]]]
    exact: dict[str, dict[dt.date, list[float]]] | None = None

    def values(self, prefix: str, day: dt.date) -> list[float] | None:
        if self.exact is None:
            return None
        return self.exact.get(prefix, {}).get(day, [])

    def all_values(self, prefix: str) -> list[float] | None:
        if self.exact is None:
            return None
        return [v for values in self.exact.get(prefix, {}).values() for v in values]


@dataclass
class DayRow:
    day: dt.date
    department_id: int
    voice_id: int
    person_id: int
    counts: dict[str, int] = field(default_factory=dict)


def _rollup_sql(kind: str, scope: Scope, period: Period, columns: str) -> tuple[str, list[Any]]:
    sql = (
        f"SELECT day, department_id, voice_id, person_id, {columns} "  # noqa: S608
        "FROM insights_rollupday "
        "WHERE kind = %s AND organization_id = %s AND day >= %s AND day <= %s"
    )
    params: list[Any] = [
        kind,
        scope.organization_id,
        period.start.isoformat(),
        period.end.isoformat(),
    ]
    for column, op, value in facts.selector(kind, scope):
        sql += f" AND {column} {op} %s"
        params.append(value)
    return sql, params


def _rollup_rows(kind: str, scope: Scope, period: Period) -> list[DayRow]:
    sql, params = _rollup_sql(kind, scope, period, "counts")
    return [
        DayRow(_day(d), dep, voice, person, _counts(c))
        for d, dep, voice, person, c in bulk.select(sql, params)
    ]


def _speaker_rows(scope: Scope, period: Period) -> list[DayRow]:
    """The speakers' day rows with only the two counts participation reads, taken out of the
    JSON by the database (a dashboard reads a row per person and day: parsing each bag in
    Python was most of the participation's time)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        columns = "(counts->>'replies')::int, (counts->>'posts')::int"
    else:
        columns = "json_extract(counts, '$.replies'), json_extract(counts, '$.posts')"
    sql, params = _rollup_sql("s", scope, period, columns)
    return [
        DayRow(_day(d), dep, voice, person, {"replies": replies or 0, "posts": posts or 0})
        for d, dep, voice, person, replies, posts in bulk.select(sql, params)
    ]


def _in_period(day: str, period: Period) -> bool:
    return period.start.isoformat() <= day <= period.end.isoformat()


# --- conversations -------------------------------------------------------------------------


def conversation_days(scope: Scope, period: Period, *, rollups: bool) -> ConversationDays:
    if scope.voice_id is not None:
        return ConversationDays([], None if rollups else {})
    if rollups:
        return ConversationDays([(r.day, r.counts) for r in _rollup_rows("c", scope, period)], None)
    return _raw_conversation_days(scope, period)


def _raw_conversation_days(scope: Scope, period: Period) -> ConversationDays:
    from django.db.models import Q

    from cluetrain.inbox.models import Conversation
    from cluetrain.inbox.sla import Policies

    start, after = period.bounds()
    query = Conversation.objects.filter(organization_id=scope.organization_id).filter(
        Q(first_message_at__gte=start, first_message_at__lt=after)
        | Q(resolved_at__gte=start, resolved_at__lt=after)
    )
    if scope.department_id is not None:
        query = query.filter(department_id=scope.department_id)
    if scope.person_id is not None:
        query = query.filter(assignee_id=scope.person_id)
    policies = Policies([scope.organization_id])
    wanted = facts.selector("c", scope)
    zone = period.zone
    bags: list[tuple[dt.date, dict[str, int]]] = []
    exact: dict[str, dict[dt.date, list[float]]] = {"fr": {}, "frc": {}, "res": {}}
    for row in query.values_list(*facts.CONVERSATION_COLUMNS).iterator(chunk_size=5000):
        first, responded, resolved, complaint = row[4], row[5], row[6], row[11]
        for _, day_text, d, v, p, counts in facts.spread(
            facts.conversation_contributions(row, zone, policies)
        ):
            if not _in_period(day_text, period) or not facts.matches(wanted, d, v, p):
                continue
            day = dt.date.fromisoformat(day_text)
            bags.append((day, counts))
            if "opened" in counts and responded is not None:
                minutes = facts.minutes_between(first, responded)
                exact["fr"].setdefault(day, []).append(minutes)
                if complaint:
                    exact["frc"].setdefault(day, []).append(minutes)
            if "resolved" in counts and resolved is not None:
                exact["res"].setdefault(day, []).append(facts.minutes_between(first, resolved))
    return ConversationDays(bags, exact)


# --- posts ---------------------------------------------------------------------------------


def _deliveries(scope: Scope, period: Period) -> Any:
    from cluetrain.publishing.models import Delivery, PostStatus

    start, after = period.bounds()
    query = Delivery.objects.filter(
        organization_id=scope.organization_id,
        status=PostStatus.PUBLISHED,
        published_at__gte=start,
        published_at__lt=after,
    )
    if scope.department_id is not None:
        query = query.filter(voice__department_id=scope.department_id)
    if scope.voice_id is not None:
        query = query.filter(voice_id=scope.voice_id)
    if scope.person_id is not None:
        query = query.filter(post__author_id=scope.person_id)
    return query


def _raw_post_contributions(scope: Scope, period: Period) -> list[facts.Contribution]:
    zone = period.zone
    out: list[facts.Contribution] = []
    rows = _deliveries(scope, period).values_list(
        "published_at",
        "voice__department_id",
        "voice_id",
        "post__author_id",
        "engagement_track__likes",
        "engagement_track__reposts",
        "engagement_track__replies",
        "engagement_track__quotes",
    )
    for published_at, department_id, voice_id, author_id, *reactions in rows.iterator(2000):
        out.extend(
            facts.post_contributions(
                published_at,
                zone,
                department_id or 0,
                voice_id,
                author_id or 0,
                [r or 0 for r in reactions],
            )
        )
    return out


def post_days(scope: Scope, period: Period, *, rollups: bool) -> list[DayRow]:
    if rollups:
        return _rollup_rows("p", scope, period)
    wanted = facts.selector("p", scope)
    return [
        DayRow(dt.date.fromisoformat(day), dep, voice, person, counts)
        for kind, day, dep, voice, person, counts in facts.spread(
            _raw_post_contributions(scope, period)
        )
        if kind == "p" and facts.matches(wanted, dep, voice, person)
    ]


def top_posts(scope: Scope, period: Period, *, rollups: bool) -> list[tuple[Any, ...]]:
    """(delivery, post, voice name, author name, published at, likes, reposts, replies,
    quotes) of the posts with most reactions, most first."""
    if rollups:
        sql = (
            "SELECT delivery_id, post_id, voice_name, author_name, published_at, likes, "
            "reposts, replies, quotes FROM insights_postfact WHERE organization_id = %s "
            "AND day >= %s AND day <= %s"
        )
        params: list[Any] = [
            scope.organization_id,
            period.start.isoformat(),
            period.end.isoformat(),
        ]
        for column, value in (
            ("department_id", scope.department_id),
            ("voice_id", scope.voice_id),
            ("person_id", scope.person_id),
        ):
            if value is not None:
                sql += f" AND {column} = %s"
                params.append(value)
        sql += f" ORDER BY engagement DESC, delivery_id LIMIT {TOP_POSTS}"
        return [(*r[:4], bulk.parse_time(r[4]), *r[5:]) for r in bulk.select(sql, params)]
    from django.db.models import F, Value
    from django.db.models.functions import Coalesce

    zero = Value(0)
    query = _deliveries(scope, period).annotate(
        total=Coalesce(F("engagement_track__likes"), zero)
        + Coalesce(F("engagement_track__reposts"), zero)
        + Coalesce(F("engagement_track__replies"), zero)
        + Coalesce(F("engagement_track__quotes"), zero)
    )
    out = []
    for d in query.select_related("voice", "post__author", "engagement_track").order_by(
        "-total", "pk"
    )[:TOP_POSTS]:
        track = getattr(d, "engagement_track", None)
        counts = [getattr(track, k, 0) if track else 0 for k in facts_reactions()]
        author = d.post.author
        out.append((d.pk, d.post_id, d.voice.name, _person_name(author), d.published_at, *counts))
    return out


def facts_reactions() -> tuple[str, ...]:
    return ("likes", "reposts", "replies", "quotes")


def _person_name(person: Any) -> str:
    if person is None:
        return ""
    return str(getattr(person, "full_name", "") or getattr(person, "email", "") or person)[:200]


def followers(voice_ids: Iterable[int]) -> int | None:
    """The latest follower count of each voice, summed; None when none is known (or the
    audience table does not exist yet)."""
    ids = sorted(set(voice_ids))
    if not ids:
        return None
    try:
        from cluetrain.insights.models import Audience
    except ImportError:
        return None
    from django.db.models import OuterRef, Subquery

    latest = Audience.objects.filter(voice_id=OuterRef("voice_id")).order_by("-at")
    rows = Audience.objects.filter(
        voice_id__in=ids, pk=Subquery(latest.values("pk")[:1])
    ).values_list("followers", flat=True)
    counts = [int(n) for n in rows if n is not None]
    return sum(counts) if counts else None


# --- speakers ------------------------------------------------------------------------------


def speaker_days(scope: Scope, period: Period, *, rollups: bool) -> list[DayRow]:
    if rollups:
        return _speaker_rows(scope, period)
    from cluetrain.listening.models import Direction, Message

    wanted = facts.selector("s", scope)
    rows = [
        DayRow(dt.date.fromisoformat(day), dep, voice, person, counts)
        for kind, day, dep, voice, person, counts in facts.spread(
            _raw_post_contributions(scope, period)
        )
        if kind == "s" and facts.matches(wanted, dep, voice, person)
    ]
    if scope.voice_id is not None:
        return rows
    start, after = period.bounds()
    replies = Message.objects.filter(
        organization_id=scope.organization_id,
        direction=Direction.OUTBOUND,
        sent_by__isnull=False,
        created_at__gte=start,
        created_at__lt=after,
    )
    if scope.department_id is not None:
        replies = replies.filter(conversation__department_id=scope.department_id)
    if scope.person_id is not None:
        replies = replies.filter(sent_by_id=scope.person_id)
    zone = period.zone
    for created_at, department_id, person_id in replies.values_list(
        "created_at", "conversation__department_id", "sent_by_id"
    ).iterator(5000):
        for _, day, dep, voice, person, counts in facts.spread(
            facts.reply_contributions(created_at, zone, department_id or 0, person_id)
        ):
            if facts.matches(wanted, dep, voice, person):
                rows.append(DayRow(dt.date.fromisoformat(day), dep, voice, person, counts))
    return rows


def first_days(
    organization_id: int, people: set[int], *, rollups: bool, zone: ZoneInfo | None = None
) -> dict[int, dt.date]:
    """The first day each of ``people`` ever spoke in the organisation."""
    if not people:
        return {}
    if rollups:
        sql = (
            "SELECT person_id, first_day FROM insights_speakerfirst WHERE organization_id = %s "
            "AND person_id IN ({values})"
        )
        return {p: _day(d) for p, d in bulk.select(sql, sorted(people), before=[organization_id])}
    from django.db.models import Min

    from cluetrain.listening.models import Direction, Message
    from cluetrain.organizations.models import Organization
    from cluetrain.publishing.models import Delivery, PostStatus

    zone = zone or ZoneInfo(Organization.objects.get(pk=organization_id).time_zone or "UTC")
    firsts: dict[int, dt.datetime] = {}
    replies = (
        Message.objects.filter(
            organization_id=organization_id,
            direction=Direction.OUTBOUND,
            sent_by_id__in=people,
        )
        .values("sent_by_id")
        .annotate(first=Min("created_at"))
        .values_list("sent_by_id", "first")
    )
    posts = (
        Delivery.objects.filter(
            organization_id=organization_id,
            status=PostStatus.PUBLISHED,
            post__author_id__in=people,
            published_at__isnull=False,
        )
        .values("post__author_id")
        .annotate(first=Min("published_at"))
        .values_list("post__author_id", "first")
    )
    for person, moment in [*replies, *posts]:
        if person is not None and moment is not None:
            firsts[person] = min(firsts.get(person, moment), moment)
    return {p: moment.astimezone(zone).date() for p, moment in firsts.items()}
