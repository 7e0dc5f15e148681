"""Waiting conversations taken up: when someone frees capacity or comes online, when a
conversation waits unclaimed too long, and what people learn from the ones they resolve.

The choice of who fits is ``cluetrain.inbox.routing``'s; this module decides when to ask it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db import transaction
from django.db.models import F, IntegerField, OuterRef, Q, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from cluetrain.inbox.models import (
    Availability,
    Conversation,
    ConversationEvent,
    Expertise,
    ServiceLevel,
    Status,
)
from cluetrain.inbox.models.conversations import ACTIVE
from cluetrain.inbox.routing import (
    HEARTBEAT_SECONDS,
    INBOX_LEADS,
    INBOX_ROLES,
    REROUTE_BATCH,
    Decision,
    Pool,
    do_route,
    record_decisions,
    stamp_assigned,
    urgency_key,
)
from cluetrain.organizations.models import Membership, Person

# The events that hand a conversation to someone or to a queue; the latest says where it went
# last. ``do_assign`` notes in ``from_id`` whom it took the conversation from.
HANDOVERS = ("assigned", "picked_up", "routed", "rerouted")


def moved_off() -> Coalesce:
    """For each conversation (an annotation): the person its latest hand-over took it from by
    hand, else 0 (nobody has that id).

    Someone who moves a conversation they hold to a queue does not want it: no pick-up or
    re-route may give it back to them. Any later hand-over (routed, picked up by someone else,
    assigned again) is the latest instead, and they may have it again.
    """
    # Latest by id, not created_at: routing stamps its events with the caller's ``now``, the
    # other events with the clock; ids follow the order the hand-overs were written in.
    latest = ConversationEvent.objects.filter(
        conversation=OuterRef("pk"), kind__in=HANDOVERS
    ).order_by("-id")
    taken_from = Cast(KeyTextTransform("from_id", "detail"), IntegerField())
    # Never null, so ``exclude(moved_off=person)`` keeps the conversations nobody moved.
    return Coalesce(Subquery(latest.values(off=taken_from)[:1]), 0)


def pick_up(
    membership: Membership,
    now: dt.datetime | None = None,
    *,
    present: bool = False,
) -> int:
    """Give a person the most urgent waiting conversations they fit, up to their capacity;
    returns how many.

    Called when capacity frees up (one of theirs resolved or reassigned), when they come
    online (``do_heartbeat``) and when their shift starts. ``present`` says they are acting
    right now, so working hours and the online window are not asked. Each conversation is
    claimed with a conditional UPDATE (``assignee IS NULL``), so two pick-ups never take the
    same one. Never takes what was just moved off this person (``moved_off``), in the same
    query as the waiting conversations.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # One pick-up per person at a time, so two cannot both fill the same free capacity.
        Availability.objects.get_or_create(membership_id=membership.pk)
        list(Availability.objects.select_for_update().filter(membership_id=membership.pk))
        pool = Pool.load(membership.organization_id, now, only=[membership.pk])
        if not pool.candidates:
            return 0
        me = pool.candidates[0]
        if present and me.why_not == "off hours":
            me.available, me.why_not = True, ""
        spare = me.capacity - me.open
        if not me.available or spare <= 0:
            return 0
        topics = [topic for topic, (declared, weight) in me.expertise.items() if declared or weight]
        fits = Q(topic__in=topics) | Q(department_id__in=list(me.departments))
        if not topics and not me.departments:
            return 0
        waiting = list(
            Conversation.objects.filter(
                fits, organization_id=membership.organization_id, assignee__isnull=True
            )
            .filter(status__in=ACTIVE)
            .alias(moved_off=moved_off())
            .exclude(moved_off=me.person_id)
            .order_by(F("due_at").asc(nulls_last=True), "first_message_at", "id")[: spare * 3]
        )
        events = []
        for c in waiting:
            if me.open >= me.capacity:
                break
            won = Conversation.objects.filter(pk=c.pk, assignee__isnull=True).update(
                assignee_id=me.person_id, assigned_at=now
            )
            if won != 1:
                continue  # someone else took it first
            pool.take(me)
            _, reasons = me.fit(c.topic, c.department_id)
            reason = pool.reason(me, reasons, c.department_id).replace("routed to", "picked up by")
            events.append(
                ConversationEvent(
                    conversation_id=c.pk,
                    kind="picked_up",
                    detail={"to": me.person_id, "reason": reason},
                )
            )
        ConversationEvent.objects.bulk_create(events)
        if events:
            stamp_assigned(me.membership_id, now)
    return len(events)


def pick_up_person(person: Person, organization_id: int, *, present: bool = False) -> int:
    """``pick_up`` for a person in an organisation (0 when they are not a member)."""
    membership = Membership.objects.filter(
        person=person, organization_id=organization_id, is_active=True
    ).first()
    return pick_up(membership, present=present) if membership else 0


def do_heartbeat(membership: Membership, now: dt.datetime | None = None) -> int:
    """The person is here (the inbox page pings, or they signed in): note it at most once a
    minute, and when noted, let them pick up waiting conversations. Returns how many."""
    now = now or timezone.now()
    Availability.objects.get_or_create(membership_id=membership.pk)
    noted = Availability.objects.filter(
        Q(last_seen_at__isnull=True)
        | Q(last_seen_at__lt=now - dt.timedelta(seconds=HEARTBEAT_SECONDS)),
        membership_id=membership.pk,
    ).update(last_seen_at=now)
    if not noted:
        return 0
    return pick_up(membership, now)


# -- Learning, re-routing, queues -----------------------------------------------------------


def learn_from_resolution(conversation: Conversation, person: Person) -> None:
    """The person resolved a conversation on a topic: they know it a little better.

    Each resolution adds ``1 / (1 + weight)``, so the weight grows like a square root: twenty
    resolutions count for about as much as a declared topic and a half.
    """
    if not conversation.topic:
        return
    membership = Membership.objects.filter(
        person=person, organization_id=conversation.organization_id, is_active=True
    ).first()
    if membership is None:
        return
    expertise, _ = Expertise.objects.get_or_create(membership=membership, topic=conversation.topic)
    Expertise.objects.filter(pk=expertise.pk).update(weight=F("weight") + 1.0 / (1.0 + F("weight")))


def queue_people(organization_id: int, department_id: int | None) -> list[Person]:
    """Who hears about a conversation nobody holds: its department's people who work the
    inbox, else the organisation's directors and coordinators."""
    people = Person.objects.filter(
        is_active=True,
        memberships__organization_id=organization_id,
        memberships__is_active=True,
    )
    if department_id is not None:
        found = list(
            people.filter(
                memberships__departments=department_id,
                memberships__role_grants__role__in=INBOX_ROLES,
            ).distinct()
        )
        if found:
            return found
    return list(people.filter(memberships__role_grants__role__in=INBOX_LEADS).distinct())


def reroute_unclaimed(now: dt.datetime, levels: Iterable[ServiceLevel] | None = None) -> int:
    """Route again what waited unclaimed longer than its service level's
    ``reroute_after_minutes`` (business time); returns how many moved.

    Held by someone who has not opened it (still new) → to the next best person, or back to
    its queue. Waiting in a queue → to anyone now available but whom it was moved off
    (``moved_off``); left alone when there is still nobody, so a night in the queue is not a
    line of events a minute.
    """
    from cluetrain.inbox.sla import _within, hours_of

    levels = list(ServiceLevel.objects.all() if levels is None else levels)
    if not levels:
        return 0

    def cutoff(level: ServiceLevel) -> dt.datetime:
        return hours_of(level).add(now, -level.reroute_after_minutes)

    unclaimed = Conversation.objects.filter(status=Status.NEW, first_response_at__isnull=True)
    held = list(
        unclaimed.filter(_within(levels, "assigned_at", cutoff), assignee__isnull=False).order_by(
            "assigned_at"
        )[:REROUTE_BATCH]
    )
    queued = list(
        unclaimed.filter(
            _within(levels, "first_message_at", cutoff),
            assignee__isnull=True,
        )
        .annotate(moved_off=moved_off())
        .order_by(F("due_at").asc(nulls_last=True), "first_message_at")[:REROUTE_BATCH]
    )
    moved = 0
    if held:
        before = {c.pk: c.assignee_id for c in held if c.assignee_id is not None}
        # Release each only if it is still theirs and still unclaimed.
        released = []
        for c in held:
            if Conversation.objects.filter(
                pk=c.pk,
                assignee_id=c.assignee_id,
                status=Status.NEW,
                first_response_at__isnull=True,
            ).update(assignee=None, assigned_at=None):
                c.assignee_id, c.assigned_at = None, None
                released.append(c)
        decisions = do_route(
            released,
            now=now,
            kind="rerouted",
            exclude={c.pk: before[c.pk] for c in released if c.pk in before},
        )
        moved += len(decisions)
    if queued:
        pools: dict[int, bool] = {}
        for c in queued:
            if c.organization_id not in pools:
                pool = Pool.load(c.organization_id, now)
                pools[c.organization_id] = any(
                    x.available and x.open < x.capacity for x in pool.candidates
                )
        hopeful = [c for c in queued if pools[c.organization_id]]
        if hopeful:
            # Route in memory first; record only those that found someone.
            moved += _route_if_found(hopeful, now)
    return moved


def _route_if_found(conversations: Sequence[Conversation], now: dt.datetime) -> int:
    found = 0
    by_org: dict[int, list[Conversation]] = defaultdict(list)
    for c in conversations:
        by_org[c.organization_id].append(c)
    for organization_id, group in by_org.items():
        pool = Pool.load(organization_id, now)
        chosen_rows, decisions = [], []
        for c in sorted(group, key=urgency_key):
            # Not back to whom it was moved off (annotated by ``reroute_unclaimed``).
            chosen = pool.choose(c.topic, c.department_id, exclude={getattr(c, "moved_off", 0)})
            if chosen is None:
                continue
            candidate, reasons = chosen
            pool.take(candidate)
            reason = pool.reason(candidate, reasons, c.department_id)
            chosen_rows.append(c)
            decisions.append(Decision(c.pk, candidate.person_id, c.department_id, reason))
        if decisions:
            record_decisions(pool, chosen_rows, decisions, now, None, "rerouted")
            found += len(decisions)
    return found
