"""The peer group: "can we say X?", "who knows about Y?" asked of the colleagues whose
expertise fits, through the inbox's "Ask a colleague" routing, and a good answer made a fact.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils.text import slugify

from cluetrain.core import audit
from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.inbox.models import Expertise, Question
from cluetrain.inbox.questions import do_answer, do_ask
from cluetrain.knowledge import rights
from cluetrain.knowledge.models import MAX_STATEMENT, Fact, FactStatus
from cluetrain.knowledge.services import create_fact
from cluetrain.organizations.models import Organization, Person

MAX_SUGGESTIONS = 40


def do_ask_peers(
    person: Person, organization: Organization, text: str, topic: str = ""
) -> Question:
    """Ask the peer group; routed to whoever's expertise fits the topic best."""
    return do_ask(person, organization, text, topic=slugify(topic or "")[:60])


def do_answer_peer(person: Person, question: Question, text: str) -> Question:
    if question.asked_by_id == person.pk:
        raise ServiceError("Your own question waits for a colleague's answer.", code="own")
    return do_answer(person, question, text)


def peer_questions(organization: Organization) -> QuerySet[Question]:
    """The organisation's questions asked outside a conversation (conversations hold customers'
    words, which stay in the inbox), newest first."""
    return (
        Question.objects.filter(organization=organization, conversation__isnull=True)
        .select_related("organization", "asked_by", "routed_to", "answered_by")
        .order_by("-created_at", "-pk")
    )


def known_topics(organization: Organization) -> list[str]:
    """Topics worth suggesting: the triage's topics and the ones people declared or learned."""
    from cluetrain.triage.models import Topic

    topics = set(Topic.objects.filter(organization=organization).values_list("slug", flat=True))
    topics |= set(
        Expertise.objects.filter(membership__organization=organization)
        .values_list("topic", flat=True)
        .distinct()[:200]
    )
    return sorted(t for t in topics if t)[:MAX_SUGGESTIONS]


def _statement_from(answer: str) -> str:
    answer = " ".join(answer.split())
    if len(answer) > MAX_STATEMENT:
        answer = answer[: MAX_STATEMENT - 1].rstrip() + "…"
    return answer


def do_make_fact(person: Person, question: Question) -> Fact:
    """One click: the answer becomes a fact owned by the answerer, citing the question.

    Made by a curator (director, coordinator, mentor) it is verified at once; made by the
    answerer, it is a draft a curator verifies. A question makes one fact: pressing twice
    returns the first.
    """
    rights.require_member(person, question.organization)
    if not rights.may_make_fact(person, question):
        if question.answered_at is None:
            raise ServiceError("This question has no answer yet.", code="unanswered")
        raise NotAllowed(
            "Only the colleague who answered, directors, coordinators and mentors may make "
            "an answer a fact."
        )
    with transaction.atomic():
        Question.objects.select_for_update().filter(pk=question.pk).first()
        existing = Fact.objects.filter(question=question).first()
        if existing is not None:
            return existing
        answerer = question.answered_by
        name = (answerer.full_name or answerer.email) if answerer else "a colleague"
        when = question.answered_at.date().isoformat() if question.answered_at else ""
        source = (
            f"Peer group: {name}'s answer to “{' '.join(question.text.split())[:200]}” ({when})"
        )
        verify = rights.may_curate(person, question.organization)
        fact = create_fact(
            person,
            question.organization,
            _statement_from(question.answer),
            sources=[source[:500]],
            topics=[question.topic] if question.topic else [],
            owner=answerer,
            departments=[question.department] if question.department else [],
            verify=verify,
            question_id=question.pk,
        )
        audit.record(
            question.organization,
            person,
            "fact.made_from_answer",
            fact,
            fact=fact.pk,
            question=question.pk,
            status=FactStatus(fact.status).value,
        )
    return fact
