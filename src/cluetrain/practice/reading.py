"""Reading the practice space: a learner's feed, mentors' queues, and who may see what.

A learner sees their own practice; mentors, coordinators and directors see every learner's in
their organisation; nobody else sees any. Each function here asks a fixed number of queries,
however long the feed or the queue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from cluetrain.core.errors import NotAllowed
from cluetrain.organizations import policy
from cluetrain.organizations.models import Organization, Person
from cluetrain.organizations.policy import Permission
from cluetrain.organizations.roles import Role
from cluetrain.practice import scenarios
from cluetrain.practice.models import Author, Exercise, Grade, InlineComment, Message, Thread
from cluetrain.practice.progress import PracticeRecord, graded_work
from cluetrain.publishing.models import Delivery
from cluetrain.voices.models import Network

FEED_LIMIT = 50
QUEUE_LIMIT = 100


def is_mentor(person: Person, organization: Organization) -> bool:
    return policy.can(person, organization, Permission.MANAGE_ACADEMY)


def check_may_see(viewer: Person, organization: Organization, learner: Person) -> None:
    """Raise ``NotAllowed`` unless ``viewer`` may see ``learner``'s practice here."""
    policy.require(viewer, organization, Permission.VIEW_ORGANIZATION)
    if viewer.pk == learner.pk:
        return
    if not is_mentor(viewer, organization) or not policy.is_member(learner, organization):
        raise NotAllowed("A person's practice is theirs and their mentors' to see.")


def _messages() -> QuerySet[Message]:
    return Message.objects.prefetch_related(
        Prefetch("grades", queryset=Grade.objects.select_related("mentor")),
        Prefetch("comments", queryset=InlineComment.objects.select_related("mentor")),
    ).select_related("exercise")


@dataclass
class Entry:
    """One message of a thread as shown, with the brand's answer once the learner replied."""

    message: Message
    reference: str = ""


@dataclass
class FeedItem:
    """One item of the feed: a replayed thread, a practice post, or a post from the composer."""

    at: datetime
    thread: Thread | None = None
    scenario: scenarios.Scenario | None = None
    entries: list[Entry] = field(default_factory=list)
    message: Message | None = None
    delivery: Delivery | None = None

    @property
    def kind(self) -> str:
        if self.thread is not None:
            return "thread"
        return "post" if self.message is not None else "composed"


def _entries(thread: Thread, scenario: scenarios.Scenario | None) -> list[Entry]:
    """The thread's messages in order; a learner's first reply to a step shows its reference."""
    step_of: dict[int, int] = {}
    if scenario is not None:
        turn = 0
        for index, each in enumerate(scenario.steps):
            for _ in each.messages:
                step_of[turn] = index
                turn += 1
    entries: list[Entry] = []
    answered: set[int] = set()
    step: int | None = None
    for message in thread.messages.all():
        entry = Entry(message)
        if message.author == Author.CUSTOMER and message.turn is not None:
            step = step_of.get(message.turn)
        elif step is not None and step not in answered and scenario is not None:
            answered.add(step)
            entry.reference = scenario.steps[step].reference
        entries.append(entry)
    return entries


def feed(viewer: Person, organization: Organization, learner: Person) -> list[FeedItem]:
    """``learner``'s practice feed, newest first: threads, posts, and composer posts."""
    check_may_see(viewer, organization, learner)
    threads = list(
        Thread.objects.filter(organization=organization, learner=learner)
        .select_related("exercise")
        .prefetch_related(Prefetch("messages", queryset=_messages()))[:FEED_LIMIT]
    )
    posts = list(
        _messages()
        .filter(organization=organization, learner=learner, thread__isnull=True)
        .order_by("-created_at", "-pk")[:FEED_LIMIT]
    )
    # Posts written in the regular composer to a practice voice of the learner's own.
    composed = list(
        Delivery.objects.filter(
            organization=organization,
            network=Network.PRACTICE,
            voice__owner=learner,
            post__author=learner,
        )
        .select_related("post", "voice")
        .order_by("-created_at", "-pk")[:FEED_LIMIT]
    )
    items = [
        FeedItem(
            at=thread.started_at,
            thread=thread,
            scenario=scenarios.get(thread.scenario),
            entries=_entries(thread, scenarios.get(thread.scenario)),
        )
        for thread in threads
    ]
    items += [FeedItem(at=post.created_at, message=post) for post in posts]
    items += [FeedItem(at=delivery.created_at, delivery=delivery) for delivery in composed]
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:FEED_LIMIT]


def open_exercises(organization: Organization) -> QuerySet[Exercise]:
    return Exercise.objects.filter(organization=organization, is_active=True)


def to_give(mentor: Person, organization: Organization) -> list[Message]:
    """Submitted work no mentor has graded yet, oldest first, without the mentor's own."""
    policy.require(mentor, organization, Permission.MANAGE_ACADEMY)
    graded = Grade.objects.filter(message=OuterRef("pk"), is_current=True)
    return list(
        Message.objects.filter(
            organization=organization, author=Author.LEARNER, submitted_at__isnull=False
        )
        .exclude(learner=mentor)
        .exclude(Exists(graded))
        .select_related("learner", "exercise", "thread")
        .order_by("submitted_at", "pk")[:QUEUE_LIMIT]
    )


@dataclass
class Followed:
    person: Person
    record: PracticeRecord


def learners_to_follow(mentor: Person, organization: Organization) -> list[Followed]:
    """The learners a mentor follows: those they gave feedback to; everyone's for leads.

    Coordinators and directors follow everyone who practises in the organisation.
    """
    policy.require(mentor, organization, Permission.MANAGE_ACADEMY)
    roles = policy.roles_of(mentor, organization)
    practising = Message.objects.filter(organization=organization, author=Author.LEARNER)
    if not roles & {Role.COORDINATOR, Role.DIRECTOR, Role.ADMIN}:
        practising = practising.filter(Q(grades__mentor=mentor) | Q(comments__mentor=mentor))
    ids = set(practising.exclude(learner=mentor).values_list("learner_id", flat=True))
    people = list(Person.objects.filter(pk__in=ids).order_by("full_name", "pk"))
    records = graded_work(organization, [person.pk for person in people])
    return [Followed(person, records[person.pk]) for person in people]
