"""Placement, the "disperse" of immerse-and-disperse: after the rotation a member joins a
department on a given date and leaves the centre's rota.

What they learned in the centre stays: inbox expertise belongs to the person's membership, not
to the cohort, so routing keeps sending them the topics they know, now from their department.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cluetrain.cohorts.models import CohortMember, MemberStatus
from cluetrain.cohorts.services import check_may_manage, today_in
from cluetrain.core import audit
from cluetrain.core.errors import ServiceError
from cluetrain.notifications.services import notify
from cluetrain.organizations.models import Department, Person


def do_place(
    person: Person, member: CohortMember, department: Department, *, on: dt.date
) -> CohortMember:
    """Record where a member goes after the rotation and from when; it takes effect at once
    when that date is today or past, else on the day (``place_due``)."""
    cohort = member.cohort
    organization = cohort.organization
    check_may_manage(person, organization)
    if department.organization_id != organization.pk:
        raise ServiceError("Place people in a department of this organisation.")
    if department.pk == cohort.centre_id:
        raise ServiceError("A placement leaves the engagement centre for another department.")
    if not isinstance(on, dt.date):
        raise ServiceError("A placement needs its date.")
    if on < cohort.starts_on:
        raise ServiceError("A placement comes after the rotation has started.")
    if member.status != MemberStatus.IMMERSED:
        raise ServiceError(f"{member.membership.person.full_name} is not immersed in the centre.")
    with transaction.atomic():
        CohortMember.objects.filter(pk=member.pk, status=MemberStatus.IMMERSED).update(
            placement_department=department, placement_on=on
        )
        member.placement_department, member.placement_on = department, on
        audit.record(
            organization,
            person,
            "cohort.placement_planned",
            cohort,
            member=member.pk,
            department=department.pk,
            on=on.isoformat(),
        )
        notify(
            member.membership.person,
            "cohort",
            f"Your placement: {department.name} from {on:%d %B %Y}",
            f"After {cohort.name} in {cohort.centre.name} you join {department.name}. What you "
            "learned in the centre stays with you: colleagues keep finding you as an expert.",
            organization=organization,
            url=reverse("cohorts:index"),
        )
    if on <= today_in(cohort.time_zone):
        apply_placement(member)
        member.refresh_from_db()
    return member


def apply_placement(member: CohortMember, now: dt.datetime | None = None) -> bool:
    """Make a recorded placement take effect: join the department, leave the rota. Claimed with
    a conditional UPDATE on the member's status, so it happens once however often it runs."""
    now = now or timezone.now()
    if member.placement_department_id is None or member.placement_on is None:
        return False
    with transaction.atomic():
        won = CohortMember.objects.filter(
            pk=member.pk, status=MemberStatus.IMMERSED, placement_department__isnull=False
        ).update(status=MemberStatus.PLACED, placed_at=now)
        if won != 1:
            return False
        member.membership.departments.add(member.placement_department_id)
        # The rota ahead is dropped; a shift under way ends now.
        member.shifts.filter(starts_at__gte=now).delete()
        member.shifts.filter(starts_at__lt=now, ends_at__gt=now).update(ends_at=now)
        audit.record(
            member.cohort.organization,
            None,
            "cohort.placed",
            member.cohort,
            member=member.pk,
            department=member.placement_department_id,
        )
    return True


def place_due(now: dt.datetime | None = None) -> int:
    """Placements whose date has come (in each cohort's time zone); safe to run twice."""
    now = now or timezone.now()
    # A day's margin covers every time zone; each is checked against its own today below.
    horizon = (now + dt.timedelta(days=1)).date()
    due = CohortMember.objects.filter(
        status=MemberStatus.IMMERSED,
        placement_department__isnull=False,
        placement_on__lte=horizon,
    ).select_related("cohort__organization", "membership")
    placed = 0
    for member in due[:500]:
        assert member.placement_on is not None
        if member.placement_on <= today_in(member.cohort.time_zone, now):
            placed += apply_placement(member, now)
    return placed
