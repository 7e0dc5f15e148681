"""The dashboards' tables as rows: one code path for the page's tables, its CSV buttons and
``cluetrain export``, so a downloaded file always says what the page showed.

A ``Snapshot`` is one scope over one period; it asks ``measures`` for each number once, however
many tables and charts read it. Each table is a header and rows of plain values (dates already in
the organisation's time zone); ``as_csv`` writes them with every text cell neutralised for
spreadsheets.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any

from django.conf import settings

from cluetrain.core import audit
from cluetrain.core.errors import ServiceError
from cluetrain.core.spreadsheet import safe_cell
from cluetrain.insights import measures, measures_read
from cluetrain.organizations.models import Department, Membership, Organization, Person

MEASURE_LABELS = {
    "posts": "Posts",
    "engagement": "Engagement",
    "engagement_per_post": "Engagement per post",
    "engagement_per_1000_followers": "Engagement per 1,000 followers",
    "conversations_opened": "Conversations opened",
    "conversations_resolved": "Conversations resolved",
    "first_response_median_min": "First response, median (min)",
    "first_response_p90_min": "First response, p90 (min)",
    "resolution_median_min": "Resolution, median (min)",
    "resolution_p90_min": "Resolution, p90 (min)",
    "sla_met": "Service level met",
    "sla_breached": "Service level breached",
    "sla_compliance_percent": "Service level met (%)",
    "people_who_spoke": "People who spoke",
}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
Cell = str | int | float | None


@dataclass
class Table:
    """One table of a dashboard: what it is called, its columns and its rows."""

    name: str
    title: str
    header: list[str]
    rows: list[list[Cell]]
    # What each row is about where the page acts on it (the voice of a cadence row).
    keys: list[int] = field(default_factory=list)
    # Whether the first column holds measure names, shown in words on the page (not in CSV).
    named_rows: bool = False

    @property
    def empty(self) -> bool:
        return not self.rows

    @property
    def labels(self) -> list[str]:
        return [name.replace("_", " ").capitalize() for name in self.header]

    @property
    def keyed_rows(self) -> list[tuple[list[tuple[Cell, bool]], int | None]]:
        """Each row's cells with whether each is a number (shown right-aligned), and its key."""
        return [
            (
                [
                    (
                        MEASURE_LABELS.get(str(value), value)
                        if self.named_rows and n == 0
                        else value,
                        isinstance(value, int | float),
                    )
                    for n, value in enumerate(row)
                ],
                self.keys[i] if i < len(self.keys) else None,
            )
            for i, row in enumerate(self.rows)
        ]


class Snapshot:
    """One scope (organisation, department, voice or person) over one period, measured lazily."""

    def __init__(
        self,
        organization: Organization,
        start: date,
        end: date,
        *,
        department: Department | None = None,
        voice_id: int | None = None,
        person_id: int | None = None,
        time_zone: str | None = None,
        rollups: bool | None = None,
    ) -> None:
        self.organization = organization
        # Whether the numbers come from the roll-ups (always, but for the comparison with
        # the product's own tables that the setting INSIGHTS_ROLLUPS = False makes).
        self.rollups = (
            bool(getattr(settings, "INSIGHTS_ROLLUPS", True)) if rollups is None else rollups
        )
        self.department = department
        self.time_zone = time_zone or organization.time_zone
        try:
            self.tz = zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ServiceError(f"{self.time_zone[:60]!r} is not a time zone.") from None
        self.scope = measures.Scope(
            organization_id=organization.pk,
            department_id=department.pk if department else None,
            voice_id=voice_id,
            person_id=person_id,
        )
        self.period = measures.Period(start=start, end=end, time_zone=self.time_zone)

    @property
    def kind(self) -> str:
        if self.scope.person_id:
            return "person"
        if self.scope.voice_id:
            return "voice"
        return "department" if self.scope.department_id else "organization"

    # The day rows, read once however many measures are made of them.
    @cached_property
    def conversation_days(self) -> measures_read.ConversationDays:
        return measures_read.conversation_days(self.scope, self.period, rollups=self.rollups)

    @cached_property
    def post_days(self) -> list[measures_read.DayRow]:
        return measures_read.post_days(self.scope, self.period, rollups=self.rollups)

    @cached_property
    def conversations(self) -> Any:
        return measures.conversation_measures(
            self.scope, self.period, rollups=self.rollups, days=self.conversation_days
        )

    @cached_property
    def mix(self) -> Any:
        return measures.mix_over_time(self.scope, self.period, days=self.conversation_days)

    @cached_property
    def topics(self) -> list[Any]:
        return list(
            measures.top_topics(self.scope, self.period, limit=10, days=self.conversation_days)
        )

    @cached_property
    def engagement(self) -> Any:
        return measures.post_engagement(
            self.scope, self.period, rollups=self.rollups, rows=self.post_days
        )

    @cached_property
    def participation(self) -> Any:
        return measures.participation(self.scope, self.period, rollups=self.rollups)

    @cached_property
    def frequency(self) -> Any:
        return measures.frequency(
            self.scope, self.period, rollups=self.rollups, rows=self.post_days
        )

    @cached_property
    def self_sufficiency(self) -> Any:
        """The academy's self-sufficiency index by month, or None where it is not installed (or
        for a voice or a person, which the index does not describe)."""
        if self.kind in {"voice", "person"}:
            return None
        try:
            from cluetrain.agencies.index import self_sufficiency
        except ImportError:
            return None
        if not self.rollups:
            return self_sufficiency(
                self.organization, self.period.start, self.period.end, department=self.department
            )
        from cluetrain.insights.derived import self_sufficiency_months

        return self_sufficiency_months(
            self.organization,
            self.period.start,
            self.period.end,
            dt.datetime.now(dt.UTC)
            .astimezone(zoneinfo.ZoneInfo(self.organization.time_zone))
            .date(),
            department=self.department,
        )

    @cached_property
    def funnel(self) -> list[tuple[str, int]] | None:
        """How many people of the scope were assigned training, started, completed and were
        promoted past supervision; None where the academy is not there (or for a voice)."""
        if self.kind == "voice":
            return None
        try:
            from cluetrain.academy.progress import training_funnel
        except ImportError:
            return None
        if self.scope.person_id:
            ids = [self.scope.person_id]
        else:
            members = Membership.objects.filter(organization=self.organization, is_active=True)
            if self.department is not None:
                members = members.filter(departments=self.department)
            ids = list(members.values_list("person_id", flat=True))
        return training_funnel(self.organization, ids)

    @cached_property
    def post_texts(self) -> dict[int, str]:
        """The first words of each top post (one query), so a row says which post it was."""
        from cluetrain.publishing.models import Post

        ids = [row.post_id for row in self.engagement.top_posts]
        if not ids:
            return {}
        return {
            pk: text[:80] for pk, text in Post.objects.filter(pk__in=ids).values_list("pk", "text")
        }

    def local(self, moment: datetime | None) -> str:
        return moment.astimezone(self.tz).strftime("%Y-%m-%d %H:%M") if moment else ""


def _num(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(float(value), digits)


def _share(value: float | None) -> float | None:
    """A share from 0..1 as per cent with one decimal."""
    return None if value is None else round(100 * float(value), 1)


def summary(s: Snapshot) -> Table:
    c, e, p = s.conversations, s.engagement, s.participation
    rows: list[list[Cell]] = [
        ["posts", e.posts],
        ["engagement", e.engagement],
        ["engagement_per_post", _num(e.per_post)],
        ["engagement_per_1000_followers", _num(e.per_1000_followers)],
        ["conversations_opened", c.opened],
        ["conversations_resolved", c.resolved],
        ["first_response_median_min", _num(c.first_response_median_min)],
        ["first_response_p90_min", _num(c.first_response_p90_min)],
        ["resolution_median_min", _num(c.resolution_median_min)],
        ["resolution_p90_min", _num(c.resolution_p90_min)],
        ["sla_met", c.sla_met],
        ["sla_breached", c.sla_breached],
        ["sla_compliance_percent", _share(c.sla_compliance)],
        ["people_who_spoke", p.people],
    ]
    return Table("summary", "Key numbers", ["measure", "value"], rows, named_rows=True)


def engagement_by_day(s: Snapshot) -> Table:
    rows: list[list[Cell]] = [
        [d.day.isoformat(), d.posts, d.engagement] for d in s.engagement.by_day
    ]
    if not s.engagement.posts:
        rows = []
    return Table("engagement", "Engagement by day", ["day", "posts", "engagement"], rows)


def top_posts(s: Snapshot) -> Table:
    rows: list[list[Cell]] = [
        [
            s.local(r.published_at),
            s.post_texts.get(r.post_id, ""),
            r.voice_name,
            r.author_name,
            r.likes,
            r.reposts,
            r.replies,
            r.quotes,
            r.likes + r.reposts + r.replies + r.quotes,
        ]
        for r in s.engagement.top_posts
    ]
    header = [
        "published",
        "post",
        "voice",
        "author",
        "likes",
        "reposts",
        "replies",
        "quotes",
        "total",
    ]
    return Table("top_posts", "Top posts", header, rows)


def conversations_by_day(s: Snapshot) -> Table:
    rows: list[list[Cell]] = [
        [d.day.isoformat(), d.opened, d.resolved, _num(d.first_response_median_min)]
        for d in s.conversations.by_day
    ]
    if not (s.conversations.opened or s.conversations.resolved):
        rows = []
    header = ["day", "opened", "resolved", "first_response_median_min"]
    return Table("conversations", "Conversations and first response by day", header, rows)


def _weekly(weeks: list[date], series: dict[str, list[int]]) -> tuple[list[str], list[list[Cell]]]:
    names = list(series)
    rows: list[list[Cell]] = [
        [week.isoformat(), *[series[name][i] for name in names]] for i, week in enumerate(weeks)
    ]
    return ["week", *names], rows


def sentiment_by_week(s: Snapshot) -> Table:
    header, rows = _weekly(s.mix.weeks, s.mix.sentiment)
    return Table("sentiment", "Sentiment by week", header, rows if _any(s.mix.sentiment) else [])


def intents_by_week(s: Snapshot) -> Table:
    header, rows = _weekly(s.mix.weeks, s.mix.intents)
    return Table("intents", "Intent by week", header, rows if _any(s.mix.intents) else [])


def _any(series: dict[str, list[int]]) -> bool:
    return any(any(values) for values in series.values())


def topics(s: Snapshot) -> Table:
    rows: list[list[Cell]] = [
        [t.topic, t.conversations, _share(t.negative_share)] for t in s.topics
    ]
    return Table("topics", "Top topics", ["topic", "conversations", "negative_percent"], rows)


def participation(s: Snapshot) -> Table:
    rows: list[list[Cell]] = [
        [w.week_start.isoformat(), w.people, w.new_people] for w in s.participation.weeks
    ]
    if not any(w.people for w in s.participation.weeks):
        rows = []
    header = ["week", "people", "new_people"]
    return Table("participation", "People who spoke for the organisation, by week", header, rows)


def frequency_heat(s: Snapshot) -> Table:
    rows: list[list[Cell]] = []
    for weekday, hours in enumerate(s.frequency.heat):
        for hour, cell in enumerate(hours):
            if cell.posts:
                rows.append(
                    [
                        WEEKDAYS[weekday],
                        f"{hour:02d}:00",
                        cell.posts,
                        _num(cell.engagement_per_post),
                    ]
                )
    header = ["weekday", "hour", "posts", "engagement_per_post"]
    return Table("heat", "Posts and engagement by hour of the week", header, rows)


def slots_text(slots: list[tuple[int, int]]) -> str:
    return ", ".join(f"{WEEKDAYS[d][:3]} {h:02d}:00" for d, h in slots)


def cadence(s: Snapshot) -> Table:
    rows: list[list[Cell]] = [
        [
            v.voice_name,
            _num(v.posts_per_week),
            _num(v.engagement_per_post),
            _num(v.recommended_per_week),
            slots_text(list(v.best_slots)),
        ]
        for v in s.frequency.voices
    ]
    header = [
        "voice",
        "posts_per_week",
        "engagement_per_post",
        "recommended_per_week",
        "best_slots",
    ]
    return Table("cadence", "Cadence and best slots per voice", header, rows)


def self_sufficiency(s: Snapshot) -> Table:
    result = s.self_sufficiency
    rows: list[list[Cell]] = []
    if result is not None:
        rows = [
            [m.label, m.tally.in_house, m.tally.agency, m.tally.share]
            for m in result.months
            if m.tally.total
        ]
    header = ["month", "in_house", "agency", "in_house_percent"]
    return Table("self_sufficiency", "Self-sufficiency by month", header, rows)


def training(s: Snapshot) -> Table:
    stages = s.funnel or []
    rows: list[list[Cell]] = (
        [[stage, count] for stage, count in stages] if any(count for _, count in stages) else []
    )
    return Table("training", "Training funnel", ["stage", "people"], rows)


BUILDERS: dict[str, Callable[[Snapshot], Table]] = {
    "summary": summary,
    "engagement": engagement_by_day,
    "top_posts": top_posts,
    "conversations": conversations_by_day,
    "sentiment": sentiment_by_week,
    "intents": intents_by_week,
    "topics": topics,
    "participation": participation,
    "heat": frequency_heat,
    "cadence": cadence,
    "self_sufficiency": self_sufficiency,
    "training": training,
}


def table_names(snapshot: Snapshot | None = None) -> list[str]:
    """The tables there are; for a snapshot, only those its scope can show."""
    names = list(BUILDERS)
    if snapshot is None:
        return names
    if snapshot.self_sufficiency is None:
        names.remove("self_sufficiency")
    if snapshot.funnel is None:
        names.remove("training")
    return names


def build(snapshot: Snapshot, name: str) -> Table:
    """One table by name; ServiceError naming the tables there are for an unknown one."""
    if name not in table_names(snapshot):
        known = ", ".join(table_names(snapshot))
        raise ServiceError(f"There is no table {name[:40]!r} here. Tables: {known}.")
    return BUILDERS[name](snapshot)


def as_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.header)
    for row in table.rows:
        writer.writerow([safe_cell(value) for value in row])
    return out.getvalue()


def record_download(snapshot: Snapshot, name: str, actor: Person | None, *, via: str) -> None:
    """Audit that table ``name`` (or "report") of ``snapshot`` left Cluetrain as a file.

    Called by every CSV button and by ``cluetrain export`` (``actor`` None: the OS user is
    kept instead), once the file is built, so a refused or failed export is not recorded.
    """
    _record(snapshot, f"insights.{name}", actor, via=via, format="csv", table=name)


def record_api_read(snapshot: Snapshot, names: list[str], actor: Person) -> None:
    """Audit that tables ``names`` of ``snapshot`` were read through the API.

    The API hands out the very figures of the CSV files, to scripts that fetch them in bulk,
    so a read there is an export too; one event per request, however many tables it asked for.
    """
    what = f"insights.{names[0]}" if len(names) == 1 else "insights.tables"
    _record(snapshot, what, actor, via="api", format="json", table=", ".join(names))


def _record(snapshot: Snapshot, what: str, actor: Person | None, **data: Any) -> None:
    scope = snapshot.scope
    audit.record_export(
        snapshot.organization,
        actor,
        what,
        scope=snapshot.kind,
        department_id=scope.department_id,
        voice_id=scope.voice_id,
        person_id=scope.person_id,
        start=snapshot.period.start.isoformat(),
        end=snapshot.period.end.isoformat(),
        time_zone=snapshot.time_zone,
        **data,
    )


def filename(snapshot: Snapshot, name: str) -> str:
    scope = snapshot.scope
    who = (
        f"person-{scope.person_id}"
        if scope.person_id
        else f"voice-{scope.voice_id}"
        if scope.voice_id
        else f"department-{scope.department_id}"
        if scope.department_id
        else snapshot.organization.slug
    )
    period = snapshot.period
    return f"{who}-{name}-{period.start.isoformat()}-{period.end.isoformat()}.csv"


def month_span(year: int, month: int) -> tuple[date, date]:
    """The first and last day of a calendar month; ServiceError for a month that is none."""
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        raise ServiceError(f"{year:04d}-{month:02d} is not a month: use YYYY-MM.")
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return first, date.fromordinal(following.toordinal() - 1)


def previous_month(first: date) -> tuple[int, int]:
    return (first.year - 1, 12) if first.month == 1 else (first.year, first.month - 1)


def comparison(current: Snapshot, previous: Snapshot) -> Table:
    """The month's key numbers beside the previous month's, with the change."""
    rows: list[list[Cell]] = []
    for (name, now), (_, before) in zip(summary(current).rows, summary(previous).rows, strict=True):
        change: Cell = None
        if isinstance(now, int | float) and isinstance(before, int | float):
            change = round(now - before, 1)
        rows.append([name, now, before, change])
    header = ["measure", "this_month", "previous_month", "change"]
    return Table("report", "This month against the previous month", header, rows, named_rows=True)


def month_report(organization: Organization, year: int, month: int, **scope: Any) -> Table:
    """The monthly report's comparison table (for the page's CSV and ``cluetrain export``)."""
    start, end = month_span(year, month)
    before_start, before_end = month_span(*previous_month(start))
    return comparison(
        Snapshot(organization, start, end, **scope),
        Snapshot(organization, before_start, before_end, **scope),
    )
