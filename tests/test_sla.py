"""Service levels: deadlines in business hours, timers, alerts sent once, and the clocks
through replies, new messages, resolving and reopening."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from cluetrain.inbox import sla
from cluetrain.inbox.models import Conversation, ConversationEvent, Status
from cluetrain.notifications.models import Notification
from tests.conftest import Cast, build_cast
from tests.support.routing import WEDNESDAY, conversation, service_level

MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
FRIDAY_1630 = dt.datetime(2025, 1, 17, 16, 30, tzinfo=dt.UTC)
MONDAY_0930 = dt.datetime(2025, 1, 20, 9, 30, tzinfo=dt.UTC)


def _fresh(c: Conversation) -> Conversation:
    return Conversation.objects.get(pk=c.pk)


def test_new_conversations_get_first_response_and_resolution_deadlines(cast: Cast) -> None:
    service_level(cast.acme)  # 09:00-17:00 UTC, Monday to Friday
    late_friday = conversation(cast.acme, at=FRIDAY_1630)
    assert sla.start_clocks([late_friday]) == 1
    c = _fresh(late_friday)
    assert c.first_response_due == MONDAY_0930
    assert c.resolution_due == dt.datetime(2025, 1, 20, 16, 30, tzinfo=dt.UTC)
    assert c.due_at == MONDAY_0930
    assert c.next_response_due is None
    assert sla.start_clocks([c]) == 0  # nothing moves the second time


def test_a_departments_service_level_wins_over_the_organisations(cast: Cast) -> None:
    service_level(cast.acme, first_response_minutes=60)
    service_level(cast.acme, cast.care, first_response_minutes=10, around_the_clock=True)
    care = conversation(cast.acme, department=cast.care, at=FRIDAY_1630)
    general = conversation(cast.acme, at=FRIDAY_1630)
    assert sla.policy_for(care).department == cast.care
    sla.start_clocks([care, general])
    assert _fresh(care).first_response_due == FRIDAY_1630 + 10 * MINUTE
    assert _fresh(general).first_response_due == MONDAY_0930


def test_without_a_service_level_there_is_no_clock(cast: Cast) -> None:
    c = conversation(cast.acme)
    assert sla.policy_for(c) is None
    sla.start_clocks([c])
    assert _fresh(c).due_at is None
    assert sla.timer(_fresh(c), WEDNESDAY) is None


def test_a_reply_stops_the_response_clock_and_a_new_message_starts_the_next(cast: Cast) -> None:
    service_level(cast.acme, around_the_clock=True)
    c = conversation(cast.acme)
    sla.start_clocks([c])
    c = _fresh(c)
    sla.on_reply(c, WEDNESDAY + 20 * MINUTE)
    c = _fresh(c)
    assert c.first_response_at == WEDNESDAY + 20 * MINUTE
    assert c.first_response_due is None
    assert c.due_at == c.resolution_due == WEDNESDAY + 8 * HOUR

    c.last_message_at = WEDNESDAY + HOUR
    sla.on_inbound(c)
    c = _fresh(c)
    assert c.next_response_due == WEDNESDAY + 3 * HOUR
    assert c.due_at == c.next_response_due
    c.last_message_at = WEDNESDAY + 2 * HOUR  # they wrote again: the clock does not restart
    sla.on_inbound(c)
    assert _fresh(c).next_response_due == WEDNESDAY + 3 * HOUR

    sla.on_reply(c, WEDNESDAY + 150 * MINUTE)
    assert _fresh(c).next_response_due is None
    assert _fresh(c).first_response_at == WEDNESDAY + 20 * MINUTE


def test_resolving_stops_every_clock_and_reopening_starts_resolution_again(cast: Cast) -> None:
    service_level(cast.acme, around_the_clock=True)
    c = conversation(cast.acme)
    sla.start_clocks([c])
    c = _fresh(c)
    c.status, c.resolved_at = Status.RESOLVED, WEDNESDAY + HOUR
    c.save(update_fields=["status", "resolved_at"])
    sla.on_resolved(c)
    assert _fresh(c).due_at is None
    assert _fresh(c).resolution_due is None

    c = _fresh(c)
    c.status, c.last_message_at = Status.OPEN, WEDNESDAY + 2 * HOUR
    sla.on_inbound(c)
    c = _fresh(c)
    assert c.resolution_due == WEDNESDAY + 10 * HOUR
    assert c.first_response_due == WEDNESDAY + HOUR  # never answered: still overdue


def test_the_timer_counts_business_minutes_left(cast: Cast) -> None:
    service_level(cast.acme, warn_before_minutes=15)
    c = conversation(cast.acme, at=FRIDAY_1630)
    sla.start_clocks([c])
    c = _fresh(c)
    friday_1650 = FRIDAY_1630 + 20 * MINUTE
    assert sla.timer(c, FRIDAY_1630 - 30 * MINUTE) == sla.Timer(
        "first response", MONDAY_0930, 90.0, "ok", "1 h 30 min left"
    )
    shown = sla.timer(c, friday_1650)
    assert (shown.state, shown.label) == ("ok", "40 min left")
    shown = sla.timer(c, MONDAY_0930 - 10 * MINUTE)
    assert (shown.state, shown.label, shown.target) == ("warning", "10 min left", "first response")
    shown = sla.timer(c, MONDAY_0930 + 5 * MINUTE)
    assert (shown.state, shown.label) == ("breached", "breached 5 min ago")
    assert shown.remaining_minutes == -5
    timers = sla.timers([c, conversation(cast.acme)], MONDAY_0930)
    assert list(timers) == [c.pk]


@pytest.mark.parametrize(
    ("minutes", "label"),
    [(0, "0 min"), (59.6, "1 h"), (125, "2 h 5 min"), (24 * 60 + 7, "24 h"), (-3, "0 min")],
)
def test_durations_read_plainly(minutes: float, label: str) -> None:
    assert sla.duration(minutes) == label


def _due_soon(cast: Cast, **fields: object) -> Conversation:
    service_level(cast.acme, around_the_clock=True, warn_before_minutes=15)
    c = conversation(cast.acme, at=WEDNESDAY, subject="My train was cancelled", **fields)
    sla.start_clocks([c])  # first response due at 11:00
    return _fresh(c)


def test_the_assignee_is_warned_once_before_and_once_at_the_breach(cast: Cast) -> None:
    c = _due_soon(cast, assignee=cast.member)
    assert sla.check_deadlines(WEDNESDAY + 30 * MINUTE).warned == 0
    assert sla.check_deadlines(WEDNESDAY + 46 * MINUTE).warned == 1
    assert sla.check_deadlines(WEDNESDAY + 50 * MINUTE).warned == 0
    done = sla.check_deadlines(WEDNESDAY + 61 * MINUTE)
    assert (done.warned, done.breached) == (0, 1)
    assert sla.check_deadlines(WEDNESDAY + 90 * MINUTE).breached == 0
    kinds = list(
        Notification.objects.filter(person=cast.member).order_by("id").values_list("kind", "title")
    )
    assert kinds == [
        ("sla_warning", "14 min left for the first response of “My train was cancelled”"),
        ("sla_breached", "Service level breached: first response of “My train was cancelled”"),
    ]
    events = ConversationEvent.objects.filter(conversation=c).values_list("kind", flat=True)
    assert list(events) == ["sla_warning", "sla_breached"]


def test_a_conversation_found_already_late_gets_only_the_breach_alert(cast: Cast) -> None:
    _due_soon(cast, assignee=cast.member)
    done = sla.check_deadlines(WEDNESDAY + 3 * HOUR)
    assert (done.warned, done.breached) == (0, 1)
    done = sla.check_deadlines(WEDNESDAY + 4 * HOUR)
    assert (done.warned, done.breached) == (0, 0)
    assert Notification.objects.filter(person=cast.member).count() == 1


def test_a_conversation_nobody_holds_alerts_its_departments_people(cast: Cast) -> None:
    _due_soon(cast, department=cast.care)
    sla.check_deadlines(WEDNESDAY + 61 * MINUTE)
    assert list(
        Notification.objects.filter(kind="sla_breached").values_list("person", flat=True)
    ) == [cast.mentor.pk]


def test_a_new_deadline_after_a_reply_is_alerted_afresh(cast: Cast) -> None:
    c = _due_soon(cast, assignee=cast.member)
    sla.check_deadlines(WEDNESDAY + 61 * MINUTE)
    sla.on_reply(_fresh(c), WEDNESDAY + 70 * MINUTE)
    c = _fresh(c)
    assert (c.due_at, c.sla_warned_at, c.sla_breached_at) == (WEDNESDAY + 8 * HOUR, None, None)
    assert sla.check_deadlines(WEDNESDAY + 7 * HOUR + 50 * MINUTE).warned == 1


def test_resolved_and_waiting_past_deadlines_are_not_alerted_when_resolved(cast: Cast) -> None:
    c = _due_soon(cast, assignee=cast.member)
    Conversation.objects.filter(pk=c.pk).update(status=Status.RESOLVED)
    assert sla.check_deadlines(WEDNESDAY + 2 * HOUR) == sla.Checked(0, 0, 0)


def test_an_alert_claimed_by_another_run_is_not_sent_again(cast: Cast) -> None:
    c = _due_soon(cast, assignee=cast.member)
    stale = _fresh(c)  # what a second worker read before the first claimed it
    sla.check_deadlines(WEDNESDAY + 61 * MINUTE)
    assert sla._alert(stale, WEDNESDAY + 61 * MINUTE, breach=True) == 0
    assert sla._alert(stale, WEDNESDAY + 61 * MINUTE, breach=False) == 0
    assert Notification.objects.filter(person=cast.member).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_checking_at_the_same_moment_alert_once() -> None:
    cast = build_cast()
    conversations = [_due_soon(cast, assignee=cast.member) for _ in range(5)]
    barrier = threading.Barrier(2)
    results: list[sla.Checked] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(sla.check_deadlines(WEDNESDAY + 61 * MINUTE))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert sum(r.breached for r in results) == len(conversations)
    assert Notification.objects.filter(kind="sla_breached").count() == len(conversations)
    assert ConversationEvent.objects.filter(kind="sla_breached").count() == len(conversations)


def test_check_deadlines_reroutes_unclaimed_conversations(cast: Cast) -> None:
    from tests.support.routing import expert

    expert(cast.acme, cast.trainee, "refund")
    c = _due_soon(cast, assignee=cast.member, topic="refund", assigned_at=WEDNESDAY)
    done = sla.check_deadlines(WEDNESDAY + 40 * MINUTE)
    assert done.rerouted == 1
    assert _fresh(c).assignee == cast.trainee
