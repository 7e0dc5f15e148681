"""The content calendar's grid: which days a month or week shows, and where each post goes.

Everything is placed by the viewer's wall clock: a post at 23:30 UTC on 24 October is on the
25th for someone in London in summer time. A day's bounds are local midnights converted to UTC,
so a day with a clock change simply holds 23 or 25 hours.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from cluetrain.organizations.models import Person
from cluetrain.publishing.models import Category, Post, PostStatus

VIEWS = ("month", "week")
SHOWN = [
    PostStatus.SCHEDULED,
    PostStatus.PUBLISHING,
    PostStatus.PUBLISHED,
    PostStatus.PAUSED,
    PostStatus.FAILED,
]
# What the author may still drag elsewhere (the service has the last word).
MOVABLE = {PostStatus.SCHEDULED, PostStatus.PAUSED}


def calendar_url() -> str:
    return reverse("publishing:calendar")


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@dataclass(frozen=True)
class Params:
    """What the calendar shows: a view around a day, and the filters."""

    view: str
    day: date
    voice: int | None = None
    department: int | None = None
    category: str = ""

    @classmethod
    def read(cls, query: QueryDict, today: date) -> Params:
        view = query.get("view", "month")
        try:
            day = date.fromisoformat(query.get("date", ""))
        except ValueError:
            day = today
        category = query.get("category", "")
        return cls(
            view=view if view in VIEWS else "month",
            day=day,
            voice=_number(query.get("voice")),
            department=_number(query.get("department")),
            category=category if category in Category.values else "",
        )

    def span(self) -> tuple[date, date]:
        """The first and last day on the grid (whole weeks, Monday first)."""
        if self.view == "week":
            start = self.day - timedelta(days=self.day.weekday())
            return start, start + timedelta(days=6)
        first = self.day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        last = following - timedelta(days=1)
        return first - timedelta(days=first.weekday()), last + timedelta(days=6 - last.weekday())

    def query(self, **changes: Any) -> str:
        params = replace(self, **changes)
        values = {
            "view": params.view,
            "date": params.day.isoformat(),
            "voice": params.voice or "",
            "department": params.department or "",
            "category": params.category,
        }
        return urlencode({key: value for key, value in values.items() if value})

    def step(self, direction: int) -> Params:
        if self.view == "week":
            return replace(self, day=self.day + timedelta(days=7 * direction))
        first = self.day.replace(day=1)
        if direction > 0:
            return replace(self, day=(first + timedelta(days=32)).replace(day=1))
        return replace(self, day=(first - timedelta(days=1)).replace(day=1))


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def within(posts: QuerySet[Post], first: date, last: date, zone: ZoneInfo) -> QuerySet[Post]:
    """Posts whose moment (published, or else scheduled) falls on the grid's days, locally."""
    return posts.annotate(at=Coalesce("published_at", "scheduled_at")).filter(
        at__gte=local_midnight(first, zone),
        at__lt=local_midnight(last + timedelta(days=1), zone),
    )


@dataclass
class Item:
    post: Post
    local: datetime
    movable: bool
    voices: list[str]


@dataclass
class Day:
    day: date
    in_range: bool
    today: bool
    items: list[Item] = field(default_factory=list)


def build(params: Params, posts: list[Post], zone: ZoneInfo, person: Person) -> dict[str, Any]:
    """The grid to render: weeks of days (month) or hours of days (week), items in place."""
    first, last = params.span()
    today = timezone.now().astimezone(zone).date()
    by_day: dict[date, list[Item]] = {}
    for post in posts:
        moment: datetime | None = getattr(post, "at", None)
        if moment is None:
            continue
        local = moment.astimezone(zone)
        by_day.setdefault(local.date(), []).append(
            Item(
                post=post,
                local=local,
                movable=post.status in MOVABLE and post.author_id == person.pk,
                voices=[delivery.voice.name for delivery in post.deliveries.all()],
            )
        )
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    in_month = params.day.month
    grid: dict[str, Any] = {
        "first": first,
        "last": last,
        "today_query": params.query(day=today),
        "previous_query": params.step(-1).query(),
        "next_query": params.step(1).query(),
        "month_query": params.query(view="month"),
        "week_query": params.query(view="week"),
    }
    if params.view == "month":
        cells = [Day(d, d.month == in_month, d == today, by_day.get(d, [])) for d in days]
        grid["weeks"] = [cells[n : n + 7] for n in range(0, len(cells), 7)]
        grid["title"] = f"{params.day:%B %Y}"
    else:
        grid["days"] = [Day(d, True, d == today) for d in days]
        grid["hours"] = [
            {
                "hour": hour,
                "cells": [
                    Day(d, True, d == today, [i for i in by_day.get(d, []) if i.local.hour == hour])
                    for d in days
                ],
            }
            for hour in range(24)
        ]
        grid["title"] = f"Week of {first:%-d %B %Y}"
    return grid
