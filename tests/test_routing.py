"""Routing to experts: topic fit, then load, then round robin; queues; picking up waiting
conversations when capacity frees up or someone comes online."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cluetrain.inbox import pickup, routing, services
from cluetrain.inbox.models import Availability, Conversation, ConversationEvent, Expertise, Status
from cluetrain.triage.models import Topic
from tests.conftest import Cast
from tests.support.routing import (
    WEDNESDAY,
    availability,
    conversation,
    expert,
    membership,
    service_level,
)

HOUR = dt.timedelta(hours=1)


def _route(*conversations: Conversation, now: dt.datetime = WEDNESDAY) -> list[Conversation]:
    routing.do_route(list(conversations), now=now)
    return [Conversation.objects.get(pk=c.pk) for c in conversations]


def _busy(cast: Cast, person, n: int) -> None:  # type: ignore[no-untyped-def]
    for _ in range(n):
        conversation(cast.acme, assignee=person, status=Status.OPEN, topic="other")


@pytest.fixture
def away_mentor(cast: Cast) -> None:
    # The mentor is in Customer care, which fits every care conversation; keep them out.
    availability(cast.acme, cast.mentor, out_of_office_until=WEDNESDAY + 24 * HOUR)


def test_a_conversation_goes_to_the_person_who_declared_its_topic(cast: Cast) -> None:
    expert(cast.acme, cast.member, "refund")
    (routed,) = _route(conversation(cast.acme, topic="refund"))
    assert routed.assignee == cast.member
    assert routed.assigned_at == WEDNESDAY
    event = ConversationEvent.objects.get(conversation=routed, kind="routed")
    assert event.detail["reason"] == "routed to Milo Member: knows 'refund', 1 open of 10"


def test_topic_fit_beats_load(cast: Cast) -> None:
    expert(cast.acme, cast.member, "refund")
    expert(cast.acme, cast.trainee, "refund", declared=False, weight=1.0)
    _busy(cast, cast.member, 3)
    (routed,) = _route(conversation(cast.acme, topic="refund"))
    assert routed.assignee == cast.member


def test_load_beats_round_robin(cast: Cast) -> None:
    expert(cast.acme, cast.member, "refund")
    expert(cast.acme, cast.trainee, "refund")
    availability(cast.acme, cast.trainee, last_assigned_at=WEDNESDAY - HOUR)
    availability(cast.acme, cast.member, last_assigned_at=WEDNESDAY - 48 * HOUR)
    _busy(cast, cast.member, 2)
    (routed,) = _route(conversation(cast.acme, topic="refund"))
    assert routed.assignee == cast.trainee


def test_equal_experts_take_turns_least_recently_given_first(cast: Cast) -> None:
    expert(cast.acme, cast.member, "refund")
    expert(cast.acme, cast.trainee, "refund")
    availability(cast.acme, cast.member, last_assigned_at=WEDNESDAY - HOUR)
    availability(cast.acme, cast.trainee, last_assigned_at=WEDNESDAY - 2 * HOUR)
    first, second = _route(
        conversation(cast.acme, topic="refund"), conversation(cast.acme, topic="refund")
    )
    assert first.assignee == cast.trainee
    assert second.assignee == cast.member
    stamped = Availability.objects.get(membership=membership(cast.acme, cast.member))
    assert stamped.last_assigned_at == WEDNESDAY


def test_the_tightest_deadline_gets_the_last_free_place(cast: Cast) -> None:
    expert(cast.acme, cast.member, "refund")
    availability(cast.acme, cast.member, capacity=1)
    relaxed = conversation(cast.acme, topic="refund", due_at=WEDNESDAY + 8 * HOUR)
    urgent = conversation(cast.acme, topic="refund", due_at=WEDNESDAY + HOUR)
    relaxed, urgent = _route(relaxed, urgent)
    assert urgent.assignee == cast.member
    assert relaxed.assignee is None


@pytest.mark.parametrize(
    ("fields", "person_zone"),
    [
        ({"out_of_office_until": WEDNESDAY + HOUR}, "UTC"),
        ({"takes_conversations": False}, "UTC"),
        ({"capacity": 2}, "UTC"),  # already holds two
        ({}, "Pacific/Auckland"),  # 23:00 there
        ({"working_days": "67"}, "UTC"),  # weekends only
        ({"day_starts": dt.time(13), "day_ends": dt.time(21)}, "UTC"),
    ],
)
def test_unavailable_experts_are_passed_over(cast: Cast, fields: dict, person_zone: str) -> None:
    expert(cast.acme, cast.member, "refund")
    expert(cast.acme, cast.trainee, "refund", declared=False, weight=0.5)
    _busy(cast, cast.member, 2)
    availability(cast.acme, cast.member, **fields)
    cast.member.time_zone = person_zone
    cast.member.save(update_fields=["time_zone"])
    (routed,) = _route(conversation(cast.acme, topic="refund"))
    assert routed.assignee == cast.trainee


def test_someone_online_outside_their_hours_still_gets_conversations(cast: Cast) -> None:
    expert(cast.acme, cast.member, "refund")
    availability(
        cast.acme,
        cast.member,
        working_days="67",
        last_seen_at=WEDNESDAY - 2 * 60 * dt.timedelta(seconds=1),
    )
    (routed,) = _route(conversation(cast.acme, topic="refund"))
    assert routed.assignee == cast.member


def test_department_members_fit_its_conversations(cast: Cast) -> None:
    (routed,) = _route(conversation(cast.acme, topic="parcel", department=cast.care))
    assert routed.assignee == cast.mentor
    assert "in Customer care" in ConversationEvent.objects.get(conversation=routed).detail["reason"]


def test_with_no_expert_available_it_waits_in_its_departments_queue(
    cast: Cast, away_mentor: None
) -> None:
    (routed,) = _route(conversation(cast.acme, topic="refund", department=cast.care))
    assert routed.assignee is None
    assert routed.department == cast.care
    event = ConversationEvent.objects.get(conversation=routed)
    assert event.detail == {
        "to": None,
        "department": cast.care.pk,
        "reason": "nobody available who knows 'refund'; waits in the Customer care queue",
    }


def test_the_topics_department_is_the_queue_when_triage_gave_none(
    cast: Cast, away_mentor: None
) -> None:
    Topic.objects.create(
        organization=cast.acme, slug="refund", name="Refunds", department=cast.care
    )
    (routed,) = _route(conversation(cast.acme, topic="refund"))
    assert (routed.assignee, routed.department) == (None, cast.care)


def test_without_topic_or_department_it_waits_in_the_general_queue(cast: Cast) -> None:
    expert(cast.acme, cast.member, "refund")
    (routed,) = _route(conversation(cast.acme, topic=""))
    assert (routed.assignee, routed.department) == (None, None)
    assert "general queue" in ConversationEvent.objects.get(conversation=routed).detail["reason"]


def test_people_of_another_organisation_are_never_candidates(cast: Cast) -> None:
    from cluetrain.organizations.models import Membership

    globex_director = Membership.objects.get(organization=cast.globex, person=cast.outsider)
    Expertise.objects.create(membership=globex_director, topic="refund", declared=True)
    (routed,) = _route(conversation(cast.acme, topic="refund"))
    assert routed.assignee is None


def test_a_conversation_someone_already_holds_is_left_alone(cast: Cast) -> None:
    expert(cast.acme, cast.member, "refund")
    held = conversation(cast.acme, topic="refund", assignee=cast.trainee)
    assert routing.do_route([held], now=WEDNESDAY) == []
    assert Conversation.objects.get(pk=held.pk).assignee == cast.trainee


def test_a_batch_costs_the_same_queries_whatever_its_size(cast: Cast) -> None:
    expert(cast.acme, cast.member, "refund")
    expert(cast.acme, cast.trainee, "delay")
    availability(cast.acme, cast.member, capacity=1000)
    availability(cast.acme, cast.trainee, capacity=1000)

    def cost(n: int) -> int:
        batch = [conversation(cast.acme, topic=("refund", "delay", "")[i % 3]) for i in range(n)]
        with CaptureQueriesContext(connection) as queries:
            routing.do_route(batch, now=WEDNESDAY)
        return len(queries)

    assert cost(3) == cost(60)
    assert Conversation.objects.filter(assignee=cast.member).count() == 21


def test_resolving_teaches_the_resolver_the_topic(cast: Cast) -> None:
    resolved = conversation(cast.acme, topic="refund", status=Status.RESOLVED)
    pickup.learn_from_resolution(resolved, cast.trainee)
    pickup.learn_from_resolution(resolved, cast.trainee)
    learned = Expertise.objects.get(membership=membership(cast.acme, cast.trainee), topic="refund")
    assert (learned.declared, learned.weight) == (False, 1.5)
    pickup.learn_from_resolution(conversation(cast.acme, topic=""), cast.trainee)
    pickup.learn_from_resolution(resolved, cast.outsider)  # not a member: nothing learned
    assert Expertise.objects.filter(topic="").count() == 0


def test_freed_capacity_picks_up_the_most_urgent_waiting_conversation(
    cast: Cast, away_mentor: None
) -> None:
    expert(cast.acme, cast.member, "refund")
    availability(cast.acme, cast.member, capacity=1)
    mine = conversation(cast.acme, topic="refund", assignee=cast.member, status=Status.OPEN)
    later = conversation(cast.acme, topic="refund", due_at=WEDNESDAY + 5 * HOUR)
    sooner = conversation(cast.acme, topic="refund", due_at=WEDNESDAY + HOUR)
    other_topic = conversation(cast.acme, topic="press", due_at=WEDNESDAY)
    assert pickup.pick_up(membership(cast.acme, cast.member), WEDNESDAY) == 0  # full

    Conversation.objects.filter(pk=mine.pk).update(status=Status.RESOLVED)
    assert pickup.pick_up(membership(cast.acme, cast.member), WEDNESDAY) == 1
    assert Conversation.objects.get(pk=sooner.pk).assignee == cast.member
    assert Conversation.objects.get(pk=later.pk).assignee is None
    assert Conversation.objects.get(pk=other_topic.pk).assignee is None
    event = ConversationEvent.objects.get(conversation=sooner, kind="picked_up")
    assert event.detail["reason"].startswith("picked up by Milo Member: knows 'refund'")


def test_coming_online_picks_up_waiting_conversations_once_a_minute_at_most(cast: Cast) -> None:
    expert(cast.acme, cast.member, "refund")
    availability(cast.acme, cast.member, capacity=2, working_days="67")  # off today
    waiting = [conversation(cast.acme, topic="refund") for _ in range(3)]
    assert pickup.pick_up(membership(cast.acme, cast.member), WEDNESDAY) == 0

    assert pickup.do_heartbeat(membership(cast.acme, cast.member), WEDNESDAY) == 2
    Conversation.objects.filter(pk=waiting[0].pk).update(status=Status.RESOLVED)
    # Seconds later the ping changes nothing; a minute later it picks up the freed place.
    assert (
        pickup.do_heartbeat(
            membership(cast.acme, cast.member), WEDNESDAY + dt.timedelta(seconds=20)
        )
        == 0
    )
    assert (
        pickup.do_heartbeat(
            membership(cast.acme, cast.member), WEDNESDAY + 2 * dt.timedelta(minutes=1)
        )
        == 1
    )
    assert Conversation.objects.filter(assignee=cast.member).count() == 3


def test_two_pick_ups_never_take_the_same_conversation(cast: Cast, away_mentor: None) -> None:
    expert(cast.acme, cast.member, "refund")
    expert(cast.acme, cast.trainee, "refund")
    only = conversation(cast.acme, topic="refund")
    taken = [
        pickup.pick_up(membership(cast.acme, person), WEDNESDAY)
        for person in (cast.member, cast.trainee)
    ]
    assert sorted(taken) == [0, 1]
    assert ConversationEvent.objects.filter(conversation=only, kind="picked_up").count() == 1


def test_routing_does_not_overwrite_a_conversation_taken_meanwhile(cast: Cast) -> None:
    expert(cast.acme, cast.member, "refund")
    stale = conversation(cast.acme, topic="refund")
    Conversation.objects.filter(pk=stale.pk).update(assignee=cast.trainee)  # by hand, meanwhile
    routing.do_route([stale], now=WEDNESDAY)
    assert Conversation.objects.get(pk=stale.pk).assignee == cast.trainee


def test_a_conversation_left_unopened_is_rerouted_to_the_next_expert(cast: Cast) -> None:
    service_level(cast.acme, reroute_after_minutes=30)
    expert(cast.acme, cast.member, "refund")
    expert(cast.acme, cast.trainee, "refund", declared=False, weight=1.0)
    left = conversation(
        cast.acme,
        topic="refund",
        assignee=cast.member,
        assigned_at=WEDNESDAY - 20 * dt.timedelta(minutes=1),
    )
    assert pickup.reroute_unclaimed(WEDNESDAY) == 0  # 20 minutes: not yet
    assert pickup.reroute_unclaimed(WEDNESDAY + 15 * dt.timedelta(minutes=1)) == 1
    moved = Conversation.objects.get(pk=left.pk)
    assert moved.assignee == cast.trainee
    event = ConversationEvent.objects.get(conversation=left, kind="rerouted")
    assert event.detail["reason"].startswith("routed to Tess Trainee")
    # Opened now (status open): never re-routed again.
    Conversation.objects.filter(pk=left.pk).update(status=Status.OPEN)
    assert pickup.reroute_unclaimed(WEDNESDAY + 5 * HOUR) == 0


def test_a_conversation_left_unopened_goes_back_to_its_queue_without_another_expert(
    cast: Cast, away_mentor: None
) -> None:
    service_level(cast.acme, reroute_after_minutes=30)
    expert(cast.acme, cast.member, "refund")
    left = conversation(
        cast.acme,
        topic="refund",
        department=cast.care,
        assignee=cast.member,
        assigned_at=WEDNESDAY - HOUR,
    )
    assert pickup.reroute_unclaimed(WEDNESDAY) == 1
    back = Conversation.objects.get(pk=left.pk)
    assert (back.assignee, back.department, back.assigned_at) == (None, cast.care, None)


def test_a_queued_conversation_waits_quietly_until_someone_is_free(
    cast: Cast, away_mentor: None
) -> None:
    service_level(cast.acme, reroute_after_minutes=30)
    queued = conversation(cast.acme, topic="refund", at=WEDNESDAY - HOUR)
    assert pickup.reroute_unclaimed(WEDNESDAY) == 0
    assert not ConversationEvent.objects.filter(conversation=queued).exists()
    expert(cast.acme, cast.member, "refund")
    assert pickup.reroute_unclaimed(WEDNESDAY) == 1
    assert Conversation.objects.get(pk=queued.pk).assignee == cast.member


def test_the_queue_of_an_unheld_conversation_is_told_its_department_first(cast: Cast) -> None:
    assert pickup.queue_people(cast.acme.pk, cast.care.pk) == [cast.mentor]
    leads = set(pickup.queue_people(cast.acme.pk, None))
    assert leads == {cast.director, cast.coordinator}


def test_a_conversation_moved_to_a_queue_is_not_picked_up_by_whom_it_was_taken_from(
    cast: Cast,
) -> None:
    # Online right now, whatever the hour: the pick-up that follows the move must still leave
    # the moved conversation in its queue and may give the person another one instead.
    expert(cast.acme, cast.member, "refund")
    availability(cast.acme, cast.member, capacity=5, last_seen_at=timezone.now())
    moved = conversation(cast.acme, topic="refund", assignee=cast.member, status=Status.OPEN)
    waiting = conversation(cast.acme, topic="refund")

    assert services.do_assign(cast.member, moved, None, department=cast.care) == 1

    moved.refresh_from_db()
    assert (moved.assignee, moved.department) == (None, cast.care)
    assert Conversation.objects.get(pk=waiting.pk).assignee == cast.member
    assert not ConversationEvent.objects.filter(conversation=moved, kind="picked_up").exists()


def _moved_to_care(cast: Cast, n: int = 1) -> list[Conversation]:
    # The member holds conversations on their topic, then puts them in the Customer care queue.
    held = [
        conversation(cast.acme, topic="refund", assignee=cast.member, status=Status.OPEN)
        for _ in range(n)
    ]
    assert services.do_assign(cast.member, held, None, department=cast.care) == n
    return held


def test_a_heartbeat_after_the_move_gives_it_to_a_colleague_not_back(cast: Cast) -> None:
    """The next heartbeat is a minute later and the member is within working hours: they get
    what else waits, while the conversation they moved goes to whoever else fits its queue."""
    expert(cast.acme, cast.member, "refund")
    availability(cast.acme, cast.member, capacity=5, working_days="12345")
    availability(cast.acme, cast.mentor, capacity=5, working_days="12345")
    assert pickup.do_heartbeat(membership(cast.acme, cast.member), WEDNESDAY) == 0
    (moved,) = _moved_to_care(cast)
    fresh = conversation(cast.acme, topic="refund", due_at=WEDNESDAY + 8 * HOUR)
    Conversation.objects.filter(pk=moved.pk).update(due_at=WEDNESDAY + HOUR)  # the more urgent
    event = ConversationEvent.objects.get(conversation=moved, kind="assigned")
    assert (event.detail["from_id"], event.detail["to_id"]) == (cast.member.pk, None)

    later = WEDNESDAY + dt.timedelta(seconds=routing.HEARTBEAT_SECONDS + 1)
    assert pickup.do_heartbeat(membership(cast.acme, cast.member), later) == 1
    assert Conversation.objects.get(pk=fresh.pk).assignee == cast.member
    assert Conversation.objects.get(pk=moved.pk).assignee is None

    # The mentor works Customer care: the moved conversation is theirs to pick up.
    assert pickup.do_heartbeat(membership(cast.acme, cast.mentor), later) == 1
    assert Conversation.objects.get(pk=moved.pk).assignee == cast.mentor


def test_a_conversation_moved_off_someone_is_theirs_again_once_someone_else_had_it(
    cast: Cast,
) -> None:
    """The move keeps it from its former holder only while it is the conversation's latest
    hand-over. Once someone else took it and put it back in the queue, that second move is the
    latest: the first holder may pick it up like anyone else, and the second may not."""
    expert(cast.acme, cast.member, "refund")
    expert(cast.acme, cast.mentor, "refund")
    (moved,) = _moved_to_care(cast)
    member, mentor = membership(cast.acme, cast.member), membership(cast.acme, cast.mentor)
    assert pickup.pick_up(member, WEDNESDAY, present=True) == 0

    assert pickup.pick_up(mentor, WEDNESDAY, present=True) == 1
    moved.refresh_from_db()
    assert services.do_assign(cast.mentor, moved, None, department=cast.care) == 1
    assert pickup.pick_up(mentor, WEDNESDAY, present=True) == 0
    assert pickup.pick_up(member, WEDNESDAY, present=True) == 1
    assert Conversation.objects.get(pk=moved.pk).assignee == cast.member


def test_the_re_route_of_a_queued_conversation_does_not_give_it_back_either(
    cast: Cast, away_mentor: None
) -> None:
    service_level(cast.acme, reroute_after_minutes=30)
    expert(cast.acme, cast.member, "refund")
    left = conversation(
        cast.acme, topic="refund", assignee=cast.member, at=WEDNESDAY - HOUR
    )  # routed to them, still new
    assert services.do_assign(cast.member, left, None, department=cast.care) == 1
    assert Conversation.objects.get(pk=left.pk).status == Status.NEW

    assert pickup.reroute_unclaimed(WEDNESDAY) == 0  # the member is the only expert
    assert Conversation.objects.get(pk=left.pk).assignee is None
    expert(cast.acme, cast.trainee, "refund")
    assert pickup.reroute_unclaimed(WEDNESDAY) == 1
    assert Conversation.objects.get(pk=left.pk).assignee == cast.trainee


def test_a_pick_up_costs_the_same_queries_however_many_were_moved_off(
    cast: Cast, away_mentor: None
) -> None:
    expert(cast.acme, cast.member, "refund")
    availability(cast.acme, cast.member, capacity=1)

    def cost(n: int) -> int:
        Conversation.objects.update(status=Status.RESOLVED)  # start from an empty inbox
        moved = _moved_to_care(cast, n)
        fresh = conversation(cast.acme, topic="refund")
        with CaptureQueriesContext(connection) as queries:
            assert pickup.pick_up(membership(cast.acme, cast.member), WEDNESDAY) == 1
        assert Conversation.objects.get(pk=fresh.pk).assignee == cast.member
        assert not Conversation.objects.filter(pk__in=[c.pk for c in moved], assignee__isnull=False)
        return len(queries)

    assert cost(2) == cost(20)
