"""Taking messages in: triaged as they are stored while triage keeps up, queued otherwise."""

from __future__ import annotations

import datetime as dt

import pytest

from cluetrain.inbox.models import Conversation
from cluetrain.listening.heard import Heard
from cluetrain.listening.intake import do_intake
from cluetrain.listening.models import Message
from cluetrain.triage.pipeline import process_pending, take_in
from tests.conftest import Cast

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def heard(n: int, text: str, *, reply_to: str = "", direction: str = "in") -> Heard:
    who = "acme" if direction == "out" else f"c{n % 3}"
    return Heard(
        network="bluesky",
        external_id=f"at://did:plc:{who}/app.bsky.feed.post/{n}",
        author_id=f"did:plc:{who}",
        author_handle=f"{who}.test",
        author_name=f"<b>{who}</b>",
        text=text,
        created_at=T0 + dt.timedelta(minutes=n),
        reply_to=reply_to,
        direction=direction,
    )


def test_messages_are_stored_triaged_threaded_and_once(cast: Cast) -> None:
    first = heard(1, "My train is stuck outside Central for an hour, people are fainting")
    answer = heard(2, "We're on it", reply_to=first.external_id, direction="out")
    again = heard(3, "Still stuck!!", reply_to=answer.external_id)
    batch = [first, answer, again, first]  # the first one delivered twice

    assert take_in(cast.acme, batch) == 3
    assert take_in(cast.acme, batch) == 0

    messages = Message.objects.filter(organization=cast.acme).order_by("created_at")
    assert messages.count() == 3
    assert all(m.triaged_at is not None for m in messages)
    inbound = [m for m in messages if m.direction == "in"]
    assert all(m.intent and m.urgency and m.reason for m in inbound)
    assert inbound[0].incident is True
    (conversation,) = Conversation.objects.filter(organization=cast.acme)
    assert {m.conversation_id for m in messages} == {conversation.pk}
    assert conversation.message_count == 3
    assert conversation.first_response_at == answer.created_at
    assert conversation.events.filter(kind="routed").count() == 1


def test_with_a_backlog_messages_wait_for_the_worker_in_order(cast: Cast) -> None:
    do_intake(cast.acme, [heard(10, "Where is my refund?")])  # stored, not triaged yet
    assert take_in(cast.acme, [heard(11, "Hello?")]) == 1
    waiting = Message.objects.filter(organization=cast.acme, triaged_at__isnull=True)
    assert waiting.count() == 2

    assert process_pending(cast.acme.pk) == 2
    assert not waiting.exists()
    assert Conversation.objects.filter(organization=cast.acme).count() == 2


def test_a_message_stored_by_another_process_meanwhile_is_not_counted_twice(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cluetrain.listening import intake

    first = heard(20, "Is the 9:00 on time?")
    take_in(cast.acme, [first])
    real_unseen = intake.unseen
    calls = {"n": 0}

    def stale_first_look(organization_id: int, rows: list[intake.Row]) -> list[intake.Row]:
        # The look before the lock misses what another process has just stored.
        calls["n"] += 1
        return rows if calls["n"] == 1 else real_unseen(organization_id, rows)

    monkeypatch.setattr(intake, "unseen", stale_first_look)
    later = heard(21, "Any news?", reply_to=first.external_id)
    assert take_in(cast.acme, [first, later]) == 1

    (conversation,) = Conversation.objects.filter(organization=cast.acme)
    assert conversation.message_count == 2
    assert Message.objects.filter(organization=cast.acme).count() == 2
