"""The conversation and triage endpoints: lists with the inbox's filters, one conversation
with its messages, the actions, replies through a voice, and triage corrections."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cluetrain.inbox import services
from cluetrain.inbox.models import Conversation, Note, Status
from cluetrain.listening.models import Direction, Message
from cluetrain.publishing import dispatch
from cluetrain.reviews.autonomy import do_set_level
from cluetrain.triage.models import Correction
from tests.conftest import Cast
from tests.support.api_work import assert_error, call, same_queries_for_few_and_many, token
from tests.support.inbox_ui import make_conversation


@pytest.fixture(autouse=True)
def _autonomous(cast: Cast) -> None:
    dispatch._allowed.clear()
    do_set_level(cast.coordinator, cast.member, cast.acme, "autonomous", reason="Answers alone.")


def ids(response: object) -> list[int]:
    return [c["id"] for c in response.json()["items"]]  # type: ignore[attr-defined]


def test_the_list_is_the_open_queue_newest_first_and_pages_by_cursor(cast: Cast) -> None:
    made = [make_conversation(cast.acme, f"Question {n}") for n in range(3)]
    resolved = make_conversation(cast.acme, "Done", status=Status.RESOLVED)
    secret = token(cast.member, cast.acme)
    first = call("get", "/api/conversations", secret, {"limit": 2})
    assert first.status_code == 200, first.content
    assert first.json()["has_more"] is True
    after = first.json()["next_cursor"]
    second = call("get", "/api/conversations", secret, {"limit": 2, "after": after})
    assert ids(first) + ids(second) == [c.pk for c in made]
    assert resolved.pk not in ids(first) + ids(second)
    bad = call("get", "/api/conversations", secret, {"after": "not-a-cursor"})
    assert_error(bad, 400)


def test_the_list_is_filtered_by_status_assignee_department_tag_and_words(cast: Cast) -> None:
    mine = make_conversation(cast.acme, "My suitcase is lost in Brussels")
    services.do_assign(cast.member, mine, cast.member)
    services.do_tag(cast.member, mine, "luggage")
    cared = make_conversation(cast.acme, "Refund please", department=cast.care)
    done = make_conversation(cast.acme, "Thanks", status=Status.RESOLVED)
    secret = token(cast.member, cast.acme)
    assert ids(call("get", "/api/conversations", secret, {"assignee": "me"})) == [mine.pk]
    assert ids(call("get", "/api/conversations", secret, {"tag": "luggage"})) == [mine.pk]
    by_department = call("get", "/api/conversations", secret, {"department": cast.care.pk})
    assert ids(by_department) == [cared.pk]
    assert ids(call("get", "/api/conversations", secret, {"status": "resolved"})) == [done.pk]
    assert ids(call("get", "/api/conversations", secret, {"q": "suitcase"})) == [mine.pk]
    assert_error(call("get", "/api/conversations", secret, {"status": "sleeping"}), 400)


def test_the_list_costs_the_same_queries_for_2_or_20_conversations(cast: Cast) -> None:
    def add(count: int) -> None:
        for _ in range(count):
            c = make_conversation(cast.acme, department=cast.care)
            services.do_tag(cast.member, c, "first")
            services.do_assign(cast.member, c, cast.mentor)

    few, many = same_queries_for_few_and_many(
        "/api/conversations?limit=100", token(cast.member, cast.acme), add
    )
    assert few == many


def test_a_conversation_is_read_with_its_messages_and_notes(cast: Cast) -> None:
    c = make_conversation(cast.acme, "Where is my refund?")
    services.do_add_note(cast.member, c, "Checking with finance")
    read = call("get", f"/api/conversations/{c.pk}", token(cast.member, cast.acme)).json()
    assert [m["text"] for m in read["messages"]] == ["Where is my refund?"]
    assert read["messages"][0]["direction"] == Direction.INBOUND
    assert [n["body"] for n in read["notes"]] == ["Checking with finance"]


def test_managers_outsiders_and_other_organisations_get_nothing(
    cast: Cast, manager: object
) -> None:
    theirs = make_conversation(cast.globex)
    secret = token(cast.member, cast.acme)
    assert_error(call("get", f"/api/conversations/{theirs.pk}", secret), 404, "not_found")
    assert_error(call("get", "/api/conversations", token(manager, cast.acme)), 403)


def test_assign_status_snooze_tag_and_note(cast: Cast) -> None:
    c = make_conversation(cast.acme)
    secret = token(cast.member, cast.acme)
    base = f"/api/conversations/{c.pk}"
    assigned = call("post", f"{base}/assign", secret, {"assignee_id": cast.mentor.pk})
    assert assigned.json()["assignee"]["id"] == cast.mentor.pk
    assert assigned.json()["status"] == Status.OPEN
    queued = call("post", f"{base}/assign", secret, {"department_id": cast.care.pk})
    assert (queued.json()["assignee"], queued.json()["department"]["id"]) == (None, cast.care.pk)
    assert_error(call("post", f"{base}/assign", secret, {"assignee_id": cast.outsider.pk}), 404)
    waiting = call("post", f"{base}/status", secret, {"status": "waiting"})
    assert waiting.json()["status"] == Status.WAITING
    until = (timezone.now() + timedelta(days=1)).isoformat()
    snoozed = call("post", f"{base}/snooze", secret, {"until": until})
    assert snoozed.json()["snoozed_until"] is not None
    past = (timezone.now() - timedelta(days=1)).isoformat()
    assert_error(call("post", f"{base}/snooze", secret, {"until": past}), 400, "when")
    assert call("post", f"{base}/unsnooze", secret).json()["snoozed_until"] is None
    tagged = call("post", f"{base}/tags", secret, {"name": " Refund Claim "})
    assert tagged.json()["tags"] == ["refund-claim"]
    assert call("delete", f"{base}/tags/refund-claim", secret).json()["tags"] == []
    note = call("post", f"{base}/notes", secret, {"body": "Ask @mona"})
    assert note.status_code == 201, note.content
    assert Note.objects.filter(conversation=c).count() == 1


def test_a_reply_goes_through_the_callers_own_voice(cast: Cast) -> None:
    c = make_conversation(cast.acme, "Is the 8:15 running?")
    body = {"voice_id": cast.member_voice.pk, "text": "Yes, on time today."}
    sent = call("post", f"/api/conversations/{c.pk}/replies", token(cast.member, cast.acme), body)
    assert sent.status_code == 201, sent.content
    reply = Message.objects.get(pk=sent.json()["message_id"])
    assert (reply.direction, reply.sent_by, reply.post_id) == (
        Direction.OUTBOUND,
        cast.member,
        sent.json()["post_id"],
    )
    assert Conversation.objects.get(pk=c.pk).status == Status.WAITING


def test_nobody_replies_from_someone_elses_personal_voice_not_even_the_admin(cast: Cast) -> None:
    c = make_conversation(cast.acme)
    body = {"voice_id": cast.member_voice.pk, "text": "Speaking for Milo"}
    for person in (cast.admin, cast.director, cast.mentor):
        refused = call("post", f"/api/conversations/{c.pk}/replies", token(person, cast.acme), body)
        assert_error(refused, 403, "not_allowed")
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()


def test_a_reply_repeating_personal_data_needs_confirming(cast: Cast) -> None:
    c = make_conversation(cast.acme, "Write to jane.doe@example.com please")
    path = f"/api/conversations/{c.pk}/replies"
    body = {"voice_id": cast.member_voice.pk, "text": "We wrote to jane.doe@example.com"}
    secret = token(cast.member, cast.acme)
    assert_error(call("post", path, secret, body), 400, "personal_data")
    confirmed = call("post", path, secret, {**body, "confirm_personal_data": True})
    assert confirmed.status_code == 201, confirmed.content


def test_a_triage_correction_is_stored_as_a_labelled_example(cast: Cast) -> None:
    c = make_conversation(cast.acme, "Your app crashes when I pay", intent="complaint")
    message = c.messages.get()
    secret = token(cast.member, cast.acme)
    path = f"/api/messages/{message.pk}/corrections"
    corrected = call("post", path, secret, {"field": "intent", "value": "question"})
    assert corrected.status_code == 201, corrected.content
    assert corrected.json()["correction"]["new_value"] == "question"
    example = Correction.objects.get()
    assert (example.field, example.old_value, example.text) == (
        "intent",
        "complaint",
        "Your app crashes when I pay",
    )
    assert Conversation.objects.get(pk=c.pk).intent == "question"
    again = call("post", path, secret, {"field": "intent", "value": "question"})
    assert again.json() == {"changed": False, "correction": None}
    assert_error(call("post", path, secret, {"field": "intent", "value": "shouting"}), 400)
    listed = call("get", "/api/corrections", secret).json()
    assert [item["field"] for item in listed["items"]] == ["intent"]


def test_a_department_correction_moves_the_conversation(cast: Cast) -> None:
    c = make_conversation(cast.acme)
    message = c.messages.get()
    path = f"/api/messages/{message.pk}/corrections"
    body = {"field": "department", "value": cast.care.slug}
    assert call("post", path, token(cast.member, cast.acme), body).status_code == 201
    assert Conversation.objects.get(pk=c.pk).department_id == cast.care.pk


def test_routing_by_hand_is_learned_from(cast: Cast) -> None:
    c = make_conversation(cast.acme)
    path = f"/api/conversations/{c.pk}/route"
    routed = call("post", path, token(cast.member, cast.acme), {"department_id": cast.care.pk})
    assert routed.json() == {"changed": 1}
    assert Correction.objects.filter(field="department", new_value=cast.care.slug).exists()


def test_our_own_replies_have_no_triage_to_correct(cast: Cast) -> None:
    c = make_conversation(cast.acme)
    ours = Message.objects.create(
        organization=cast.acme,
        network="practice",
        external_id="ours-1",
        author=c.author,
        text="Reply",
        created_at=timezone.now(),
        received_at=timezone.now(),
        direction=Direction.OUTBOUND,
        conversation=c,
    )
    path = f"/api/messages/{ours.pk}/corrections"
    refused = call(
        "post", path, token(cast.member, cast.acme), {"field": "intent", "value": "question"}
    )
    assert_error(refused, 400)
