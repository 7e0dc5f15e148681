"""Shifts take effect in the inbox: while on, a cohort member works the centre's queue."""

from __future__ import annotations

import datetime as dt

from cluetrain.cohorts import services, shifts
from cluetrain.cohorts.models import Shift
from cluetrain.cohorts.tasks import run_rotations
from cluetrain.inbox import routing
from cluetrain.inbox.models import Conversation, ConversationEvent
from tests.conftest import Cast
from tests.support.cohorts import (
    member_of,
    membership,
    mentor_away,
    next_wednesday,
    running_cohort,
    shift,
)
from tests.support.routing import conversation

HOUR = dt.timedelta(hours=1)
EVENING = next_wednesday(18)  # off hours for everyone in the cast


def test_who_is_on_shift_is_asked_of_the_rota_at_that_moment(cast: Cast) -> None:
    cohort = running_cohort(cast)
    shift(cast, cohort, cast.trainee, EVENING, hours=4)
    trainee = membership(cast.acme, cast.trainee).pk
    assert shifts.on_shift(cast.acme.pk, EVENING + HOUR) == {trainee: cast.care.pk}
    assert shifts.on_shift(cast.acme.pk, EVENING - HOUR) == {}
    assert shifts.on_shift(cast.acme.pk, EVENING + 4 * HOUR) == {}  # the end is not on shift
    assert shifts.on_shift(cast.globex.pk, EVENING + HOUR) == {}


def test_a_centre_conversation_goes_to_the_cohort_member_on_shift_and_not_to_one_off_shift(
    cast: Cast,
) -> None:
    mentor_away(cast)
    cohort = running_cohort(cast)
    shift(cast, cohort, cast.trainee, EVENING, hours=4)
    shift(cast, cohort, cast.member, EVENING + 5 * HOUR, hours=2)
    at = EVENING + HOUR
    batch = [conversation(cast.acme, department=cast.care, at=at) for _ in range(3)]
    routing.do_route(batch, now=at)
    assert {c.assignee for c in Conversation.objects.filter(pk__in=[c.pk for c in batch])} == {
        cast.trainee
    }
    event = ConversationEvent.objects.filter(conversation=batch[0], kind="routed").get()
    assert event.detail["reason"].startswith("routed to Tess Trainee: in Customer care")


def test_outside_shifts_cohort_members_are_not_offered_the_centre_s_conversations(
    cast: Cast,
) -> None:
    mentor_away(cast)
    cohort = running_cohort(cast)
    shift(cast, cohort, cast.trainee, EVENING, hours=4)
    # In working hours, but nobody is on shift: it waits in the centre's queue.
    morning = next_wednesday(10)
    (waiting,) = [conversation(cast.acme, department=cast.care, at=morning)]
    routing.do_route([waiting], now=morning)
    waiting.refresh_from_db()
    assert waiting.assignee is None
    assert waiting.department == cast.care


def test_a_member_who_left_the_rotation_is_no_longer_on_shift(cast: Cast) -> None:
    mentor_away(cast)
    cohort = running_cohort(cast)
    shift(cast, cohort, cast.trainee, EVENING, hours=4)
    services.do_remove_member(cast.coordinator, member_of(cohort, cast.trainee))
    assert shifts.on_shift(cast.acme.pk, EVENING + HOUR) == {}
    late = conversation(cast.acme, department=cast.care, at=EVENING + HOUR)
    routing.do_route([late], now=EVENING + HOUR)
    late.refresh_from_db()
    assert late.assignee is None


def test_a_shift_starting_picks_up_what_waits_in_the_centre_once(cast: Cast) -> None:
    mentor_away(cast)
    cohort = running_cohort(cast)
    waiting = conversation(cast.acme, department=cast.care, at=EVENING - 2 * HOUR)
    other = conversation(cast.acme, topic="parking", at=EVENING - 2 * HOUR)
    on = shift(cast, cohort, cast.trainee, EVENING, hours=4)
    assert shifts.start_due_shifts(EVENING - HOUR) == 0
    assert shifts.start_due_shifts(EVENING + dt.timedelta(minutes=1)) == 1
    assert shifts.start_due_shifts(EVENING + dt.timedelta(minutes=2)) == 0
    waiting.refresh_from_db()
    other.refresh_from_db()
    assert waiting.assignee == cast.trainee
    assert other.assignee is None  # not the centre's, not a topic they know
    assert Shift.objects.get(pk=on.pk).started_at == EVENING + dt.timedelta(minutes=1)
    event = ConversationEvent.objects.get(conversation=waiting, kind="picked_up")
    assert event.detail["reason"].startswith("picked up by Tess Trainee: in Customer care")


def test_the_rotation_job_can_run_twice(cast: Cast) -> None:
    running_cohort(cast)
    assert run_rotations.call() == {"cohorts": 0, "picked_up": 0, "placed": 0}
    assert run_rotations.call() == {"cohorts": 0, "picked_up": 0, "placed": 0}


def test_the_availability_page_shows_a_member_on_shift_as_available_like_routing_does(
    cast: Cast,
) -> None:
    from cluetrain.inbox.availability import directory

    cohort = running_cohort(cast)
    shift(cast, cohort, cast.trainee, EVENING, hours=4)
    trainee = membership(cast.acme, cast.trainee).pk

    def status_at(at: dt.datetime) -> tuple[str, bool]:
        page = {e.membership.pk: e.status for e in directory(cast.acme.pk, now=at)}
        pool = routing.Pool.load(cast.acme.pk, at)
        routed = {c.membership_id: c.available for c in pool.candidates}
        return page[trainee], routed[trainee]

    assert status_at(EVENING + HOUR) == ("available", True)
    assert status_at(EVENING - HOUR) == ("off hours", False)  # before the shift


def test_the_people_api_shows_a_member_on_shift_as_available_like_routing_does(
    cast: Cast,
) -> None:
    from django.test import Client
    from django.utils import timezone

    from cluetrain.api.services import do_create_token
    from cluetrain.inbox.models import Availability

    now = timezone.now()
    # Working hours only on a day two days away: outside the shift, the trainee is off hours.
    elsewhere = str((now.isoweekday() + 1) % 7 + 1)
    Availability.objects.update_or_create(
        membership=membership(cast.acme, cast.trainee), defaults={"working_days": elsewhere}
    )
    secret = do_create_token(cast.director, cast.acme, "shift")[1]

    def status() -> str:
        answer = Client().get(
            f"/api/people/{cast.trainee.pk}", headers={"Authorization": f"Bearer {secret}"}
        )
        assert answer.status_code == 200, answer.content
        return str(answer.json()["availability"]["status"])

    assert status() == "off hours"
    cohort = running_cohort(cast)
    shift(cast, cohort, cast.trainee, now - HOUR, hours=4)
    assert status() == "available"
