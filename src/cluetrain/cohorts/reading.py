"""What the rotation pages read: a cohort's members with their shifts, placements, learning
progress and inbox activity, and the alumni with what they know. Each in a fixed number of
queries, whatever the number of people."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from cluetrain.cohorts.models import Cohort, CohortMember, Shift
from cluetrain.cohorts.services import alumni_members, check_time_zone
from cluetrain.inbox.models import ConversationEvent, Expertise
from cluetrain.organizations.models import Organization


@dataclass
class Activity:
    """A member's inbox work during the rotation."""

    resolved: int = 0
    replies: int = 0


@dataclass
class MemberRow:
    """One line of the cohort page."""

    member: CohortMember
    activity: Activity
    shifts_this_week: int
    topics: list[tuple[str, bool, float]] = field(default_factory=list)
    progress: Any = None


@dataclass
class Overview:
    """A cohort as its coordinator follows it."""

    cohort: Cohort
    rows: list[MemberRow]
    week: list[Shift]
    week_starts: dt.date
    progress: Any = None
    progress_template: str = ""
    progress_rows: list[tuple[Any, Any]] = field(default_factory=list)


def activity_of(
    organization: Organization, person_ids: list[int], since: dt.datetime, until: dt.datetime
) -> dict[int, Activity]:
    """Conversations resolved and replies sent by each person between two times (one query)."""
    if not person_ids:
        return {}
    rows = (
        ConversationEvent.objects.filter(
            conversation__organization=organization,
            actor_id__in=person_ids,
            created_at__gte=since,
            created_at__lt=until,
            kind__in=["status", "replied"],
        )
        .values("actor_id")
        .annotate(
            resolved=Count("id", filter=Q(kind="status", detail__to="resolved")),
            replies=Count("id", filter=Q(kind="replied")),
        )
    )
    return {r["actor_id"]: Activity(r["resolved"], r["replies"]) for r in rows}


def topics_of(membership_ids: list[int]) -> dict[int, list[tuple[str, bool, float]]]:
    """Each membership's topics, declared or learned from resolved conversations (one query)."""
    found: dict[int, list[tuple[str, bool, float]]] = defaultdict(list)
    for membership_id, topic, declared, weight in (
        Expertise.objects.filter(membership_id__in=membership_ids)
        .filter(Q(declared=True) | Q(weight__gt=0))
        .order_by("-declared", "-weight", "topic")
        .values_list("membership_id", "topic", "declared", "weight")
    ):
        found[membership_id].append((topic, declared, round(weight, 1)))
    return found


def _progress(organization: Organization, person_ids: list[int]) -> tuple[Any, str]:
    """The academy's learning progress, when the academy provides it."""
    try:
        from cluetrain.academy.progress import (  # type: ignore[import-not-found,unused-ignore]
            progress_of_many,
        )
    except ImportError:
        return None, ""
    from django.template import TemplateDoesNotExist
    from django.template.loader import select_template

    try:
        select_template(["academy/_progress_table.html"])
    except TemplateDoesNotExist:
        return progress_of_many(organization, person_ids), ""
    return progress_of_many(organization, person_ids), "academy/_progress_table.html"


def overview(cohort: Cohort, now: dt.datetime | None = None) -> Overview:
    now = now or timezone.now()
    zone = check_time_zone(cohort.time_zone)
    members = list(
        cohort.members.select_related(
            "membership__person", "home_department", "placement_department", "mentor"
        ).order_by("membership__person__full_name", "pk")
    )
    local_today = now.astimezone(zone).date()
    monday = local_today - dt.timedelta(days=local_today.weekday())
    week_start = dt.datetime.combine(monday, dt.time(0), tzinfo=zone)
    week_end = week_start + dt.timedelta(days=7)
    week = list(
        Shift.objects.filter(member__cohort=cohort, starts_at__lt=week_end, ends_at__gt=week_start)
        .select_related("member__membership__person")
        .order_by("starts_at", "pk")
    )
    per_member: dict[int, int] = defaultdict(int)
    for shift in week:
        per_member[shift.member_id] += 1
    since = dt.datetime.combine(cohort.starts_on, dt.time(0), tzinfo=zone)
    until = min(
        now, dt.datetime.combine(cohort.ends_on + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    )
    person_ids = [m.membership.person_id for m in members]
    activity = activity_of(cohort.organization, person_ids, since, until)
    topics = topics_of([m.membership_id for m in members])
    rows = [
        MemberRow(
            member=m,
            activity=activity.get(m.membership.person_id, Activity()),
            shifts_this_week=per_member[m.pk],
            topics=topics.get(m.membership_id, []),
        )
        for m in members
    ]
    progress, template = _progress(cohort.organization, person_ids)
    pairs = []
    for row in rows:
        row.progress = (progress or {}).get(row.member.membership.person_id)
        if row.progress is not None:
            pairs.append((row.member.membership.person, row.progress))
    return Overview(cohort, rows, week, monday, progress, template, pairs)


@dataclass
class Alumnus:
    """Someone placed after a rotation, reachable as an expert and perhaps a mentor."""

    member: CohortMember
    topics: list[tuple[str, bool, float]]


def alumni(organization: Organization) -> list[Alumnus]:
    """The alumni with their placement and topics (two queries)."""
    members = alumni_members(organization)
    topics = topics_of([m.membership_id for m in members])
    return [Alumnus(m, topics.get(m.membership_id, [])) for m in members]


def mentors_offering(organization: Organization) -> list[CohortMember]:
    return [m for m in alumni_members(organization) if m.offers_mentoring]


def my_places(organization: Organization, person_id: int) -> list[CohortMember]:
    """The person's own cohort places, current first."""
    return list(
        CohortMember.objects.filter(
            cohort__organization=organization, membership__person_id=person_id
        )
        .select_related("cohort__centre", "placement_department", "mentor")
        # "immersed" sorts first: the rotation they live in now.
        .order_by("status", "-cohort__starts_on")
    )
