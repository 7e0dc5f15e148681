"""The rotation pages: cohorts for coordinators, a member's own shifts, the alumni; and the
demo's rotations."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cluetrain.cohorts import placement, shifts
from cluetrain.cohorts.models import Cohort, CohortMember, MemberStatus, Shift
from cluetrain.inbox import pickup
from cluetrain.inbox.models import Question, Status
from cluetrain.organizations.models import Department, Person
from cluetrain.organizations.roles import Role
from cluetrain.organizations.services import do_add_member
from tests.conftest import Cast
from tests.support.cohorts import member_of, mentor_away, online, running_cohort, today
from tests.support.routing import conversation


@pytest.fixture
def engineering(cast: Cast) -> Department:
    found, _ = Department.objects.get_or_create(
        organization=cast.acme, slug="engineering", defaults={"name": "Engineering"}
    )
    return found


def test_a_coordinator_plans_a_cohort_from_the_page(cast: Cast) -> None:
    client = cast.client(cast.coordinator)
    assert b"Plan a cohort" in client.get(reverse("cohorts:index")).content
    starts = today()
    response = client.post(
        reverse("cohorts:create"),
        {
            "name": "<script>alert(1)</script> cohort",
            "centre": cast.care.pk,
            "starts_on": starts.isoformat(),
            "ends_on": (starts + dt.timedelta(days=200)).isoformat(),
            "time_zone": "Europe/London",
        },
        follow=True,
    )
    cohort = Cohort.objects.get(organization=cast.acme)
    assert cohort.time_zone == "Europe/London"
    assert b"&lt;script&gt;alert(1)&lt;/script&gt; cohort" in response.content
    assert b"<script>alert(1)</script>" not in response.content


def test_the_page_says_why_dates_are_refused(cast: Cast) -> None:
    starts = today()
    response = cast.client(cast.coordinator).post(
        reverse("cohorts:create"),
        {
            "name": "Short",
            "centre": cast.care.pk,
            "starts_on": starts.isoformat(),
            "ends_on": (starts + dt.timedelta(days=120)).isoformat(),
        },
        follow=True,
    )
    assert b"A rotation lasts 6 to 12 months" in response.content
    assert not Cohort.objects.filter(name="Short").exists()
    bad = cast.client(cast.coordinator).post(
        reverse("cohorts:create"),
        {"name": "Odd", "centre": cast.care.pk, "starts_on": "2026-02-30", "ends_on": "x"},
        follow=True,
    )
    assert b"Enter a valid date" in bad.content


def test_a_trainee_cannot_plan_a_cohort(cast: Cast) -> None:
    client = cast.client(cast.trainee)
    assert b"Plan a cohort" not in client.get(reverse("cohorts:index")).content
    response = client.post(reverse("cohorts:create"), {"name": "Mine"})
    assert response.status_code == 403
    assert not Cohort.objects.filter(name="Mine").exists()


def test_members_see_their_own_shifts_and_not_the_cohort_page(cast: Cast) -> None:
    cohort = running_cohort(cast)
    monday = today() + dt.timedelta(days=7 - today().weekday())
    shifts.do_generate_rota(cast.coordinator, cohort, weeks=1, today=monday)
    client = cast.client(cast.trainee)
    page = client.get(reverse("cohorts:index")).content.decode()
    assert "Your shifts" in page
    assert "Spring cohort in Customer care" in page
    assert (
        page.count("<td>Customer care</td>")
        == Shift.objects.filter(membership__person=cast.trainee).count()
    )
    assert client.get(reverse("cohorts:cohort", args=[cohort.pk])).status_code == 403


def test_outsiders_see_nothing_of_another_organisation_s_cohorts(cast: Cast) -> None:
    cohort = running_cohort(cast)
    client = cast.client(cast.outsider)
    assert client.get(reverse("cohorts:cohort", args=[cohort.pk])).status_code == 404
    assert b"Spring cohort" not in client.get(reverse("cohorts:index")).content
    assert client.post(reverse("cohorts:rota", args=[cohort.pk])).status_code == 404
    anonymous = cast.client(cast.outsider)
    anonymous.logout()
    assert anonymous.get(reverse("cohorts:alumni")).status_code == 302


def test_a_mentor_follows_a_cohort_without_managing_it(cast: Cast) -> None:
    cohort = running_cohort(cast)
    client = cast.client(cast.mentor)
    page = client.get(reverse("cohorts:cohort", args=[cohort.pk])).content.decode()
    assert "Tess Trainee" in page
    assert "Plan shifts" not in page
    refused = client.post(
        reverse("cohorts:rota", args=[cohort.pk]),
        {"weeks": 1, "per_day": 1, "day_starts": "09:00", "day_ends": "12:00"},
    )
    assert refused.status_code == 403
    assert not Shift.objects.filter(member__cohort=cohort).exists()


def test_the_coordinator_adds_members_plans_the_rota_and_places_from_the_page(
    cast: Cast, engineering: Department
) -> None:
    cohort = running_cohort(cast, "Page cohort", cast.trainee)
    client = cast.client(cast.coordinator)
    from tests.support.cohorts import membership

    added = client.post(
        reverse("cohorts:add_member", args=[cohort.pk]),
        {"membership": membership(cast.acme, cast.operations).pk},
        follow=True,
    )
    assert b"Otto Operations joins the cohort." in added.content
    planned = client.post(
        reverse("cohorts:rota", args=[cohort.pk]),
        {"weeks": 2, "per_day": 1, "day_starts": "09:00", "day_ends": "12:00"},
        follow=True,
    )
    assert b"shifts planned" in planned.content
    assert Shift.objects.filter(member__cohort=cohort).exists()
    trainee = member_of(cohort, cast.trainee)
    placed = client.post(
        reverse("cohorts:place", args=[trainee.pk]),
        {"department": engineering.pk, "on": today().isoformat()},
        follow=True,
    )
    assert b"Tess Trainee placed in Engineering." in placed.content
    assert CohortMember.objects.get(pk=trainee.pk).status == MemberStatus.PLACED


def test_the_cohort_page_shows_activity_and_costs_the_same_queries_for_more_members(
    cast: Cast, django_assert_max_num_queries: object
) -> None:
    mentor_away(cast)
    small = running_cohort(cast, "Small", cast.trainee)
    done = conversation(cast.acme, topic="refund", assignee=cast.trainee, status=Status.OPEN)
    from cluetrain.inbox.services import do_set_status

    do_set_status(cast.trainee, [done], Status.RESOLVED)
    pickup.learn_from_resolution(done, cast.trainee)
    client = cast.client(cast.coordinator)

    def cost(cohort: Cohort) -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("cohorts:cohort", args=[cohort.pk]))
        return len(queries), page.content.decode()

    few, page = cost(small)
    assert '<td class="num">1</td>' in page  # one conversation resolved
    assert "refund" in page
    people = []
    for n in range(8):
        person = Person.objects.create_user(f"rotation{n}@example.com", "x", full_name=f"Rota {n}")
        do_add_member(cast.acme, person, [Role.MEMBER])
        people.append(person)
    big = running_cohort(cast, "Big", *people)
    shifts.do_generate_rota(cast.coordinator, big, weeks=1, per_day=3)
    many, _ = cost(big)
    assert many <= few + 1
    with django_assert_max_num_queries(30):  # type: ignore[operator]
        client.get(reverse("cohorts:cohort", args=[big.pk]))
    with django_assert_max_num_queries(25):  # type: ignore[operator]
        client.get(reverse("cohorts:index"))


def test_alumni_are_listed_with_their_placement_and_topics_and_can_be_asked(
    cast: Cast, engineering: Department, django_assert_max_num_queries: object
) -> None:
    mentor_away(cast)
    online(cast, cast.trainee)
    cohort = running_cohort(cast)
    resolved = conversation(cast.acme, topic="delay-repay", status=Status.RESOLVED)
    pickup.learn_from_resolution(resolved, cast.trainee)
    placement.do_place(cast.coordinator, member_of(cohort, cast.trainee), engineering, on=today())
    client = cast.client(cast.member)
    with django_assert_max_num_queries(15):  # type: ignore[operator]
        page = client.get(reverse("cohorts:alumni")).content.decode()
    assert "Tess Trainee" in page
    assert "Engineering, since" in page
    assert "?topic=delay-repay#ask" in page
    assert "<td>Milo Member</td>" not in page  # still immersed: not an alumnus
    asked = client.post(
        reverse("cohorts:ask"),
        {"topic": "delay-repay", "question": "Can a season ticket be refunded after a strike?"},
        follow=True,
    )
    assert b"Asked; Tess Trainee will see it." in asked.content
    assert Question.objects.get(asked_by=cast.member).routed_to == cast.trainee
    empty = client.post(reverse("cohorts:ask"), {"topic": "x", "question": ""}, follow=True)
    assert b"This field is required" in empty.content
    huge = client.post(reverse("cohorts:ask"), {"topic": "x" * 61, "question": "?"}, follow=True)
    assert b"at most 60 characters" in huge.content
    assert Question.objects.count() == 1


def test_an_alumnus_offers_to_mentor_and_a_newer_member_chooses_them(
    cast: Cast, engineering: Department
) -> None:
    first = running_cohort(cast, "First", cast.trainee)
    placement.do_place(cast.coordinator, member_of(first, cast.trainee), engineering, on=today())
    alumnus = member_of(first, cast.trainee)
    cast.client(cast.trainee).post(
        reverse("cohorts:offer_mentoring", args=[alumnus.pk]), {"offers": "1"}
    )
    assert CohortMember.objects.get(pk=alumnus.pk).offers_mentoring
    fragment = cast.client(cast.trainee).post(
        reverse("cohorts:offer_mentoring", args=[alumnus.pk]),
        {"offers": "0"},
        HTTP_HX_REQUEST="true",
    )
    assert fragment.content.decode().startswith(f'<td id="mentoring-{alumnus.pk}">')
    assert b"Offer to mentor" in fragment.content
    assert not CohortMember.objects.get(pk=alumnus.pk).offers_mentoring
    cast.client(cast.trainee).post(
        reverse("cohorts:offer_mentoring", args=[alumnus.pk]), {"offers": "1"}
    )
    newer = running_cohort(cast, "Newer", cast.member)
    client = cast.client(cast.member)
    assert b"Tess Trainee (Engineering)" in client.get(reverse("cohorts:index")).content
    mine = member_of(newer, cast.member)
    client.post(reverse("cohorts:choose_mentor", args=[mine.pk]), {"mentor": cast.trainee.pk})
    assert CohortMember.objects.get(pk=mine.pk).mentor == cast.trainee
    stranger = client.post(
        reverse("cohorts:choose_mentor", args=[mine.pk]), {"mentor": cast.outsider.pk}
    )
    assert stranger.status_code == 404
    assert CohortMember.objects.get(pk=mine.pk).mentor == cast.trainee
    still_immersed = client.post(
        reverse("cohorts:offer_mentoring", args=[mine.pk]), {"offers": "1"}, HTTP_HX_REQUEST="true"
    )
    assert still_immersed.status_code == 400
    assert b"once placed" in still_immersed.content


def test_the_demo_s_rotations_load_twice_without_doubling(db: None) -> None:
    from cluetrain.cohorts import demo
    from cluetrain.core.demo import PEOPLE, load_demo
    from cluetrain.notifications.models import Notification

    organization = load_demo()
    people = {spec.first.lower(): Person.objects.get(email=spec.email) for spec in PEOPLE}
    demo.load(organization, people)
    counts = (
        Cohort.objects.count(),
        CohortMember.objects.count(),
        Shift.objects.count(),
        Notification.objects.count(),
    )
    demo.load(organization, people)
    assert (
        Cohort.objects.count(),
        CohortMember.objects.count(),
        Shift.objects.count(),
        Notification.objects.count(),
    ) == counts
    running = Cohort.objects.get(organization=organization, name=demo.CURRENT)
    assert running.centre.name == "Customer care"
    assert set(running.members.values_list("membership__person__full_name", flat=True)) == {
        "Tom Fischer",
        "Sofia Rossi",
    }
    alumnus = CohortMember.objects.get(status=MemberStatus.PLACED)
    assert alumnus.membership.person.full_name == "Priya Raman"
    assert alumnus.placement_department is not None
    assert alumnus.placement_department.name == "Engineering"
    tom = running.members.get(membership__person__full_name="Tom Fischer")
    assert tom.mentor == alumnus.membership.person


def test_a_shift_is_added_in_the_centre_s_local_time_and_removed_from_the_page(
    cast: Cast,
) -> None:
    from tests.support.cohorts import next_wednesday

    cohort = running_cohort(cast)
    Cohort.objects.filter(pk=cohort.pk).update(time_zone="Europe/Berlin")
    trainee = member_of(cohort, cast.trainee)
    client = cast.client(cast.coordinator)
    day = next_wednesday(0).date().isoformat()
    url = reverse("cohorts:add_shift", args=[cohort.pk])
    added = client.post(
        url,
        {"member": trainee.pk, "starts_at": f"{day}T10:00", "ends_at": f"{day}T14:00"},
        follow=True,
    )
    assert b"Shift added for Tess Trainee." in added.content
    shift = Shift.objects.get(member=trainee)
    assert (shift.starts_at.astimezone(dt.UTC).hour, shift.ends_at.astimezone(dt.UTC).hour) == (
        9,
        13,
    )
    overlapping = client.post(
        url,
        {"member": trainee.pk, "starts_at": f"{day}T12:00", "ends_at": f"{day}T15:00"},
        follow=True,
    )
    assert b"Tess Trainee already has a shift at that time." in overlapping.content
    garbage = client.post(
        url, {"member": trainee.pk, "starts_at": "tomorrow-ish", "ends_at": ""}, follow=True
    )
    assert b"Enter a valid date/time" in garbage.content
    assert Shift.objects.filter(member=trainee).count() == 1
    refused = cast.client(cast.trainee).post(reverse("cohorts:remove_shift", args=[shift.pk]))
    assert refused.status_code == 403
    removed = client.post(reverse("cohorts:remove_shift", args=[shift.pk]), follow=True)
    assert b"Shift removed." in removed.content
    assert not Shift.objects.filter(member=trainee).exists()


def test_the_placement_form_offers_the_home_department_first(cast: Cast) -> None:
    marketing = Department.objects.create(organization=cast.acme, name="Marketing", slug="mkt")
    from cluetrain.organizations.models import Membership

    Membership.objects.get(organization=cast.acme, person=cast.member).departments.add(marketing)
    cohort = running_cohort(cast)
    page = cast.client(cast.coordinator).get(reverse("cohorts:cohort", args=[cohort.pk]))
    html = page.content.decode()
    assert f'<option value="{marketing.pk}" selected>Marketing</option>' in html
    assert ">Customer care</option>" not in html  # never placed into the centre
