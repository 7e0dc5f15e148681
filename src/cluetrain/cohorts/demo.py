"""Acme Rail's rotations for the demo: Customer care is the engagement centre; this season's
cohort (Tom and Sofia) is on the rota, and Priya, from last year's cohort, was placed in
Engineering, still knows refunds and bookings, and mentors Tom."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from cluetrain.cohorts import services, shifts
from cluetrain.cohorts.models import Cohort, CohortMember, CohortStatus, MemberStatus
from cluetrain.inbox.models import Expertise
from cluetrain.organizations.models import Department, Membership, Organization, Person

CURRENT = "Engagement centre, autumn"
EARLIER = "Engagement centre, last year"


def _membership(organization: Organization, person: Person) -> Membership:
    return Membership.objects.get(organization=organization, person=person)


@transaction.atomic
def load(organization: Organization, people: dict[str, Person]) -> None:
    """Add the demo's cohorts; running it again adds nothing."""
    care = Department.objects.get(organization=organization, slug="customer-care")
    engineering = Department.objects.get(organization=organization, slug="engineering")
    carla = people["carla"]
    today = services.today_in(organization.time_zone)
    _alumnus(organization, care, engineering, carla, people["priya"], today)
    cohort = Cohort.objects.filter(organization=organization, name=CURRENT).first()
    if cohort is None:
        starts = today - dt.timedelta(days=60)
        cohort = services.do_create_cohort(
            carla,
            organization,
            name=CURRENT,
            centre=care,
            starts_on=starts,
            ends_on=services.add_months(starts, 6),
        )
    for key in ("tom", "sofia"):
        services.do_add_member(carla, cohort, _membership(organization, people[key]))
    # Two months in, each has started to learn the centre's topics.
    for key, topic, weight in (("tom", "refund", 0.8), ("sofia", "booking", 0.5)):
        Expertise.objects.get_or_create(
            membership=_membership(organization, people[key]),
            topic=topic,
            defaults={"declared": False, "weight": weight},
        )
    tom = CohortMember.objects.get(cohort=cohort, membership__person=people["tom"])
    if tom.mentor_id is None:
        services.do_choose_mentor(people["tom"], tom, people["priya"])
    if cohort.status != CohortStatus.ENDED:
        # Two weeks ahead from today; what is planned already stays as it is.
        shifts.do_generate_rota(carla, cohort, weeks=2, day_starts=dt.time(9), day_ends=dt.time(13))


def _alumnus(
    organization: Organization,
    care: Department,
    engineering: Department,
    carla: Person,
    priya: Person,
    today: dt.date,
) -> None:
    """Last year's cohort, ended, with Priya placed in Engineering when it ended."""
    starts = services.add_months(today, -12)
    cohort, _ = Cohort.objects.get_or_create(
        organization=organization,
        name=EARLIER,
        defaults={
            "centre": care,
            "starts_on": starts,
            "ends_on": services.add_months(starts, 9),
            "time_zone": organization.time_zone,
            "status": CohortStatus.ENDED,
            "coordinator": carla,
        },
    )
    membership = _membership(organization, priya)
    CohortMember.objects.get_or_create(
        cohort=cohort,
        membership=membership,
        defaults={
            "placement_department": engineering,
            "placement_on": cohort.ends_on,
            "placed_at": timezone.now(),
            "status": MemberStatus.PLACED,
            "offers_mentoring": True,
        },
    )
    membership.departments.add(engineering)
    # What she learned answering customers in the centre.
    for topic, weight in (("refund", 2.2), ("booking", 1.4)):
        Expertise.objects.get_or_create(
            membership=membership, topic=topic, defaults={"declared": False, "weight": weight}
        )
