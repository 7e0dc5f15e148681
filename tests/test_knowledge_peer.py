"""The peer group: questions routed to the colleague whose expertise fits, answers that count
as expertise, and a good answer made a fact in one click."""

from __future__ import annotations

import pytest

from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.inbox.models import Expertise
from cluetrain.knowledge import peer
from cluetrain.knowledge.models import Fact, FactStatus
from cluetrain.notifications.models import Notification
from tests.conftest import Cast
from tests.support.knowledge import online
from tests.support.routing import expert


@pytest.fixture
def everyone_online(cast: Cast) -> None:
    online(cast.acme, cast.member, cast.trainee, cast.mentor, cast.coordinator, cast.operations)


def test_a_question_goes_to_whoever_declared_the_topic_over_a_learned_one(
    cast: Cast, everyone_online: None
) -> None:
    expert(cast.acme, cast.operations, "bikes", declared=False, weight=1.0)
    expert(cast.acme, cast.trainee, "bikes")
    question = peer.do_ask_peers(cast.member, cast.acme, "Can we say bikes ride free?", "Bikes")
    assert (question.topic, question.routed_to) == ("bikes", cast.trainee)
    assert question.conversation is None
    assert Notification.objects.filter(person=cast.trainee, kind="question").count() == 1


def test_learned_expertise_routes_when_nobody_declared_the_topic(
    cast: Cast, everyone_online: None
) -> None:
    expert(cast.acme, cast.operations, "lost-property", declared=False, weight=0.4)
    question = peer.do_ask_peers(
        cast.member, cast.acme, "Who knows about lost umbrellas?", "lost property"
    )
    assert question.routed_to == cast.operations


def test_an_answer_on_a_topic_is_expertise_that_routes_the_next_question(
    cast: Cast, everyone_online: None
) -> None:
    first = peer.do_ask_peers(cast.member, cast.acme, "Are folding bikes allowed at peak?", "bikes")
    assert first.routed_to is None  # nobody knows bikes yet: the general queue
    peer.do_answer_peer(cast.mentor, first, "Yes, folded and bagged.")
    learned = Expertise.objects.get(membership__person=cast.mentor, topic="bikes")
    assert (learned.declared, learned.weight) == (False, 0.5)
    second = peer.do_ask_peers(cast.trainee, cast.acme, "Tandems on the sleeper?", "bikes")
    assert second.routed_to == cast.mentor
    # Answering more strengthens it, ever more slowly.
    peer.do_answer_peer(cast.mentor, second, "No tandems.")
    learned.refresh_from_db()
    assert 0.5 < learned.weight < 1.0


def test_an_answer_without_topic_teaches_no_expertise(cast: Cast, everyone_online: None) -> None:
    question = peer.do_ask_peers(cast.member, cast.acme, "Anyone free at noon?")
    peer.do_answer_peer(cast.trainee, question, "Me.")
    assert not Expertise.objects.filter(membership__person=cast.trainee).exists()


def test_nobody_answers_their_own_question(cast: Cast, everyone_online: None) -> None:
    question = peer.do_ask_peers(cast.member, cast.acme, "Can we say X?")
    with pytest.raises(ServiceError, match="own question"):
        peer.do_answer_peer(cast.member, question, "Yes.")


def test_an_answer_made_a_fact_by_a_coordinator_is_verified_and_owned_by_the_answerer(
    cast: Cast, everyone_online: None
) -> None:
    question = peer.do_ask_peers(
        cast.member, cast.acme, "Can we say refunds take 7 days?", "refunds"
    )
    peer.do_answer_peer(cast.trainee, question, "Yes: card refunds take up to 7 working days.")
    made = peer.do_make_fact(cast.coordinator, question)
    assert made.statement == "Yes: card refunds take up to 7 working days."
    assert (made.owner, made.status, made.question) == (
        cast.trainee,
        FactStatus.VERIFIED,
        question,
    )
    assert made.topics == ["refunds"]
    assert "Tess Trainee's answer to “Can we say refunds take 7 days?”" in made.sources[0]
    # One click, once: pressing again returns the same fact.
    assert peer.do_make_fact(cast.coordinator, question) == made
    assert Fact.objects.filter(question=question).count() == 1


def test_the_answerer_may_make_their_answer_a_draft_fact_others_may_not(
    cast: Cast, everyone_online: None
) -> None:
    question = peer.do_ask_peers(cast.member, cast.acme, "Dogs on trains?", "pets")
    peer.do_answer_peer(cast.trainee, question, "Two dogs per passenger, free.")
    with pytest.raises(NotAllowed):
        peer.do_make_fact(cast.member, question)
    with pytest.raises(NotAllowed):
        peer.do_make_fact(cast.outsider, question)
    made = peer.do_make_fact(cast.trainee, question)
    assert (made.status, made.owner) == (FactStatus.DRAFT, cast.trainee)


def test_an_unanswered_question_cannot_become_a_fact(cast: Cast) -> None:
    question = peer.do_ask_peers(cast.member, cast.acme, "Dogs on trains?")
    with pytest.raises(ServiceError, match="no answer"):
        peer.do_make_fact(cast.coordinator, question)


def test_a_very_long_answer_is_cut_to_a_statement(cast: Cast, everyone_online: None) -> None:
    question = peer.do_ask_peers(cast.member, cast.acme, "Tell me everything?")
    peer.do_answer_peer(cast.trainee, question, "word " * 900)
    made = peer.do_make_fact(cast.coordinator, question)
    assert len(made.statement) == 1000
    assert made.statement.endswith("…")


def test_the_peer_group_page_asks_answers_and_makes_facts(
    cast: Cast, everyone_online: None
) -> None:
    expert(cast.acme, cast.trainee, "bikes")
    member = cast.client(cast.member)
    page = member.get("/knowledge/ask/")
    assert page.status_code == 200
    assert b'<option value="bikes">' in page.content
    response = member.post(
        "/knowledge/ask/", {"text": "Can we say <script>alert(1)</script>?", "topic": "bikes"}
    )
    assert response.status_code == 302
    question = peer.peer_questions(cast.acme).get()
    assert question.routed_to == cast.trainee
    trainee = cast.client(cast.trainee)
    listing = trainee.get("/knowledge/ask/")
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in listing.content
    assert b"<script>alert(1)" not in listing.content
    trainee.post(f"/knowledge/ask/{question.pk}/answer/", {"answer": "Bikes <b>ride</b> free."})
    question.refresh_from_db()
    assert question.answer == "Bikes <b>ride</b> free."
    assert b"Make this a fact" in trainee.get("/knowledge/ask/").content
    assert b"Make this a fact" not in member.get("/knowledge/ask/").content
    response = cast.client(cast.coordinator).post(f"/knowledge/ask/{question.pk}/make-fact/")
    made = Fact.objects.get(question=question)
    assert response["Location"] == f"/knowledge/facts/{made.pk}/"
    assert b"It is a fact now" in member.get("/knowledge/ask/").content


def test_outsiders_see_none_of_the_peer_group(cast: Cast, everyone_online: None) -> None:
    question = peer.do_ask_peers(cast.member, cast.acme, "Secret plans?")
    outsider = cast.client(cast.outsider)
    assert b"Secret plans" not in outsider.get("/knowledge/ask/").content
    assert (
        outsider.post(f"/knowledge/ask/{question.pk}/answer/", {"answer": "x"}).status_code == 404
    )
    assert outsider.post(f"/knowledge/ask/{question.pk}/make-fact/").status_code == 404


def test_the_peer_group_page_costs_the_same_queries_for_few_or_many_questions(
    cast: Cast, everyone_online: None, django_assert_max_num_queries: object
) -> None:
    for n in range(25):
        question = peer.do_ask_peers(cast.member, cast.acme, f"Question {n}?", "bikes")
        if n % 2:
            peer.do_answer_peer(cast.trainee, question, f"Answer {n}.")
            if n % 5 == 1:
                peer.do_make_fact(cast.coordinator, question)
    client = cast.client(cast.coordinator)
    client.get("/knowledge/ask/")
    with django_assert_max_num_queries(10):  # type: ignore[operator]
        page = client.get("/knowledge/ask/")
    assert page.content.count(b"It is a fact now") == 3
    assert page.content.count(b"Make this a fact") == 9
