"""Cohorts and their members: who may run a rotation, the rules of its dates, who is in it, and
the alumni who mentor newer members.

Directors, coordinators and administrators (``MANAGE_INBOX``: a rotation is inbox staffing)
create cohorts, add members, plan shifts and place people. A member sees their own shifts and
chooses a mentor among the alumni who offer; an alumnus decides whether they offer.
"""

from __future__ import annotations

import calendar
import datetime as dt
import unicodedata
import zoneinfo

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from cluetrain.cohorts.models import Cohort, CohortMember, CohortStatus, MemberStatus
from cluetrain.core import audit
from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.inbox.business_hours import InvalidBusinessHours, parse_time_zone
from cluetrain.notifications.services import notify
from cluetrain.organizations import policy
from cluetrain.organizations.models import Department, Membership, Organization, Person
from cluetrain.organizations.policy import Permission

MIN_MONTHS = 6
MAX_MONTHS = 12
MAX_NAME = 120


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def check_dates(starts_on: dt.date | None, ends_on: dt.date | None) -> None:
    """A rotation immerses people for six months to a year: refuse anything else."""
    if not isinstance(starts_on, dt.date) or not isinstance(ends_on, dt.date):
        raise ServiceError("A cohort needs a start date and an end date.", code="dates")
    if ends_on <= starts_on:
        raise ServiceError("A cohort ends after it starts.", code="dates")
    earliest, latest = add_months(starts_on, MIN_MONTHS), add_months(starts_on, MAX_MONTHS)
    if not earliest <= ends_on <= latest:
        raise ServiceError(
            f"A rotation lasts {MIN_MONTHS} to {MAX_MONTHS} months: starting on "
            f"{starts_on:%d %B %Y}, it ends between {earliest:%d %B %Y} and {latest:%d %B %Y}.",
            code="dates",
        )


def check_time_zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return parse_time_zone(name)
    except InvalidBusinessHours as exc:
        raise ServiceError(str(exc), code="time_zone") from exc


def check_may_manage(person: Person, organization: Organization) -> None:
    policy.require(person, organization, Permission.MANAGE_INBOX)


def may_manage(person: Person, organization: Organization) -> bool:
    return policy.can(person, organization, Permission.MANAGE_INBOX)


def may_view_cohort(person: Person, organization: Organization) -> bool:
    """Coordinators follow their cohorts; mentors (who manage the academy) follow progress."""
    return may_manage(person, organization) or policy.can(
        person, organization, Permission.MANAGE_ACADEMY
    )


def status_on(cohort: Cohort, today: dt.date) -> str:
    if today < cohort.starts_on:
        return CohortStatus.PLANNED
    return CohortStatus.RUNNING if today <= cohort.ends_on else CohortStatus.ENDED


def today_in(zone_name: str, now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(check_time_zone(zone_name)).date()


def _name(name: str) -> str:
    # Control and format characters (NUL, direction overrides, zero-width) would let a name
    # look like another one or reorder the page around it.
    name = "".join(
        ch for ch in unicodedata.normalize("NFC", name or "") if unicodedata.category(ch)[0] != "C"
    )
    name = " ".join(name.split())
    if not name:
        raise ServiceError("A cohort needs a name.", code="name")
    if len(name) > MAX_NAME:
        raise ServiceError(f"A cohort's name has at most {MAX_NAME} characters.", code="name")
    return name


def do_create_cohort(
    person: Person,
    organization: Organization,
    *,
    name: str,
    centre: Department,
    starts_on: dt.date,
    ends_on: dt.date,
    time_zone: str | None = None,
    coordinator: Person | None = None,
) -> Cohort:
    """Plan a rotation in the organisation's engagement centre."""
    check_may_manage(person, organization)
    name = _name(name)
    check_dates(starts_on, ends_on)
    zone = time_zone or organization.time_zone
    check_time_zone(zone)
    if centre.organization_id != organization.pk:
        raise ServiceError("The engagement centre is a department of this organisation.")
    coordinator = coordinator or person
    if not may_manage(coordinator, organization):
        raise ServiceError(f"{coordinator.full_name} cannot coordinate a cohort here.")
    cohort = Cohort(
        organization=organization,
        name=name,
        centre=centre,
        starts_on=starts_on,
        ends_on=ends_on,
        time_zone=zone,
        coordinator=coordinator,
    )
    cohort.status = status_on(cohort, today_in(zone))
    try:
        with transaction.atomic():
            cohort.save()
            audit.record(organization, person, "cohort.created", cohort, name=name)
    except IntegrityError as exc:
        raise ServiceError(f"There is already a cohort called {name!r}.", code="name") from exc
    return cohort


def cohort_url(cohort: Cohort) -> str:
    return reverse("cohorts:cohort", args=[cohort.pk])


def do_add_member(person: Person, cohort: Cohort, membership: Membership) -> CohortMember:
    """Immerse someone in the centre with this cohort (one rotation at a time)."""
    organization = cohort.organization
    check_may_manage(person, organization)
    if membership.organization_id != organization.pk or not membership.is_active:
        raise ServiceError("Only active members of this organisation join its cohorts.")
    if cohort.status == CohortStatus.ENDED:
        raise ServiceError("This cohort has ended.")
    if not policy.can(membership.person, organization, Permission.WORK_INBOX):
        raise ServiceError(f"{membership.person.full_name} does not work the inbox.")
    elsewhere = CohortMember.objects.filter(
        membership=membership, status=MemberStatus.IMMERSED
    ).exclude(cohort=cohort)
    if elsewhere.exists():
        raise ServiceError(f"{membership.person.full_name} is already immersed in another cohort.")
    home = membership.departments.exclude(pk=cohort.centre_id).order_by("name").first()
    with transaction.atomic():
        member, created = CohortMember.objects.get_or_create(
            cohort=cohort, membership=membership, defaults={"home_department": home}
        )
        if not created:
            return member
        audit.record(
            organization, person, "cohort.member_added", cohort, person=membership.person_id
        )
        notify(
            membership.person,
            "cohort",
            f"You join {cohort.name} in {cohort.centre.name}",
            f"From {cohort.starts_on:%d %B %Y} to {cohort.ends_on:%d %B %Y} you take inbox "
            f"shifts in {cohort.centre.name}; then you are placed in a department.",
            organization=organization,
            url=reverse("cohorts:index"),
        )
    return member


def do_remove_member(person: Person, member: CohortMember) -> None:
    """Someone leaves the rotation early: their shifts to come are dropped, history stays."""
    organization = member.cohort.organization
    check_may_manage(person, organization)
    now = timezone.now()
    with transaction.atomic():
        CohortMember.objects.filter(pk=member.pk).update(status=MemberStatus.LEFT)
        member.shifts.filter(starts_at__gte=now).delete()
        member.shifts.filter(starts_at__lt=now, ends_at__gt=now).update(ends_at=now)
        member.status = MemberStatus.LEFT
        audit.record(organization, person, "cohort.member_left", member.cohort, member=member.pk)


def alumni_members(organization: Organization) -> list[CohortMember]:
    """Everyone placed after a rotation in this organisation, newest first."""
    return list(
        CohortMember.objects.filter(
            cohort__organization=organization,
            status=MemberStatus.PLACED,
            membership__is_active=True,
        )
        .select_related("membership__person", "placement_department", "cohort")
        .order_by("-placement_on", "pk")
    )


def do_offer_mentoring(person: Person, member: CohortMember, offers: bool) -> None:
    """An alumnus says whether newer cohort members may choose them as a mentor."""
    if member.membership.person_id != person.pk:
        raise NotAllowed("Only the alumnus themselves offers to mentor.")
    policy.require(person, member.cohort.organization, Permission.VIEW_ORGANIZATION)
    if member.status != MemberStatus.PLACED:
        raise ServiceError("Mentoring is offered once placed after the rotation.")
    CohortMember.objects.filter(pk=member.pk).update(offers_mentoring=bool(offers))
    member.offers_mentoring = bool(offers)


def do_choose_mentor(person: Person, member: CohortMember, mentor: Person | None) -> None:
    """A cohort member (or their coordinator) chooses an alumnus who offers to mentor."""
    organization = member.cohort.organization
    if member.membership.person_id != person.pk:
        check_may_manage(person, organization)
    else:
        policy.require(person, organization, Permission.VIEW_ORGANIZATION)
    if mentor is not None:
        offering = CohortMember.objects.filter(
            Q(cohort__organization=organization),
            membership__person=mentor,
            membership__is_active=True,
            status=MemberStatus.PLACED,
            offers_mentoring=True,
        )
        if mentor.pk == member.membership.person_id or not offering.exists():
            raise ServiceError("Choose an alumnus who offers to mentor.")
    with transaction.atomic():
        CohortMember.objects.filter(pk=member.pk).update(mentor=mentor)
        member.mentor = mentor
        audit.record(
            organization,
            person,
            "cohort.mentor_chosen",
            member.cohort,
            mentor=getattr(mentor, "pk", None),
        )
    if mentor is not None:
        notify(
            mentor,
            "cohort",
            f"{member.membership.person.full_name} chose you as a mentor",
            f"They are in {member.cohort.name}, immersed in {member.cohort.centre.name}.",
            organization=organization,
            url=reverse("cohorts:alumni"),
        )


def advance_statuses(now: dt.datetime | None = None) -> int:
    """Planned cohorts start and running ones end on their dates (each in its own time zone);
    conditional updates, so running it twice changes nothing more."""
    now = now or timezone.now()
    changed = 0
    for cohort in Cohort.objects.exclude(status=CohortStatus.ENDED):
        wanted = status_on(cohort, today_in(cohort.time_zone, now))
        if wanted != cohort.status:
            changed += Cohort.objects.filter(pk=cohort.pk, status=cohort.status).update(
                status=wanted
            )
    return changed
