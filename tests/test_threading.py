"""Threading: messages join conversations by their reply chains, in batches."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from cluetrain.inbox.models import Conversation, Status
from cluetrain.inbox.threading import Item, thread
from cluetrain.listening.models import Author, Direction, Message
from tests.conftest import Cast

pytestmark = pytest.mark.django_db
_ids = itertools.count(1)
T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def heard(
    cast: Cast,
    text: str,
    *,
    reply_to: str = "",
    root: str = "",
    minutes: int = 0,
    direction: str = Direction.INBOUND,
    who: str = "did:plc:customer",
) -> Item:
    author, _ = Author.objects.get_or_create(
        organization=cast.acme,
        network="bluesky",
        external_id=who,
        defaults={"handle": "customer.test", "first_seen_at": T0, "last_seen_at": T0},
    )
    n = next(_ids)
    message = Message.objects.create(
        organization=cast.acme,
        network="bluesky",
        external_id=f"at://{who}/app.bsky.feed.post/{n}",
        author=author,
        text=text,
        created_at=T0 + dt.timedelta(minutes=minutes),
        received_at=timezone.now(),
        reply_to_external_id=reply_to,
        root_external_id=root,
        direction=direction,
    )
    return Item(
        id=message.pk,
        network="bluesky",
        external_id=message.external_id,
        reply_to=reply_to,
        root=root,
        author_id=author.pk,
        author_label="customer.test",
        created_at=message.created_at,
        direction=direction,
        text=text,
        decision={"intent": "question", "urgency": "normal", "sentiment_label": "neutral"},
    )


def test_a_reply_in_the_same_batch_joins_the_message_it_answers(cast: Cast) -> None:
    first = heard(cast, "Is the 8:15 running?")
    answer = heard(
        cast, "Yes, on time.", reply_to=first.external_id, minutes=5, direction=Direction.OUTBOUND
    )
    again = heard(cast, "Thanks!", reply_to=answer.external_id, minutes=7)
    result = thread(cast.acme.pk, [again, answer, first])
    assert len(result.created) == 1
    conversation = Conversation.objects.get(pk=first.conversation_id)
    assert answer.conversation_id == again.conversation_id == conversation.pk
    assert conversation.message_count == 3
    assert conversation.first_response_at == answer.created_at
    assert conversation.last_message_at == again.created_at
    assert conversation.root_external_id == first.external_id


def test_a_later_batch_finds_the_conversation_by_reply_or_root(cast: Cast) -> None:
    first = heard(cast, "Lost my bag at Central")
    thread(cast.acme.pk, [first])
    Message.objects.filter(pk=first.id).update(conversation_id=first.conversation_id)
    by_reply = heard(cast, "Any news?", reply_to=first.external_id, minutes=60)
    by_root = heard(cast, "Hello??", reply_to="at://elsewhere/1", root=first.external_id)
    result = thread(cast.acme.pk, [by_reply, by_root])
    assert result.created == []
    assert by_reply.conversation_id == by_root.conversation_id == first.conversation_id
    assert Conversation.objects.get(pk=first.conversation_id).message_count == 3


def test_a_customer_writing_after_resolution_reopens_the_conversation(cast: Cast) -> None:
    first = heard(cast, "Refund please")
    thread(cast.acme.pk, [first])
    Message.objects.filter(pk=first.id).update(conversation_id=first.conversation_id)
    Conversation.objects.filter(pk=first.conversation_id).update(status=Status.RESOLVED)
    later = heard(cast, "Still no refund", reply_to=first.external_id, minutes=600)
    result = thread(cast.acme.pk, [later])
    assert result.reopened == [first.conversation_id]
    assert Conversation.objects.get(pk=first.conversation_id).status == Status.OPEN


def test_our_reply_to_nothing_we_hold_starts_no_conversation(cast: Cast) -> None:
    broadcast = heard(cast, "Timetable change", direction=Direction.OUTBOUND, who="did:plc:acme")
    result = thread(cast.acme.pk, [broadcast])
    assert result.created == []
    assert broadcast.conversation_id is None


def test_separate_customers_get_separate_conversations(cast: Cast) -> None:
    a = heard(cast, "Train late", who="did:plc:a")
    b = heard(cast, "Train late", who="did:plc:b")
    result = thread(cast.acme.pk, [a, b])
    assert len(result.created) == 2
    assert a.conversation_id != b.conversation_id
    assert Conversation.objects.filter(organization=cast.acme).count() >= 2


def test_hostile_and_huge_text_is_kept_as_text_and_bounded_in_search(cast: Cast) -> None:
    nasty = heard(cast, "<script>alert(1)</script>" + "x" * 20_000)
    thread(cast.acme.pk, [nasty])
    conversation = Conversation.objects.get(pk=nasty.conversation_id)
    assert conversation.subject.startswith("<script>alert(1)</script>")
    assert len(conversation.subject) == 200
    assert len(conversation.search_text) <= 4000
