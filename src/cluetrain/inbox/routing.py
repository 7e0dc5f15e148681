"""Routing: each conversation to the person who knows, or to its department's queue.

A conversation goes to the best *available expert*:

1. **topic fit** - declared expertise in its topic (``DECLARED_WEIGHT``) plus what was learned
   from the conversations they resolved on it (``Expertise.weight``), plus
   ``DEPARTMENT_WEIGHT`` when they belong to the conversation's department. Nobody with no
   fit at all is an expert: such a conversation waits in a queue instead;
2. then **load** - fewest conversations new or open;
3. then **round robin** - least recently given one.

Available means: takes conversations, not out of office, fewer open conversations than their
capacity, and either inside their working hours (in their own time zone; 09:00-17:00 when
unset) or seen online within ``ONLINE_MINUTES``. Whoever is not available now gets the
conversation later: ``pickup.pick_up`` runs when capacity frees up or the person comes online.

With nobody available it waits in its department's queue (the triage's department, else its
topic's department), else in the organisation's general queue (no department, no assignee).

Every decision is a ``ConversationEvent`` saying why ("routed to Sam: knows 'refund',
3 open of 10"). Batches cost a fixed number of queries: candidates are read once per
organisation and their load is counted in memory as the batch assigns.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from cluetrain.core import bulk
from cluetrain.inbox.business_hours import BusinessHours, InvalidBusinessHours
from cluetrain.inbox.models import (
    Availability,
    Conversation,
    ConversationEvent,
    Expertise,
    Status,
)
from cluetrain.inbox.models.conversations import ACTIVE
from cluetrain.organizations.models import Department, Membership, Person
from cluetrain.organizations.policy import RULES, Permission
from cluetrain.organizations.roles import Role

DECLARED_WEIGHT = 3.0
DEPARTMENT_WEIGHT = 1.0
ONLINE_MINUTES = 5
HEARTBEAT_SECONDS = 60
DEFAULT_DAY = (dt.time(9), dt.time(17))
# Conversations ``reroute_unclaimed`` tries per run; the next run takes the rest.
REROUTE_BATCH = 500
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
INBOX_ROLES = [role.value for role in RULES[Permission.WORK_INBOX]]
# Who hears about a conversation nobody holds and no department answers.
INBOX_LEADS = [Role.DIRECTOR.value, Role.COORDINATOR.value]


@dataclass(slots=True)
class Candidate:
    """One person who works the inbox, as routing sees them during one batch."""

    membership_id: int
    person_id: int
    name: str
    departments: frozenset[int]
    expertise: dict[str, tuple[bool, float]]
    capacity: int
    open: int
    last_assigned_at: dt.datetime | None
    available: bool
    why_not: str = ""
    assigned: int = 0

    def fit(self, topic: str, department_id: int | None) -> tuple[float, list[str]]:
        """How well they fit, and the reasons in words."""
        score, reasons = 0.0, []
        declared, learned = self.expertise.get(topic, (False, 0.0)) if topic else (False, 0.0)
        if declared:
            score += DECLARED_WEIGHT
            reasons.append(f"knows '{topic}'")
        if learned > 0:
            score += learned
            if not declared:
                reasons.append(f"has resolved '{topic}' conversations")
        if department_id is not None and department_id in self.departments:
            score += DEPARTMENT_WEIGHT
            reasons.append("in its department")
        return round(score, 1), reasons


def _working(availability: Availability, zone_name: str, now: dt.datetime) -> bool:
    starts, ends = availability.day_starts, availability.day_ends
    if starts is None or ends is None or starts == ends:
        starts, ends = DEFAULT_DAY
    try:
        hours = BusinessHours(
            zone=_zone(zone_name),
            working_days=frozenset(int(d) for d in availability.working_days if d in "1234567"),
            day_starts=starts,
            day_ends=ends,
        )
    except InvalidBusinessHours:
        return False
    return hours.is_open(now)


def _zone(name: str):  # type: ignore[no-untyped-def]
    from cluetrain.inbox.business_hours import parse_time_zone

    try:
        return parse_time_zone(name)
    except InvalidBusinessHours:
        return parse_time_zone("UTC")


def availability_of(
    availability: Availability, zone_name: str, now: dt.datetime, *, on_shift: bool = False
) -> str:
    """Why someone cannot take a conversation now ("" when they can, capacity aside).

    The one rule for routing and for every page that shows who is available: an
    engagement-centre shift counts as working hours (``on_shift``, from ``cohorts.shifts``).
    """
    if not availability.takes_conversations:
        return "does not take conversations"
    if availability.out_of_office_until and availability.out_of_office_until > now:
        return "out of office"
    online = availability.last_seen_at is not None and availability.last_seen_at >= now - (
        dt.timedelta(minutes=ONLINE_MINUTES)
    )
    if not online and not on_shift and not _working(availability, zone_name, now):
        return "off hours"
    return ""


def inbox_memberships(organization_id: int) -> QuerySet[Membership]:
    """The active people of an organisation who work the inbox, with person and availability."""
    return (
        Membership.objects.filter(
            organization_id=organization_id,
            is_active=True,
            person__is_active=True,
            role_grants__role__in=INBOX_ROLES,
        )
        .distinct()
        .select_related("person", "availability")
    )


def open_counts(organization_id: int, person_ids: list[int]) -> dict[int, int]:
    """How many new or open conversations each of these people holds (one query)."""
    return dict(
        Conversation.objects.filter(
            organization_id=organization_id, assignee_id__in=person_ids, status__in=ACTIVE
        )
        .values_list("assignee_id")
        .annotate(n=Count("id"))
        .values_list("assignee_id", "n")
    )


def availability_for(membership: Membership) -> Availability:
    """The person's availability, or the defaults when they never set one (not saved)."""
    try:
        return membership.availability
    except Availability.DoesNotExist:
        return Availability(membership=membership)


@dataclass
class Pool:
    """The candidates of one organisation, loaded once, with their load kept in memory."""

    organization_id: int
    now: dt.datetime
    candidates: list[Candidate]
    topic_departments: dict[str, int] = field(default_factory=dict)
    department_names: dict[int, str] = field(default_factory=dict)

    @classmethod
    def load(
        cls, organization_id: int, now: dt.datetime, *, only: Collection[int] | None = None
    ) -> Pool:
        """Everyone who works the inbox (or the memberships in ``only``): six queries."""
        from cluetrain.triage.models import Topic

        memberships = inbox_memberships(organization_id)
        if only is not None:
            memberships = memberships.filter(pk__in=list(only))
        rows = list(memberships.order_by("pk"))
        ids = [m.pk for m in rows]
        departments: dict[int, set[int]] = defaultdict(set)
        for membership_id, department_id in Membership.departments.through.objects.filter(
            membership_id__in=ids
        ).values_list("membership_id", "department_id"):
            departments[membership_id].add(department_id)
        # Engagement-centre shifts: while on, the person works the centre's queue.
        from cluetrain.cohorts.shifts import on_shift

        shifts = on_shift(organization_id, now, ids)
        for membership_id, centre_id in shifts.items():
            departments[membership_id].add(centre_id)
        expertise: dict[int, dict[str, tuple[bool, float]]] = defaultdict(dict)
        for membership_id, topic, declared, weight in Expertise.objects.filter(
            membership_id__in=ids
        ).values_list("membership_id", "topic", "declared", "weight"):
            expertise[membership_id][topic] = (declared, weight)
        load = open_counts(organization_id, [m.person_id for m in rows])
        candidates = []
        for m in rows:
            availability = availability_for(m)
            open_count = load.get(m.person_id, 0)
            why_not = availability_of(
                availability, m.person.time_zone, now, on_shift=m.pk in shifts
            )
            candidates.append(
                Candidate(
                    membership_id=m.pk,
                    person_id=m.person_id,
                    name=m.person.full_name or m.person.email,
                    departments=frozenset(departments[m.pk]),
                    expertise=expertise[m.pk],
                    capacity=availability.capacity,
                    open=open_count,
                    last_assigned_at=availability.last_assigned_at,
                    available=not why_not,
                    why_not=why_not,
                )
            )
        topics = dict(
            Topic.objects.filter(
                organization_id=organization_id, department__isnull=False
            ).values_list("slug", "department_id")
        )
        names = dict(
            Department.objects.filter(organization_id=organization_id).values_list("id", "name")
        )
        return cls(organization_id, now, candidates, topics, names)

    def queue_of(self, topic: str, department_id: int | None) -> int | None:
        return department_id if department_id is not None else self.topic_departments.get(topic)

    def choose(
        self,
        topic: str,
        department_id: int | None,
        *,
        exclude: Collection[int] = (),
        mind_capacity: bool = True,
    ) -> tuple[Candidate, list[str]] | None:
        """The best available expert (and why), or None."""
        best = None
        best_key: tuple = ()
        for candidate in self.candidates:
            if not candidate.available or candidate.person_id in exclude:
                continue
            if mind_capacity and candidate.open >= candidate.capacity:
                continue
            score, reasons = candidate.fit(topic, department_id)
            if score <= 0:
                continue
            key = (
                -score,
                candidate.open,
                candidate.last_assigned_at or _EPOCH,
                candidate.membership_id,
            )
            if best is None or key < best_key:
                best, best_key = (candidate, reasons), key
        return best

    def take(self, candidate: Candidate) -> None:
        candidate.open += 1
        candidate.assigned += 1
        candidate.last_assigned_at = self.now

    def reason(self, candidate: Candidate, reasons: list[str], department_id: int | None) -> str:
        words = [
            r.replace("its department", self.department_names.get(department_id or 0, "it"))
            for r in reasons
        ]
        return (
            f"routed to {candidate.name}: {', '.join(words)}, "
            f"{candidate.open} open of {candidate.capacity}"
        )

    def queue_reason(self, topic: str, department_id: int | None) -> str:
        subject = f"who knows '{topic}'" if topic else "who fits"
        queue = self.department_names.get(department_id or 0)
        where = f"the {queue} queue" if queue else "the general queue"
        return f"nobody available {subject}; waits in {where}"


@dataclass(frozen=True, slots=True)
class Decision:
    """Where routing sent one conversation, and why."""

    conversation_id: int
    assignee_id: int | None
    department_id: int | None
    reason: str


def urgency_key(conversation: Conversation) -> tuple:
    # Most urgent first, so when capacity is short the tightest deadlines get people.
    due = conversation.due_at
    return (due is None, due or _EPOCH, conversation.first_message_at, conversation.pk or 0)


@dataclass(slots=True)
class Routes:
    """Routing worked out for one organisation's conversations, not yet stored: the pool (with
    the load it counted in) and each conversation's (assignee, department, reason)."""

    pool: Pool
    conversations: list[Conversation]
    choices: list[tuple[int | None, int | None, str]]


def plan_routes(
    conversations: Sequence[Conversation],
    *,
    now: dt.datetime | None = None,
    exclude: dict[int, int] | None = None,
) -> list[Routes]:
    """Decide where conversations nobody holds go, with reads only (the triage pipeline does
    this before it takes the write lock; the conversations may not be stored yet).

    ``exclude`` maps a conversation id to a person it must not go to (a re-route away from
    them). Six queries per organisation.
    """
    now = now or timezone.now()
    exclude = exclude or {}
    waiting = [c for c in conversations if c.assignee_id is None and c.status != Status.RESOLVED]
    by_org: dict[int, list[Conversation]] = defaultdict(list)
    for c in waiting:
        by_org[c.organization_id].append(c)
    planned = []
    for organization_id, group in by_org.items():
        pool = Pool.load(organization_id, now)
        ordered = sorted(group, key=urgency_key)
        choices: list[tuple[int | None, int | None, str]] = []
        for c in ordered:
            skip = {exclude[c.pk]} if c.pk in exclude else set()
            chosen = pool.choose(c.topic, c.department_id, exclude=skip)
            if chosen is not None:
                candidate, reasons = chosen
                pool.take(candidate)
                reason = pool.reason(candidate, reasons, c.department_id)
                choices.append((candidate.person_id, c.department_id, reason))
            else:
                queue = pool.queue_of(c.topic, c.department_id)
                choices.append((None, queue, pool.queue_reason(c.topic, queue)))
        planned.append(Routes(pool, ordered, choices))
    return planned


def assign_before_storing(planned: Sequence[Routes], now: dt.datetime) -> None:
    """Put planned routes on conversations not stored yet, so they are inserted routed (no
    second write of each row); ``record_routes(..., assigned=True)`` then adds the history."""
    for routes in planned:
        for c, (assignee_id, department_id, _) in zip(
            routes.conversations, routes.choices, strict=True
        ):
            c.department_id = department_id
            if assignee_id is not None:
                c.assignee_id, c.assigned_at = assignee_id, now


def record_routes(
    planned: Sequence[Routes],
    *,
    now: dt.datetime | None = None,
    actor: Person | None = None,
    kind: str = "routed",
    assigned: bool = False,
) -> list[Decision]:
    """Store planned routes (conversations must have their ids by now): one UPDATE per person
    (and per queue) on rows still unassigned (none with ``assigned``: the rows were inserted
    routed), one insert of the events, one update per person's ``last_assigned_at``."""
    now = now or timezone.now()
    decisions: list[Decision] = []
    for routes in planned:
        stored = [
            (c, choice)
            for c, choice in zip(routes.conversations, routes.choices, strict=True)
            if c.pk is not None
        ]
        mine = [Decision(c.pk, a, d, reason) for c, (a, d, reason) in stored]
        record_decisions(
            routes.pool, [c for c, _ in stored], mine, now, actor, kind, assigned=assigned
        )
        decisions.extend(mine)
    return decisions


def do_route(
    conversations: Sequence[Conversation],
    *,
    now: dt.datetime | None = None,
    actor: Person | None = None,
    kind: str = "routed",
    exclude: dict[int, int] | None = None,
) -> list[Decision]:
    """Route conversations nobody holds: ``plan_routes`` then ``record_routes``."""
    now = now or timezone.now()
    planned = plan_routes(conversations, now=now, exclude=exclude)
    return record_routes(planned, now=now, actor=actor, kind=kind)


def record_decisions(
    pool: Pool,
    conversations: Sequence[Conversation],
    decisions: Sequence[Decision],
    now: dt.datetime,
    actor: Person | None,
    kind: str,
    *,
    assigned: bool = False,
) -> None:
    by_id = {c.pk: c for c in conversations}
    groups: dict[tuple[int | None, int | None], list[int]] = defaultdict(list)
    for d in decisions:
        groups[(d.assignee_id, d.department_id)].append(d.conversation_id)
    # Rows inserted already routed need no update; others only while still unassigned (someone
    # may have taken one by hand meanwhile).
    for (assignee_id, department_id), ids in ({} if assigned else groups).items():
        rows = Conversation.objects.filter(pk__in=ids, assignee__isnull=True)
        if assignee_id is not None:
            rows.update(assignee_id=assignee_id, assigned_at=now, department_id=department_id)
        else:
            rows.filter(~Q(department_id=department_id)).update(department_id=department_id)
    for d in decisions:
        c = by_id[d.conversation_id]
        c.department_id = d.department_id
        if d.assignee_id is not None:
            c.assignee_id, c.assigned_at = d.assignee_id, now
    # Written as plain rows: at the triage pipeline's rates a model instance per event costs
    # more than the routing itself.
    bulk.insert_rows(
        ConversationEvent,
        ("conversation", "actor", "kind", "detail", "created_at"),
        [
            (
                d.conversation_id,
                actor.pk if actor is not None else None,
                kind,
                {"to": d.assignee_id, "department": d.department_id, "reason": d.reason},
                now,
            )
            for d in decisions
        ],
    )
    for candidate in pool.candidates:
        if candidate.assigned:
            stamp_assigned(candidate.membership_id, now)
            candidate.assigned = 0


def stamp_assigned(membership_id: int, now: dt.datetime) -> None:
    if not Availability.objects.filter(membership_id=membership_id).update(last_assigned_at=now):
        Availability.objects.get_or_create(
            membership_id=membership_id, defaults={"last_assigned_at": now}
        )


def route_one(conversation: Conversation, actor: Person | None = None) -> Decision | None:
    """Route a single conversation (after a correction moved it to another department)."""
    decisions = do_route([conversation], actor=actor)
    return decisions[0] if decisions else None
