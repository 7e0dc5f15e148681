"""Cohorts' rules: the dates of a rotation, its members, its shifts and its rota."""

from __future__ import annotations

import datetime as dt

import pytest

from cluetrain.cohorts import services, shifts
from cluetrain.cohorts.models import Cohort, CohortStatus, Shift
from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.notifications.models import Notification
from tests.conftest import Cast
from tests.support.cohorts import (
    member_of,
    membership,
    next_wednesday,
    running_cohort,
    shift,
    today,
)

START = dt.date(2026, 3, 1)


def _create(cast: Cast, **fields: object) -> Cohort:
    values: dict[str, object] = {
        "name": "Autumn cohort",
        "centre": cast.care,
        "starts_on": START,
        "ends_on": dt.date(2026, 9, 1),
        **fields,
    }
    return services.do_create_cohort(cast.coordinator, cast.acme, **values)  # type: ignore[arg-type]


def test_a_rotation_of_six_to_twelve_months_is_accepted(cast: Cast) -> None:
    six = _create(cast, name="Six", ends_on=dt.date(2026, 9, 1))
    twelve = _create(cast, name="Twelve", ends_on=dt.date(2027, 3, 1))
    assert (six.ends_on, twelve.ends_on) == (dt.date(2026, 9, 1), dt.date(2027, 3, 1))
    assert six.coordinator == cast.coordinator
    assert six.time_zone == cast.acme.time_zone


@pytest.mark.parametrize(
    "ends_on",
    [dt.date(2026, 8, 1), dt.date(2026, 8, 31), dt.date(2027, 3, 2), dt.date(2027, 4, 1)],
    ids=["five months", "a day short of six", "a day over twelve", "thirteen months"],
)
def test_a_rotation_shorter_than_six_or_longer_than_twelve_months_is_refused(
    cast: Cast, ends_on: dt.date
) -> None:
    with pytest.raises(ServiceError, match="6 to 12 months") as refused:
        _create(cast, ends_on=ends_on)
    assert "01 September 2026" in str(refused.value)
    assert "01 March 2027" in str(refused.value)
    assert not Cohort.objects.filter(name="Autumn cohort").exists()


def test_a_rotation_ending_before_it_starts_is_refused(cast: Cast) -> None:
    with pytest.raises(ServiceError, match="ends after it starts"):
        _create(cast, ends_on=START - dt.timedelta(days=1))
    with pytest.raises(ServiceError, match="ends after it starts"):
        _create(cast, ends_on=START)
    with pytest.raises(ServiceError, match="start date and an end date"):
        _create(cast, ends_on=None)


def test_the_month_arithmetic_keeps_to_the_end_of_short_months() -> None:
    assert services.add_months(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 28)
    assert services.add_months(dt.date(2024, 8, 31), 6) == dt.date(2025, 2, 28)
    assert services.add_months(dt.date(2026, 12, 15), 1) == dt.date(2027, 1, 15)


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../etc/passwd", "Europe/London\x00"])
def test_an_unknown_time_zone_is_refused(cast: Cast, zone: str) -> None:
    with pytest.raises(ServiceError, match="time zone"):
        _create(cast, time_zone=zone or "Nowhere")
    assert not Cohort.objects.filter(name="Autumn cohort").exists()


@pytest.mark.parametrize("name", ["", "   ", "x" * 121])
def test_a_cohort_needs_a_name_of_bounded_length(cast: Cast, name: str) -> None:
    with pytest.raises(ServiceError, match="name"):
        _create(cast, name=name)


def test_a_cohort_s_name_drops_control_and_direction_characters(cast: Cast) -> None:
    cohort = _create(cast, name="Cafe\u0301 \u202eevil\u202c\x00 cohort\u200b 🚆")
    assert cohort.name == "Café evil cohort 🚆"
    with pytest.raises(ServiceError, match="needs a name"):
        _create(cast, name="\u202e\u200b\x07")


def test_two_cohorts_cannot_share_a_name(cast: Cast) -> None:
    _create(cast, name="Alpha  cohort")
    with pytest.raises(ServiceError, match="already a cohort called 'Alpha cohort'"):
        _create(cast, name="Alpha cohort")


def test_the_engagement_centre_is_a_department_of_the_same_organisation(cast: Cast) -> None:
    from cluetrain.organizations.models import Department

    theirs = Department.objects.create(organization=cast.globex, name="Care", slug="care")
    with pytest.raises(ServiceError, match="department of this organisation"):
        _create(cast, centre=theirs)


def test_only_coordinators_directors_and_administrators_plan_cohorts(cast: Cast) -> None:
    for person in (cast.trainee, cast.mentor, cast.member, cast.agency, cast.outsider):
        with pytest.raises(NotAllowed):
            services.do_create_cohort(
                person,
                cast.acme,
                name=f"By {person.full_name}",
                centre=cast.care,
                starts_on=START,
                ends_on=dt.date(2026, 9, 1),
            )
    assert (
        services.do_create_cohort(
            cast.director,
            cast.acme,
            name="Directors'",
            centre=cast.care,
            starts_on=START,
            ends_on=dt.date(2026, 9, 1),
        ).coordinator
        == cast.director
    )


def test_a_cohort_s_state_follows_its_dates(cast: Cast) -> None:
    future = _create(
        cast,
        name="Later",
        starts_on=today() + dt.timedelta(days=10),
        ends_on=services.add_months(today() + dt.timedelta(days=10), 6),
    )
    assert future.status == CohortStatus.PLANNED
    running = running_cohort(cast)
    assert running.status == CohortStatus.RUNNING
    assert services.advance_statuses() == 0
    later = dt.datetime.combine(future.starts_on, dt.time(12), tzinfo=dt.UTC)
    assert services.advance_statuses(later) == 1
    assert services.advance_statuses(later) == 0
    assert Cohort.objects.get(pk=future.pk).status == CohortStatus.RUNNING
    ended = dt.datetime.combine(running.ends_on + dt.timedelta(days=1), dt.time(12), tzinfo=dt.UTC)
    services.advance_statuses(ended)
    assert Cohort.objects.get(pk=running.pk).status == CohortStatus.ENDED


def test_a_person_is_immersed_in_one_cohort_at_a_time(cast: Cast) -> None:
    running_cohort(cast)
    other = _create(cast, name="Other", starts_on=today(), ends_on=services.add_months(today(), 6))
    with pytest.raises(ServiceError, match="already immersed"):
        services.do_add_member(cast.coordinator, other, membership(cast.acme, cast.trainee))


def test_someone_from_another_organisation_cannot_join(cast: Cast) -> None:
    cohort = running_cohort(cast)
    from cluetrain.organizations.models import Membership

    theirs = Membership.objects.get(organization=cast.globex, person=cast.outsider)
    with pytest.raises(ServiceError, match="members of this organisation"):
        services.do_add_member(cast.coordinator, cohort, theirs)


def test_joining_tells_the_person(cast: Cast) -> None:
    running_cohort(cast)
    note = Notification.objects.get(person=cast.trainee, kind="cohort")
    assert note.title == "You join Spring cohort in Customer care"


def test_overlapping_shifts_of_one_person_are_refused(cast: Cast) -> None:
    cohort = running_cohort(cast)
    starts = next_wednesday(9)
    shift(cast, cohort, cast.trainee, starts, hours=4)
    for offset, hours in [(0, 4), (2, 4), (-1, 2), (-2, 8)]:
        with pytest.raises(ServiceError, match="already has a shift"):
            shift(cast, cohort, cast.trainee, starts + dt.timedelta(hours=offset), hours=hours)
    # Back to back is fine, and so is someone else at the same time.
    shift(cast, cohort, cast.trainee, starts + dt.timedelta(hours=4), hours=2)
    shift(cast, cohort, cast.member, starts, hours=4)
    assert Shift.objects.filter(member__cohort=cohort).count() == 3


@pytest.mark.parametrize(
    ("hours", "message"),
    [(0, "ends after it starts"), (-1, "ends after it starts"), (11, "between 30 minutes")],
)
def test_a_shift_has_a_bounded_length(cast: Cast, hours: int, message: str) -> None:
    cohort = running_cohort(cast)
    starts = next_wednesday(9)
    with pytest.raises(ServiceError, match=message):
        shifts.do_add_shift(
            cast.coordinator,
            member_of(cohort, cast.trainee),
            starts,
            starts + dt.timedelta(hours=hours),
        )
    with pytest.raises(ServiceError, match="between 30 minutes"):
        shifts.do_add_shift(
            cast.coordinator,
            member_of(cohort, cast.trainee),
            starts,
            starts + dt.timedelta(minutes=20),
        )


def test_a_shift_needs_its_time_zone_and_falls_within_the_cohort(cast: Cast) -> None:
    cohort = running_cohort(cast)
    member = member_of(cohort, cast.trainee)
    naive = dt.datetime(2026, 1, 1, 9)
    with pytest.raises(ServiceError, match="time zone"):
        shifts.do_add_shift(cast.coordinator, member, naive, naive + dt.timedelta(hours=2))
    after = dt.datetime.combine(cohort.ends_on + dt.timedelta(days=1), dt.time(9), tzinfo=dt.UTC)
    with pytest.raises(ServiceError, match="within the cohort's dates"):
        shifts.do_add_shift(cast.coordinator, member, after, after + dt.timedelta(hours=2))


def test_only_cohort_managers_plan_shifts(cast: Cast) -> None:
    cohort = running_cohort(cast)
    starts = next_wednesday(9)
    with pytest.raises(NotAllowed):
        shifts.do_add_shift(
            cast.trainee, member_of(cohort, cast.trainee), starts, starts + dt.timedelta(hours=2)
        )
    with pytest.raises(NotAllowed):
        shifts.do_generate_rota(cast.mentor, cohort)


def test_the_rota_spreads_shifts_over_working_days_and_running_it_again_adds_nothing(
    cast: Cast,
) -> None:
    cohort = running_cohort(cast)
    monday = next_wednesday(9).date() - dt.timedelta(days=2)
    first = shifts.do_generate_rota(cast.coordinator, cohort, weeks=2, today=monday)
    assert first.created == 10
    rows = list(Shift.objects.filter(member__cohort=cohort))
    assert {s.starts_at.isoweekday() for s in rows} <= {1, 2, 3, 4, 5}
    per_person = {
        p: sum(1 for s in rows if s.member.membership.person == p)
        for p in (cast.trainee, cast.member)
    }
    assert per_person == {cast.trainee: 5, cast.member: 5}
    assert all((s.starts_at.hour, s.ends_at.hour) == (9, 13) for s in rows)
    again = shifts.do_generate_rota(cast.coordinator, cohort, weeks=2, today=monday)
    assert again.created == 0
    assert Shift.objects.filter(member__cohort=cohort).count() == 10
    # Planning further keeps the first two weeks and adds the next ones in the same turn.
    more = shifts.do_generate_rota(cast.coordinator, cohort, weeks=3, today=monday)
    assert more.created == 5
    assert Notification.objects.filter(person=cast.trainee, title__startswith="New shifts").exists()


def test_the_rota_refuses_odd_requests(cast: Cast) -> None:
    cohort = running_cohort(cast)
    with pytest.raises(ServiceError, match="1 to 8 weeks"):
        shifts.do_generate_rota(cast.coordinator, cohort, weeks=0)
    with pytest.raises(ServiceError, match="1 to 8 weeks"):
        shifts.do_generate_rota(cast.coordinator, cohort, weeks=52)
    with pytest.raises(ServiceError, match="weekday numbers"):
        shifts.do_generate_rota(cast.coordinator, cohort, working_days="19")
    empty = running_cohort(cast, "Empty", cast.operations)
    services.do_remove_member(cast.coordinator, member_of(empty, cast.operations))
    with pytest.raises(ServiceError, match="Add members"):
        shifts.do_generate_rota(cast.coordinator, empty)


def test_leaving_the_rotation_drops_the_shifts_to_come(cast: Cast) -> None:
    cohort = running_cohort(cast)
    shifts.do_generate_rota(cast.coordinator, cohort, weeks=1)
    services.do_remove_member(cast.coordinator, member_of(cohort, cast.trainee))
    assert not Shift.objects.filter(member__cohort=cohort, membership__person=cast.trainee).exists()
    assert Shift.objects.filter(member__cohort=cohort, membership__person=cast.member).exists()
