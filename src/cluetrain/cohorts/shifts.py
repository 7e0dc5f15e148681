"""Inbox shifts in the engagement centre: planning them one by one or as a rota, and what
routing asks of them (who is on shift now).

While a shift is on, routing treats its member as one of the centre's people: available (their
own working hours aside) and fitting the centre's conversations. Outside shifts they are
routed as anyone else. When a shift starts, the member picks up what waits in the queue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from cluetrain.cohorts.models import Cohort, CohortMember, CohortStatus, MemberStatus, Shift
from cluetrain.cohorts.services import check_may_manage, check_time_zone
from cluetrain.core import audit
from cluetrain.core.errors import ServiceError
from cluetrain.notifications.services import notify
from cluetrain.organizations.models import Organization, Person

MIN_SHIFT = dt.timedelta(minutes=30)
MAX_SHIFT = dt.timedelta(hours=10)
MAX_ROTA_WEEKS = 8


def _running(now: dt.datetime) -> QuerySet[Shift]:
    """Shifts of members still immersed in the centre, going on at ``now``: the one rule."""
    return Shift.objects.filter(
        member__status=MemberStatus.IMMERSED, starts_at__lte=now, ends_at__gt=now
    )


def on_shift(
    organization_id: int, now: dt.datetime, memberships: Collection[int] | None = None
) -> dict[int, int]:
    """Membership id -> the centre department of everyone on shift now (one query)."""
    rows = _running(now).filter(member__cohort__organization_id=organization_id)
    if memberships is not None:
        rows = rows.filter(membership_id__in=list(memberships))
    return dict(rows.values_list("membership_id", "member__cohort__centre_id"))


def on_shift_exists(now: dt.datetime) -> Exists:
    """The same rule as ``on_shift``, as a subquery for a queryset of memberships (annotate
    a list with it instead of asking once per person)."""
    return Exists(_running(now).filter(membership=OuterRef("pk")))


def _check_span(member: CohortMember, starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise ServiceError("A shift's start and end need their time zone.", code="shift")
    if ends_at <= starts_at:
        raise ServiceError("A shift ends after it starts.", code="shift")
    length = ends_at - starts_at
    if not MIN_SHIFT <= length <= MAX_SHIFT:
        raise ServiceError("A shift lasts between 30 minutes and 10 hours.", code="shift")
    cohort = member.cohort
    zone = check_time_zone(cohort.time_zone)
    first = starts_at.astimezone(zone).date()
    last = ends_at.astimezone(zone).date()
    if first < cohort.starts_on or last > cohort.ends_on:
        raise ServiceError(
            f"Shifts fall within the cohort's dates ({cohort.starts_on:%d %b %Y} to "
            f"{cohort.ends_on:%d %b %Y}).",
            code="shift",
        )
    if member.status != MemberStatus.IMMERSED:
        raise ServiceError("Only people immersed in the centre take its shifts.", code="shift")


def _overlaps(member: CohortMember, starts_at: dt.datetime, ends_at: dt.datetime) -> bool:
    # Across every cohort: one person is never on two shifts at once.
    return Shift.objects.filter(
        membership_id=member.membership_id, starts_at__lt=ends_at, ends_at__gt=starts_at
    ).exists()


def _lock(member: CohortMember) -> None:
    # Two planners adding shifts for one person wait for each other, so the overlap check holds.
    list(CohortMember.objects.select_for_update().filter(membership_id=member.membership_id))


def do_add_shift(
    person: Person, member: CohortMember, starts_at: dt.datetime, ends_at: dt.datetime
) -> Shift:
    """Put one shift on the rota (no overlap with the person's other shifts)."""
    check_may_manage(person, member.cohort.organization)
    _check_span(member, starts_at, ends_at)
    with transaction.atomic():
        _lock(member)
        if _overlaps(member, starts_at, ends_at):
            raise ServiceError(
                f"{member.membership.person.full_name} already has a shift at that time.",
                code="overlap",
            )
        shift = Shift.objects.create(
            member=member, membership_id=member.membership_id, starts_at=starts_at, ends_at=ends_at
        )
        audit.record(member.cohort.organization, person, "cohort.shift_added", shift)
    return shift


def do_remove_shift(person: Person, shift: Shift) -> None:
    check_may_manage(person, shift.member.cohort.organization)
    with transaction.atomic():
        audit.record(shift.member.cohort.organization, person, "cohort.shift_removed", shift)
        shift.delete()


@dataclass(frozen=True)
class Rota:
    """What one run of the rota generator did."""

    created: int
    skipped: int


def _slots(
    cohort: Cohort,
    start: dt.date,
    weeks: int,
    working_days: frozenset[int],
    day_starts: dt.time,
    day_ends: dt.time,
) -> list[tuple[dt.date, dt.datetime, dt.datetime]]:
    zone = check_time_zone(cohort.time_zone)
    day = start
    end = min(cohort.ends_on, start + dt.timedelta(weeks=weeks) - dt.timedelta(days=1))
    slots = []
    while day <= end:
        if day.isoweekday() in working_days:
            begins = dt.datetime.combine(day, day_starts, tzinfo=zone)
            ends = dt.datetime.combine(day, day_ends, tzinfo=zone)
            slots.append((day, begins.astimezone(dt.UTC), ends.astimezone(dt.UTC)))
        day += dt.timedelta(days=1)
    return slots


def do_generate_rota(
    person: Person,
    cohort: Cohort,
    *,
    weeks: int = 2,
    per_day: int = 1,
    day_starts: dt.time = dt.time(9),
    day_ends: dt.time = dt.time(13),
    working_days: str = "12345",
    today: dt.date | None = None,
) -> Rota:
    """Spread shifts over the centre's working days for the next ``weeks``: each day
    ``per_day`` members in turn, the turn counted from the cohort's first day so that running it
    again gives the same rota (what exists is kept, nothing doubles)."""
    organization = cohort.organization
    check_may_manage(person, organization)
    if cohort.status == CohortStatus.ENDED:
        raise ServiceError("This cohort has ended.")
    if not 1 <= weeks <= MAX_ROTA_WEEKS:
        raise ServiceError(f"Plan 1 to {MAX_ROTA_WEEKS} weeks at a time.", code="weeks")
    if not 1 <= per_day <= 20:
        raise ServiceError("Between 1 and 20 people per day.", code="per_day")
    if day_ends <= day_starts:
        raise ServiceError(
            "A shift ends after it starts (overnight shifts are planned one by one)."
        )
    days = frozenset(int(d) for d in working_days if d in "1234567")
    if not days or any(d not in "1234567" for d in working_days):
        raise ServiceError("Working days are weekday numbers 1 (Monday) to 7 (Sunday).")
    members = list(
        cohort.members.filter(status=MemberStatus.IMMERSED)
        .select_related("membership__person")
        .order_by("pk")
    )
    if not members:
        raise ServiceError("Add members to the cohort before planning its rota.")
    zone = check_time_zone(cohort.time_zone)
    now = timezone.now()
    today = today or now.astimezone(zone).date()
    start = max(today, cohort.starts_on)
    # Whose turn a day is counts from the cohort's first day, so a rerun (or a longer plan)
    # gives each day the same people.
    whole = (cohort.ends_on - cohort.starts_on).days // 7 + 2
    all_days = _slots(cohort, cohort.starts_on, whole, days, day_starts, day_ends)
    turn = {day: index for index, (day, _, _) in enumerate(all_days)}
    created = skipped = 0
    first_of: dict[int, dt.datetime] = {}
    with transaction.atomic():
        for day, begins, ends in _slots(cohort, start, weeks, days, day_starts, day_ends):
            if begins < now:
                continue  # a rota plans ahead, never into the past
            for k in range(min(per_day, len(members))):
                member = members[(turn[day] * per_day + k) % len(members)]
                try:
                    _check_span(member, begins, ends)
                except ServiceError:
                    skipped += 1
                    continue
                _lock(member)
                if _overlaps(member, begins, ends):
                    skipped += 1  # already on the rota (or busy elsewhere) then
                    continue
                Shift.objects.create(
                    member=member,
                    membership_id=member.membership_id,
                    starts_at=begins,
                    ends_at=ends,
                )
                created += 1
                first_of.setdefault(member.pk, begins)
        if created:
            audit.record(organization, person, "cohort.rota_planned", cohort, created=created)
        for member in members:
            if member.pk in first_of:
                notify(
                    member.membership.person,
                    "cohort",
                    f"New shifts in {cohort.centre.name}",
                    f"Your next shifts are on the rota of {cohort.name}; the first starts "
                    f"{first_of[member.pk].astimezone(zone):%A %d %B at %H:%M}.",
                    organization=organization,
                    url=reverse("cohorts:index"),
                )
    return Rota(created, skipped)


def start_due_shifts(now: dt.datetime | None = None) -> int:
    """Shifts that have begun: their members pick up what waits for the centre. Each start is
    claimed with a conditional UPDATE, so two runs never handle one twice."""
    from cluetrain.inbox.pickup import pick_up

    now = now or timezone.now()
    due = Shift.objects.filter(
        started_at__isnull=True,
        starts_at__lte=now,
        ends_at__gt=now,
        member__status=MemberStatus.IMMERSED,
    ).select_related("membership")
    picked = 0
    for shift in due[:500]:
        if Shift.objects.filter(pk=shift.pk, started_at__isnull=True).update(started_at=now) != 1:
            continue  # another run got there first
        picked += pick_up(shift.membership, now)
    return picked


def shifts_of(person: Person, organization: Organization, since: dt.datetime) -> list[Shift]:
    """A person's own shifts from ``since`` on, soonest first."""
    return list(
        Shift.objects.filter(
            Q(ends_at__gt=since),
            membership__person=person,
            membership__organization=organization,
        )
        .select_related("member__cohort__centre")
        .order_by("starts_at")[:100]
    )
