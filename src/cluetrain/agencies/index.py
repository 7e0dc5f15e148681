"""The self-sufficiency index: how much of an organisation's public voice is its own people's.

It is the share of posts and inbox replies, published in a month, whose author was in-house
rather than agency staff. Rules:

* **What counts.** A post counts once, at the time it was published (``Post.published_at``),
  whatever the number of voices it went through. An inbox reply is a post too (the inbox sends
  it through publishing); it is counted as a reply, once, when published. Drafts, posts in
  review, cancelled and failed posts do not count.
* **Who is agency.** The author's role in this organisation *when the post went out*: a post
  published while the author held the ``agency`` role here (an ``AgencyPeriod``) is agency
  work, even if they are in-house elsewhere or have since been hired in-house. A role that came
  with joining counts from the start of the history.
* **Which department.** A reply's conversation's department; else the department of the
  official voice the post went out through (its first); else the author's department (the first
  by name); else none.
* **Months** are calendar months in the organisation's time zone; a month with nothing
  published has no share (shown empty), never 0 %.
* **Trend.** The least-squares slope of the monthly share, in percentage points a month, over
  the months that have a share; and the change between the latest month with a share and the
  month three months before it (when that month has one).

Two queries whatever the history's length: the posts grouped by month, agency or not, kind and
department; and the department names.
"""

from __future__ import annotations

import csv
import io
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, TruncMonth

from cluetrain.agencies.models import AgencyPeriod
from cluetrain.core.dates import months_between, next_month
from cluetrain.core.spreadsheet import safe_cell as _cell
from cluetrain.listening.models import Direction, Message
from cluetrain.organizations.models import Department, Membership, Organization
from cluetrain.publishing.models import Delivery, Post

MAX_MONTHS = 120


@dataclass
class Tally:
    """In-house and agency counts of one month, one department or the whole range."""

    in_house: int = 0
    agency: int = 0
    posts: int = 0
    replies: int = 0

    @property
    def total(self) -> int:
        return self.in_house + self.agency

    @property
    def share(self) -> float | None:
        """The in-house share in per cent, or None when nothing was published."""
        return round(100 * self.in_house / self.total, 1) if self.total else None

    def add(self, *, agency: bool, reply: bool, count: int) -> None:
        if agency:
            self.agency += count
        else:
            self.in_house += count
        if reply:
            self.replies += count
        else:
            self.posts += count


@dataclass
class Month:
    start: date
    tally: Tally = field(default_factory=Tally)
    # department id (None: no department) -> that department's tally this month
    departments: dict[int | None, Tally] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.start.strftime("%Y-%m")


@dataclass
class DepartmentRow:
    department_id: int | None
    name: str
    tally: Tally
    months: list[Tally]


@dataclass
class IndexResult:
    """The index over a range of months: by month, by department, overall, and its trend."""

    organization: Organization
    months: list[Month]
    departments: list[DepartmentRow]
    overall: Tally
    slope: float | None  # points per month
    change_3_months: float | None  # points

    @property
    def trend_words(self) -> str:
        shares = [m.tally.share for m in self.months if m.tally.share is not None]
        if self.slope is None or len(shares) < 2:
            return "Not enough months with posts to show a trend yet."
        with_share = [m for m in self.months if m.tally.share is not None]
        span = months_between(with_share[0].start, with_share[-1].start)
        points = round(self.slope * span, 1)
        if abs(points) < 0.5:
            return f"Flat over {span + 1} months."
        way = "up" if points > 0 else "down"
        return f"{way.capitalize()} {abs(points):g} points over {span + 1} months."

    @property
    def rows(self) -> list[tuple[Month, list[Tally]]]:
        """Each month with its departments' tallies, in the order of ``departments``."""
        return [
            (month, [row.months[i] for row in self.departments])
            for i, month in enumerate(self.months)
        ]

    @property
    def chart(self) -> dict[str, Any]:
        return {
            "labels": [m.label for m in self.months],
            "overall": [m.tally.share for m in self.months],
            "departments": [
                {"name": row.name, "shares": [t.share for t in row.months]}
                for row in self.departments
            ],
        }


def month_starts(start: date, end: date) -> list[date]:
    first, last = start.replace(day=1), end.replace(day=1)
    months: list[date] = []
    current = first
    while current <= last and len(months) < MAX_MONTHS:
        months.append(current)
        current = next_month(current)
    return months


def _counted_posts(organization: Organization) -> Any:
    """Published posts annotated with whether each is a reply and its department."""
    replies = Message.objects.filter(post=OuterRef("pk"), direction=Direction.OUTBOUND)
    conversation_department = replies.order_by("pk").values("conversation__department_id")[:1]
    voice_department = (
        Delivery.objects.filter(post=OuterRef("pk"), voice__department__isnull=False)
        .order_by("pk")
        .values("voice__department_id")[:1]
    )
    author_department = (
        Membership.departments.through.objects.filter(
            membership__person=OuterRef("author_id"), membership__organization=organization
        )
        .order_by("department__name")
        .values("department_id")[:1]
    )
    agency_then = AgencyPeriod.objects.filter(
        organization=organization, person=OuterRef("author_id")
    ).filter(
        Q(started_at__isnull=True) | Q(started_at__lte=OuterRef("published_at")),
        Q(ended_at__isnull=True) | Q(ended_at__gt=OuterRef("published_at")),
    )
    return Post.objects.filter(organization=organization, published_at__isnull=False).annotate(
        is_reply=Exists(replies),
        by_agency=Exists(agency_then),
        department_id=Coalesce(
            Subquery(conversation_department),
            Subquery(voice_department),
            Subquery(author_department),
            output_field=IntegerField(),
        ),
    )


def self_sufficiency(
    organization: Organization,
    start: date,
    end: date,
    *,
    department: Department | None = None,
) -> IndexResult:
    """The index for the months from ``start``'s to ``end``'s (both included, at most ten
    years), optionally for one department only."""
    tz = zoneinfo.ZoneInfo(organization.time_zone)
    starts = month_starts(start, end)
    if not starts:
        starts = [start.replace(day=1)]
    since = datetime.combine(starts[0], time.min, tzinfo=tz)
    until = datetime.combine(next_month(starts[-1]), time.min, tzinfo=tz)
    posts = _counted_posts(organization).filter(published_at__gte=since, published_at__lt=until)
    if department is not None:
        posts = posts.filter(department_id=department.pk)
    rows = (
        posts.annotate(month=TruncMonth("published_at", tzinfo=tz))
        .values("month", "by_agency", "is_reply", "department_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    months = {day: Month(day) for day in starts}
    by_department: dict[int | None, Tally] = {}
    overall = Tally()
    for row in rows:
        month_value = row["month"]
        day = month_value.date() if isinstance(month_value, datetime) else month_value
        month = months.get(day)
        if month is None:
            continue
        is_agency, reply, count = bool(row["by_agency"]), bool(row["is_reply"]), row["n"]
        dept = row["department_id"]
        for tally in (
            month.tally,
            month.departments.setdefault(dept, Tally()),
            by_department.setdefault(dept, Tally()),
            overall,
        ):
            tally.add(agency=is_agency, reply=reply, count=count)
    names = dict(
        Department.objects.filter(pk__in=[d for d in by_department if d]).values_list("pk", "name")
    )
    ordered = [months[day] for day in starts]
    departments = [
        DepartmentRow(
            dept,
            names.get(dept, "") if dept else "No department",
            tally,
            [m.departments.get(dept, Tally()) for m in ordered],
        )
        for dept, tally in sorted(
            by_department.items(), key=lambda item: (item[0] is None, names.get(item[0] or 0, ""))
        )
    ]
    return IndexResult(
        organization,
        ordered,
        departments,
        overall,
        slope(ordered),
        change_over(ordered, 3),
    )


def slope(months: list[Month]) -> float | None:
    """Least-squares slope of the monthly share, points per month; None under two points."""
    points = [(i, m.tally.share) for i, m in enumerate(months) if m.tally.share is not None]
    if len(points) < 2:
        return None
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if not spread:
        return None
    return round(sum((x - mean_x) * (y - mean_y) for x, y in points) / spread, 2)


def change_over(months: list[Month], span: int) -> float | None:
    """The latest share with one minus the share ``span`` months before it (both needed)."""
    latest = next(
        (i for i in range(len(months) - 1, -1, -1) if months[i].tally.share is not None), None
    )
    if latest is None or latest - span < 0:
        return None
    now, then = months[latest].tally.share, months[latest - span].tally.share
    if now is None or then is None:
        return None
    return round(now - then, 1)


def as_csv(result: IndexResult) -> str:
    """Month by month, overall then each department; text cells neutralised for spreadsheets."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["month", "department", "in_house", "agency", "posts", "replies", "share"])
    for i, month in enumerate(result.months):
        rows = [("all", month.tally)] + [(row.name, row.months[i]) for row in result.departments]
        for name, tally in rows:
            writer.writerow(
                [
                    month.label,
                    _cell(name),
                    tally.in_house,
                    tally.agency,
                    tally.posts,
                    tally.replies,
                    "" if tally.share is None else tally.share,
                ]
            )
    return out.getvalue()
