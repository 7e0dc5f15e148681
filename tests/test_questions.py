"""Ask a colleague: questions routed to the expert (never the asker), else the department."""

from __future__ import annotations

import datetime as dt

import pytest

from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.inbox import questions
from cluetrain.inbox.models import ConversationEvent
from cluetrain.notifications.models import Notification
from tests.conftest import Cast
from tests.support.routing import availability, conversation, expert


@pytest.fixture
def online(cast: Cast) -> None:
    # Questions are asked now, whatever the clock says: keep the experts online.
    from django.utils import timezone

    for person in (cast.member, cast.trainee, cast.mentor):
        availability(cast.acme, person, last_seen_at=timezone.now())


def test_a_question_goes_to_the_colleague_who_knows_the_topic(cast: Cast, online: None) -> None:
    expert(cast.acme, cast.trainee, "refund")
    about = conversation(cast.acme, topic="refund")
    question = questions.do_ask(
        cast.member, cast.acme, "Can we refund a day return?", conversation=about
    )
    assert question.routed_to == cast.trainee
    assert question.topic == "refund"
    note = Notification.objects.get(person=cast.trainee, kind="question")
    assert note.title == "Milo Member asks: Can we refund a day return?"
    assert note.url == f"/inbox/c/{about.pk}/"
    event = ConversationEvent.objects.get(conversation=about, kind="question_asked")
    assert event.detail["to"] == cast.trainee.pk


def test_the_asker_is_never_asked_their_own_question(cast: Cast, online: None) -> None:
    expert(cast.acme, cast.member, "refund", weight=5.0)
    expert(cast.acme, cast.trainee, "refund")
    question = questions.do_ask(cast.member, cast.acme, "Who handles refunds?", topic="refund")
    assert question.routed_to == cast.trainee


def test_with_no_expert_the_departments_people_are_asked(cast: Cast) -> None:
    availability(cast.acme, cast.mentor, out_of_office_until=dt.datetime(2999, 1, 1, tzinfo=dt.UTC))
    about = conversation(cast.acme, topic="lost-property", department=cast.care)
    question = questions.do_ask(cast.member, cast.acme, "Lost umbrella policy?", conversation=about)
    assert (question.routed_to, question.department) == (None, cast.care)
    assert list(Notification.objects.filter(kind="question").values_list("person", flat=True)) == [
        cast.mentor.pk
    ]
    assert list(questions.open_questions_for(cast.mentor, cast.acme)) == [question]
    assert list(questions.open_questions_for(cast.member, cast.acme)) == []  # their own
    assert list(questions.open_questions_for(cast.trainee, cast.acme)) == []  # not in care


def test_an_answer_reaches_the_asker_and_stands_once(cast: Cast, online: None) -> None:
    expert(cast.acme, cast.trainee, "refund")
    question = questions.do_ask(cast.member, cast.acme, "Refund window?", topic="refund")
    questions.do_answer(cast.trainee, question, "28 days.")
    question.refresh_from_db()
    assert (question.answer, question.answered_by) == ("28 days.", cast.trainee)
    assert Notification.objects.filter(person=cast.member, kind="answer").count() == 1
    with pytest.raises(ServiceError, match="already answered"):
        questions.do_answer(cast.mentor, question, "30 days.")
    assert list(questions.open_questions_for(cast.trainee, cast.acme)) == []
    assert list(questions.asked_by(cast.member, cast.acme)) == [question]


@pytest.mark.parametrize("text", ["", "   \n ", "x" * 5001])
def test_empty_or_giant_questions_are_refused(cast: Cast, text: str) -> None:
    with pytest.raises(ServiceError):
        questions.do_ask(cast.member, cast.acme, text)


def test_hostile_html_is_kept_as_text(cast: Cast, online: None) -> None:
    expert(cast.acme, cast.trainee, "refund")
    question = questions.do_ask(
        cast.member, cast.acme, "<script>alert(1)</script> ‮", topic="refund"
    )
    assert question.text == "<script>alert(1)</script> ‮"


def test_outsiders_may_neither_ask_nor_answer(cast: Cast, online: None) -> None:
    with pytest.raises(NotAllowed):
        questions.do_ask(cast.outsider, cast.acme, "What is Acme doing?")
    question = questions.do_ask(cast.member, cast.acme, "Anyone?")
    with pytest.raises(NotAllowed):
        questions.do_answer(cast.outsider, question, "Me!")


def test_a_conversation_of_another_organisation_cannot_be_asked_about(cast: Cast) -> None:
    foreign = conversation(cast.globex)
    with pytest.raises(ServiceError, match="another organisation"):
        questions.do_ask(cast.member, cast.acme, "Hm?", conversation=foreign)
