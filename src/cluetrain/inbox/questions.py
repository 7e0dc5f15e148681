""" "Ask a colleague": an internal question, from a conversation or on its own, routed the way
conversations are - to the best available expert other than the asker, else to the
department's people - and answered once."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from cluetrain.core.errors import ServiceError
from cluetrain.inbox.models import Conversation, ConversationEvent, Question
from cluetrain.inbox.pickup import queue_people
from cluetrain.inbox.routing import Pool
from cluetrain.inbox.sla import conversation_url
from cluetrain.knowledge.expertise import learn_from_answer
from cluetrain.notifications.services import notify
from cluetrain.organizations import policy
from cluetrain.organizations.models import Membership, Organization, Person
from cluetrain.organizations.policy import Permission

MAX_TEXT = 5000


def _text(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ServiceError(f"Write the {what} first.", code="empty")
    if len(text) > MAX_TEXT:
        raise ServiceError(
            f"Keep the {what} under {MAX_TEXT} characters (this one has {len(text)}).",
            code="too_long",
        )
    return text


def do_ask(
    person: Person,
    organization: Organization,
    text: str,
    *,
    conversation: Conversation | None = None,
    topic: str | None = None,
) -> Question:
    """Ask the colleague who knows; the topic is the conversation's unless given.

    Availability counts as for conversations (working hours or online, not out of office),
    capacity does not: a quick question is not a conversation to hold.
    """
    policy.require(person, organization, Permission.WORK_INBOX)
    text = _text(text, "question")
    if conversation is not None and conversation.organization_id != organization.pk:
        raise ServiceError("That conversation belongs to another organisation.")
    topic = (topic if topic is not None else (conversation.topic if conversation else ""))[:60]
    department_id = conversation.department_id if conversation else None
    now = timezone.now()
    pool = Pool.load(organization.pk, now)
    chosen = pool.choose(topic, department_id, exclude={person.pk}, mind_capacity=False)
    with transaction.atomic():
        question = Question.objects.create(
            organization=organization,
            conversation=conversation,
            asked_by=person,
            text=text,
            topic=topic,
            routed_to_id=chosen[0].person_id if chosen else None,
            department_id=pool.queue_of(topic, department_id) if not chosen else department_id,
        )
        if chosen:
            candidate, reasons = chosen
            reason = pool.reason(candidate, reasons, department_id).split(", ")[0]
            people = [question.routed_to] if question.routed_to else []
        else:
            reason = pool.queue_reason(topic, question.department_id)
            people = [
                p for p in queue_people(organization.pk, question.department_id) if p != person
            ]
        if conversation is not None:
            ConversationEvent.objects.create(
                conversation=conversation,
                actor=person,
                kind="question_asked",
                detail={"question": question.pk, "to": question.routed_to_id, "reason": reason},
            )
        url = conversation_url(conversation.pk) if conversation else "/me/questions/"
        for colleague in people:
            notify(
                colleague,
                "question",
                f"{person.full_name or person.email} asks: {text[:120]}",
                text,
                organization=organization,
                url=url,
            )
    return question


def do_answer(person: Person, question: Question, text: str) -> Question:
    """Answer a question once (the first answer stands); the asker is told."""
    policy.require(person, question.organization, Permission.WORK_INBOX)
    text = _text(text, "answer")
    now = timezone.now()
    with transaction.atomic():
        won = Question.objects.filter(pk=question.pk, answered_at__isnull=True).update(
            answer=text, answered_by=person, answered_at=now
        )
        if won != 1:
            raise ServiceError("Someone has already answered this question.", code="answered")
        question.refresh_from_db()
        # An answer on a topic is shown expertise: routing sends the next such question here.
        learn_from_answer(question)
        if question.conversation_id is not None:
            ConversationEvent.objects.create(
                conversation_id=question.conversation_id,
                actor=person,
                kind="question_answered",
                detail={"question": question.pk},
            )
        if question.asked_by_id != person.pk:
            notify(
                question.asked_by,
                "answer",
                f"{person.full_name or person.email} answered: {question.text[:100]}",
                text,
                organization=question.organization,
                url=conversation_url(question.conversation_id)
                if question.conversation_id
                else "/me/questions/",
            )
    return question


def open_questions_for(person: Person, organization: Organization) -> QuerySet[Question]:
    """Unanswered questions this person should see: asked of them, or of a queue they are in
    (their department's, or the general one), never their own."""
    departments = list(
        Membership.objects.filter(
            person=person, organization=organization, is_active=True
        ).values_list("departments", flat=True)
    )
    mine = Q(routed_to=person) | Q(
        routed_to__isnull=True, department_id__in=[d for d in departments if d]
    )
    mine |= Q(routed_to__isnull=True, department__isnull=True)
    return (
        Question.objects.filter(mine, organization=organization, answered_at__isnull=True)
        .exclude(asked_by=person)
        .select_related("asked_by", "conversation")
        .order_by("created_at")
    )


def asked_by(person: Person, organization: Organization) -> QuerySet[Question]:
    """The person's own questions, newest first, answered or not."""
    return (
        Question.objects.filter(organization=organization, asked_by=person)
        .select_related("routed_to", "answered_by", "conversation")
        .order_by("-created_at")
    )
