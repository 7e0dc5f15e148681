"""Placement ("disperse"): members join a department on their date, keep what they learned,
and stay reachable as experts and mentors."""

from __future__ import annotations

import datetime as dt

import pytest

from cluetrain.cohorts import placement, services
from cluetrain.cohorts.models import CohortMember, MemberStatus, Shift
from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.inbox import pickup, routing
from cluetrain.inbox.models import Expertise, Status
from cluetrain.inbox.questions import do_ask
from cluetrain.notifications.models import Notification
from cluetrain.organizations.models import Department
from tests.conftest import Cast
from tests.support.cohorts import (
    member_of,
    membership,
    mentor_away,
    next_wednesday,
    online,
    running_cohort,
    shift,
    today,
)
from tests.support.routing import conversation


@pytest.fixture
def engineering(cast: Cast) -> Department:
    found, _ = Department.objects.get_or_create(
        organization=cast.acme, slug="engineering", defaults={"name": "Engineering"}
    )
    return found


def test_a_placement_dated_today_takes_effect_at_once(cast: Cast, engineering: Department) -> None:
    cohort = running_cohort(cast)
    later = shift(cast, cohort, cast.trainee, next_wednesday(9))
    member = placement.do_place(
        cast.coordinator, member_of(cohort, cast.trainee), engineering, on=today()
    )
    assert member.status == MemberStatus.PLACED
    assert member.placed_at is not None
    assert engineering in membership(cast.acme, cast.trainee).departments.all()
    assert not Shift.objects.filter(pk=later.pk).exists()  # left the centre's rota
    note = Notification.objects.filter(person=cast.trainee, title__startswith="Your placement")
    assert note.get().title == f"Your placement: Engineering from {today():%d %B %Y}"


def test_a_placement_to_come_waits_for_its_date_and_the_job_applies_it_once(
    cast: Cast, engineering: Department
) -> None:
    cohort = running_cohort(cast)
    on = today() + dt.timedelta(days=3)
    placement.do_place(cast.coordinator, member_of(cohort, cast.trainee), engineering, on=on)
    assert member_of(cohort, cast.trainee).status == MemberStatus.IMMERSED
    assert placement.place_due() == 0
    day_before = dt.datetime.combine(on - dt.timedelta(days=1), dt.time(23), tzinfo=dt.UTC)
    assert placement.place_due(day_before) == 0
    on_the_day = dt.datetime.combine(on, dt.time(0, 5), tzinfo=dt.UTC)
    assert placement.place_due(on_the_day) == 1
    assert placement.place_due(on_the_day) == 0
    member = member_of(cohort, cast.trainee)
    assert (member.status, member.placement_on, member.placed_at) == (
        MemberStatus.PLACED,
        on,
        on_the_day,
    )
    assert list(membership(cast.acme, cast.trainee).departments.all()) == [engineering]


def test_a_placement_is_in_another_department_of_the_organisation(
    cast: Cast, engineering: Department
) -> None:
    cohort = running_cohort(cast)
    member = member_of(cohort, cast.trainee)
    with pytest.raises(ServiceError, match="leaves the engagement centre"):
        placement.do_place(cast.coordinator, member, cast.care, on=today())
    theirs = Department.objects.create(organization=cast.globex, name="Depot", slug="depot")
    with pytest.raises(ServiceError, match="department of this organisation"):
        placement.do_place(cast.coordinator, member, theirs, on=today())
    with pytest.raises(ServiceError, match="after the rotation has started"):
        placement.do_place(
            cast.coordinator, member, engineering, on=cohort.starts_on - dt.timedelta(days=1)
        )
    with pytest.raises(NotAllowed):
        placement.do_place(cast.trainee, member, engineering, on=today())
    placement.do_place(cast.coordinator, member, engineering, on=today())
    with pytest.raises(ServiceError, match="not immersed"):
        placement.do_place(
            cast.coordinator, member_of(cohort, cast.trainee), engineering, on=today()
        )


def test_what_was_learned_in_the_centre_stays_after_placement(
    cast: Cast, engineering: Department
) -> None:
    mentor_away(cast)
    cohort = running_cohort(cast)
    resolved = conversation(cast.acme, topic="delay-repay", status=Status.RESOLVED)
    for _ in range(3):
        pickup.learn_from_resolution(resolved, cast.trainee)
    before = Expertise.objects.get(membership=membership(cast.acme, cast.trainee))
    placement.do_place(cast.coordinator, member_of(cohort, cast.trainee), engineering, on=today())
    after = Expertise.objects.get(membership=membership(cast.acme, cast.trainee))
    assert (after.pk, after.topic, after.weight) == (before.pk, "delay-repay", before.weight)
    assert after.weight > 1.5
    # The alumnus keeps receiving the topic they know, now from Engineering.
    morning = next_wednesday(10)
    asked = conversation(cast.acme, topic="delay-repay", at=morning)
    routing.do_route([asked], now=morning)
    asked.refresh_from_db()
    assert asked.assignee == cast.trainee


def test_an_alumnus_can_be_asked_a_question_on_their_topic(
    cast: Cast, engineering: Department
) -> None:
    mentor_away(cast)
    online(cast, cast.trainee)
    cohort = running_cohort(cast)
    resolved = conversation(cast.acme, topic="delay-repay", status=Status.RESOLVED)
    pickup.learn_from_resolution(resolved, cast.trainee)
    placement.do_place(cast.coordinator, member_of(cohort, cast.trainee), engineering, on=today())
    question = do_ask(
        cast.member, cast.acme, "How do refunds for delays work?", topic="delay-repay"
    )
    assert question.routed_to == cast.trainee


def test_newer_members_choose_an_alumnus_who_offers_to_mentor(
    cast: Cast, engineering: Department
) -> None:
    first = running_cohort(cast, "First", cast.trainee)
    placement.do_place(cast.coordinator, member_of(first, cast.trainee), engineering, on=today())
    newer = running_cohort(cast, "Newer", cast.member)
    mine = member_of(newer, cast.member)
    with pytest.raises(ServiceError, match="offers to mentor"):
        services.do_choose_mentor(cast.member, mine, cast.trainee)
    alumnus = member_of(first, cast.trainee)
    with pytest.raises(NotAllowed):
        services.do_offer_mentoring(cast.member, alumnus, True)
    services.do_offer_mentoring(cast.trainee, alumnus, True)
    services.do_choose_mentor(cast.member, mine, cast.trainee)
    assert CohortMember.objects.get(pk=mine.pk).mentor == cast.trainee
    assert Notification.objects.filter(
        person=cast.trainee, title="Milo Member chose you as a mentor"
    ).exists()
    # Someone else in the organisation cannot choose for them; their coordinator can.
    with pytest.raises(NotAllowed):
        services.do_choose_mentor(cast.operations, mine, None)
    services.do_choose_mentor(cast.coordinator, mine, None)
    assert CohortMember.objects.get(pk=mine.pk).mentor is None


def test_someone_still_immersed_does_not_offer_mentoring(cast: Cast) -> None:
    cohort = running_cohort(cast)
    with pytest.raises(ServiceError, match="once placed"):
        services.do_offer_mentoring(cast.trainee, member_of(cohort, cast.trainee), True)


def test_inbox_activity_counts_only_the_rotation_and_its_own_people(cast: Cast) -> None:
    from cluetrain.cohorts import reading
    from cluetrain.inbox.models import ConversationEvent

    cohort = running_cohort(cast)
    held = conversation(cast.acme, topic="refund", assignee=cast.trainee)
    inside = dt.datetime.combine(
        cohort.starts_on + dt.timedelta(days=3), dt.time(10), tzinfo=dt.UTC
    )
    before = dt.datetime.combine(
        cohort.starts_on - dt.timedelta(days=3), dt.time(10), tzinfo=dt.UTC
    )
    rows = [
        (cast.trainee, "replied", {}, inside),
        (cast.trainee, "replied", {}, inside),
        (cast.trainee, "status", {"from": "open", "to": "resolved"}, inside),
        (cast.trainee, "status", {"from": "new", "to": "open"}, inside),
        (cast.trainee, "replied", {}, before),  # before the rotation: not counted
        (cast.mentor, "replied", {}, inside),  # not in the cohort
    ]
    for actor, kind, detail, at in rows:
        event = ConversationEvent.objects.create(
            conversation=held, actor=actor, kind=kind, detail=detail
        )
        ConversationEvent.objects.filter(pk=event.pk).update(created_at=at)
    view = reading.overview(cohort)
    activity = {row.member.membership.person: row.activity for row in view.rows}
    assert activity[cast.trainee] == reading.Activity(resolved=1, replies=2)
    assert activity[cast.member] == reading.Activity(resolved=0, replies=0)
    assert cast.mentor not in activity
