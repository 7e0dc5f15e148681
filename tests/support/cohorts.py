"""A running cohort in Acme's Customer care (the cast's engagement centre) and its shifts."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from cluetrain.cohorts import services, shifts
from cluetrain.cohorts.models import Cohort, CohortMember, Shift
from cluetrain.inbox.models import Availability
from cluetrain.organizations.models import Membership, Organization, Person
from tests.conftest import Cast


def today() -> dt.date:
    return timezone.now().astimezone(dt.UTC).date()


def next_wednesday(hour: int) -> dt.datetime:
    """Next week's Wednesday at ``hour`` UTC: inside the cohort, a weekday, in the future."""
    day = today() + dt.timedelta(days=7)
    day += dt.timedelta(days=(2 - day.weekday()) % 7)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def membership(organization: Organization, person: Person) -> Membership:
    return Membership.objects.get(organization=organization, person=person)


def running_cohort(cast: Cast, name: str = "Spring cohort", *people: Person) -> Cohort:
    """Started a month ago for seven months, with the trainee and the member by default."""
    starts = today() - dt.timedelta(days=30)
    cohort = services.do_create_cohort(
        cast.coordinator,
        cast.acme,
        name=name,
        centre=cast.care,
        starts_on=starts,
        ends_on=services.add_months(starts, 7),
        time_zone="UTC",
    )
    for person in people or (cast.trainee, cast.member):
        services.do_add_member(cast.coordinator, cohort, membership(cast.acme, person))
    return cohort


def member_of(cohort: Cohort, person: Person) -> CohortMember:
    return CohortMember.objects.select_related("cohort__organization", "membership__person").get(
        cohort=cohort, membership__person=person
    )


def shift(
    cast: Cast, cohort: Cohort, person: Person, starts_at: dt.datetime, hours: int = 4
) -> Shift:
    return shifts.do_add_shift(
        cast.coordinator,
        member_of(cohort, person),
        starts_at,
        starts_at + dt.timedelta(hours=hours),
    )


def online(cast: Cast, person: Person) -> None:
    """Seen in the app just now: available to routing whatever the clock says (working hours
    default to 09:00-17:00 on weekdays, and the suite runs at any hour)."""
    Availability.objects.update_or_create(
        membership=membership(cast.acme, person), defaults={"last_seen_at": timezone.now()}
    )


def mentor_away(cast: Cast) -> None:
    """The cast's mentor is in Customer care and fits every care conversation; keep them out."""
    Availability.objects.update_or_create(
        membership=membership(cast.acme, cast.mentor),
        defaults={"out_of_office_until": timezone.now() + dt.timedelta(days=400)},
    )
