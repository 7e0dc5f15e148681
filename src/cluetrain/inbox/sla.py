"""Service-level clocks: when each conversation must be answered, what its timer shows, and the
alerts before and at a breach.

A conversation has up to three deadlines, each counted in its service level's business hours
(``business_hours``): the first response (from its first message), the next response (from a
customer's message that came after our latest reply) and the resolution (from its first
message, or from the message that reopened it). ``due_at`` is the earliest still open, and
``sla_warned_at``/``sla_breached_at`` say how far the alerts for that deadline went; they are
cleared whenever ``due_at`` moves, so each deadline is alerted once.

One function, ``refresh``, derives all of it from the conversation's times and status, so it
can run after anything happened (new conversation, new message, reply, resolve, reopen) and
twice without changing anything the second time.

A snoozed conversation's clocks keep running: snoozing hides it from the list, it does not
move a promise made to the customer. "Waiting on customer" keeps the resolution clock running
too (the customer was answered, so no response clock is open).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from cluetrain.core import bulk
from cluetrain.core.errors import ServiceError
from cluetrain.hooks import events as hook_events
from cluetrain.inbox.business_hours import BusinessHours, InvalidBusinessHours
from cluetrain.inbox.models import Conversation, ConversationEvent, ServiceLevel, Status
from cluetrain.organizations import policy
from cluetrain.organizations.models import Department, Organization, Person
from cluetrain.organizations.policy import Permission

logger = logging.getLogger(__name__)

CLOCK_FIELDS = (
    "first_response_due",
    "next_response_due",
    "resolution_due",
    "due_at",
    "sla_warned_at",
    "sla_breached_at",
)
# Conversations a run of ``check_deadlines`` alerts at most; the next run takes the rest.
ALERT_BATCH = 500

# ``BusinessHours`` per service level and its settings: parsing holidays and building a
# country's calendar costs more than the arithmetic, and its per-day cache lives with it.
_HOURS: dict[tuple, BusinessHours] = {}


def hours_of(level: ServiceLevel) -> BusinessHours:
    key = (
        level.pk,
        level.time_zone,
        level.working_days,
        level.day_starts,
        level.day_ends,
        level.holidays,
        level.holiday_country,
        level.around_the_clock,
    )
    hours = _HOURS.get(key)
    if hours is None:
        if len(_HOURS) > 1000:
            _HOURS.clear()
        try:
            hours = BusinessHours.of(level)
        except InvalidBusinessHours:
            # Saved before validation existed, or edited in the database: count every hour
            # rather than stop the clocks of a whole organisation.
            logger.warning("service level %s has unusable hours; counting every hour", level.pk)
            hours = BusinessHours.always()
        _HOURS[key] = hours
    return hours


class Policies:
    """The service levels of some organisations, loaded with one query."""

    def __init__(self, organization_ids: Iterable[int]) -> None:
        self.by_department: dict[int, ServiceLevel] = {}
        self.by_organization: dict[int, ServiceLevel] = {}
        for level in ServiceLevel.objects.filter(organization_id__in=set(organization_ids)):
            if level.department_id is None:
                self.by_organization[level.organization_id] = level
            else:
                self.by_department[level.department_id] = level

    def level(self, conversation: Conversation) -> ServiceLevel | None:
        """The department's service level, else the organisation's, else none."""
        if conversation.department_id is not None:
            found = self.by_department.get(conversation.department_id)
            if found is not None:
                return found
        return self.by_organization.get(conversation.organization_id)


def policy_for(conversation: Conversation) -> ServiceLevel | None:
    """The service level a conversation is held to (department's, else organisation's)."""
    return Policies([conversation.organization_id]).level(conversation)


def refresh(conversation: Conversation, level: ServiceLevel | None) -> bool:
    """Set the conversation's deadlines from its times and status; True if any changed."""
    before = tuple(getattr(conversation, name) for name in CLOCK_FIELDS)
    c = conversation
    if level is None or c.status == Status.RESOLVED:
        c.first_response_due = c.next_response_due = c.resolution_due = None
    else:
        hours = hours_of(level)
        if c.first_response_at is not None:
            c.first_response_due = None
        elif c.first_response_due is None:
            c.first_response_due = hours.add(c.first_message_at, level.first_response_minutes)
        # The customer wrote after our latest reply: they wait for the next one.
        waiting = c.last_reply_at is not None and c.last_message_at > c.last_reply_at
        if not waiting or c.first_response_at is None:
            c.next_response_due = None
        elif c.next_response_due is None:
            c.next_response_due = hours.add(c.last_message_at, level.next_response_minutes)
        if c.resolution_due is None:
            start = c.last_message_at if c.resolved_at is not None else c.first_message_at
            c.resolution_due = hours.add(start, level.resolution_minutes)
    open_deadlines = [
        d for d in (c.first_response_due, c.next_response_due, c.resolution_due) if d is not None
    ]
    due_at = min(open_deadlines) if open_deadlines else None
    if due_at != c.due_at:
        c.due_at = due_at
        c.sla_warned_at = c.sla_breached_at = None
    return before != tuple(getattr(conversation, name) for name in CLOCK_FIELDS)


def refresh_clocks(conversations: Sequence[Conversation]) -> int:
    """``refresh`` a batch (one query for the service levels, one statement to store);
    returns how many conversations changed."""
    if not conversations:
        return 0
    policies = Policies({c.organization_id for c in conversations})
    changed = [c for c in conversations if refresh(c, policies.level(c))]
    _store(changed)
    return len(changed)


def start_clocks(conversations: Sequence[Conversation]) -> int:
    """Start the first-response and resolution clocks of new conversations (batch-friendly;
    the triage pipeline calls it once per batch)."""
    return refresh_clocks(conversations)


def on_inbound(conversation: Conversation) -> None:
    """The customer wrote again: after our reply that opens the next-response clock."""
    if refresh(conversation, policy_for(conversation)):
        _store([conversation])


def on_reply(conversation: Conversation, at: dt.datetime) -> None:
    """We replied at ``at``: the first (or next) response clock stops."""
    if conversation.first_response_at is None:
        conversation.first_response_at = at
    conversation.last_reply_at = max(conversation.last_reply_at or at, at)
    refresh(conversation, policy_for(conversation))
    Conversation.objects.filter(pk=conversation.pk).update(
        first_response_at=conversation.first_response_at,
        last_reply_at=conversation.last_reply_at,
        **{name: getattr(conversation, name) for name in CLOCK_FIELDS},
    )


def on_resolved(conversation: Conversation) -> None:
    """Resolved: every clock stops (a later message reopens it and starts them again)."""
    conversation.first_response_due = conversation.next_response_due = None
    conversation.resolution_due = None
    if conversation.due_at is not None:
        conversation.due_at = conversation.sla_warned_at = conversation.sla_breached_at = None
    _store([conversation])


def _store(conversations: Sequence[Conversation]) -> None:
    """One executemany for the batch (bulk_update's CASE per column is far slower)."""
    bulk.update_rows(
        Conversation,
        CLOCK_FIELDS,
        [[*(getattr(c, name) for name in CLOCK_FIELDS), c.pk] for c in conversations],
    )


# -- Timers --------------------------------------------------------------------------------

TARGETS = (
    ("first_response_due", "first response"),
    ("next_response_due", "next response"),
    ("resolution_due", "resolution"),
)


@dataclass(frozen=True, slots=True)
class Timer:
    """What a conversation's clock shows: which promise is next, when it falls due, and how
    much business time is left (negative once breached)."""

    target: str
    due: dt.datetime
    remaining_minutes: float
    state: str  # "ok", "warning" or "breached"
    label: str


def duration(minutes: float) -> str:
    """ "5 min", "2 h 5 min", "31 h" ."""
    minutes = max(0, round(minutes))
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours >= 24 or not rest:
        return f"{hours} h"
    return f"{hours} h {rest} min"


def timer_with(
    conversation: Conversation, level: ServiceLevel | None, now: dt.datetime
) -> Timer | None:
    due = conversation.due_at
    if due is None or level is None or conversation.status == Status.RESOLVED:
        return None
    target = next(
        (label for name, label in TARGETS if getattr(conversation, name) == due), "resolution"
    )
    if now >= due:
        # Past the deadline the customer's wait is what matters: wall-clock time.
        late = (now - due).total_seconds() / 60
        return Timer(target, due, -late, "breached", f"breached {duration(late)} ago")
    remaining = hours_of(level).between(now, due)
    state = "warning" if remaining <= level.warn_before_minutes else "ok"
    return Timer(target, due, remaining, state, f"{duration(remaining)} left")


def timer(conversation: Conversation, now: dt.datetime | None = None) -> Timer | None:
    """The timer of one conversation (the conversation page)."""
    return timer_with(conversation, policy_for(conversation), now or timezone.now())


def timers(
    conversations: Sequence[Conversation], now: dt.datetime | None = None
) -> dict[int, Timer]:
    """Timers of a page of conversations, by id, with one query (the inbox list)."""
    now = now or timezone.now()
    policies = Policies({c.organization_id for c in conversations})
    found = {}
    for c in conversations:
        shown = timer_with(c, policies.level(c), now)
        if shown is not None:
            found[c.pk] = shown
    return found


# -- Alerts --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Checked:
    """What one run of ``check_deadlines`` did."""

    warned: int
    breached: int
    rerouted: int


def conversation_url(conversation_id: int) -> str:
    try:
        return reverse("inbox:conversation", args=[conversation_id])
    except NoReverseMatch:
        return f"/inbox/?conversation={conversation_id}"


def _within(levels: Iterable[ServiceLevel], field: str, limit_of) -> Q:  # type: ignore[no-untyped-def]
    """Conversations whose ``field`` is at or before ``limit_of(level)`` under their own
    service level (a department's, else their organisation's)."""
    levels = list(levels)
    with_own: dict[int, list[int]] = {}
    for level in levels:
        if level.department_id is not None:
            with_own.setdefault(level.organization_id, []).append(level.department_id)
    condition = Q(pk__in=[])
    for level in levels:
        if level.department_id is not None:
            scope = Q(department_id=level.department_id)
        else:
            scope = Q(organization_id=level.organization_id) & ~Q(
                department_id__in=with_own.get(level.organization_id, [])
            )
        condition |= scope & Q(**{f"{field}__lte": limit_of(level)})
    return condition


def check_deadlines(now: dt.datetime | None = None) -> Checked:
    """Alert before and at each breach, once each, and re-route conversations left unclaimed.

    Safe to run twice and in parallel: each alert is claimed with a conditional UPDATE on
    ``sla_warned_at``/``sla_breached_at``, so only one run sends it.
    """
    from cluetrain.inbox import pickup

    now = now or timezone.now()
    levels = list(ServiceLevel.objects.all())
    active = Conversation.objects.exclude(status=Status.RESOLVED)
    breached = 0
    for c in active.filter(due_at__lte=now, sla_breached_at__isnull=True).order_by("due_at")[
        :ALERT_BATCH
    ]:
        breached += _alert(c, now, breach=True)
    warned = 0
    if levels:
        horizon = _within(
            levels, "due_at", lambda level: hours_of(level).add(now, level.warn_before_minutes)
        )
        for c in active.filter(horizon, due_at__gt=now, sla_warned_at__isnull=True).order_by(
            "due_at"
        )[:ALERT_BATCH]:
            warned += _alert(c, now, breach=False)
    rerouted = pickup.reroute_unclaimed(now, levels)
    return Checked(warned=warned, breached=breached, rerouted=rerouted)


def _alert(conversation: Conversation, now: dt.datetime, *, breach: bool) -> int:
    from cluetrain.inbox.pickup import queue_people
    from cluetrain.notifications.services import notify

    c = conversation
    claim = Conversation.objects.filter(pk=c.pk, due_at=c.due_at)
    with transaction.atomic():
        if breach:
            won = claim.filter(sla_breached_at__isnull=True).update(
                sla_breached_at=now, sla_warned_at=Coalesce(F("sla_warned_at"), Value(now))
            )
        else:
            won = claim.filter(sla_warned_at__isnull=True).update(sla_warned_at=now)
        if won != 1:
            # Another run of the job claimed this alert first (or the deadline moved).
            return 0
        shown = timer(c, now)
        target = shown.target if shown else "response"
        if breach:
            kind, title = "sla_breached", f"Service level breached: {target} of “{c.subject[:80]}”"
        else:
            label = shown.label if shown else ""
            kind, title = (
                "sla_warning",
                f"{label.capitalize()} for the {target} of “{c.subject[:80]}”",
            )
        ConversationEvent.objects.create(
            conversation=c,
            kind=kind,
            detail={"target": target, "due": c.due_at.isoformat() if c.due_at else None},
        )
        people = [c.assignee] if c.assignee_id and c.assignee else []
        if not people:
            people = queue_people(c.organization_id, c.department_id)
        url = conversation_url(c.pk)
        for person in people:
            notify(person, kind, title, organization=c.organization, url=url)
        if breach:
            hook_events.sla_breached(c.organization_id, c.pk, c.due_at, target)
    return 1


# -- Settings ----------------------------------------------------------------------------------

LEVEL_FIELDS = (
    "first_response_minutes",
    "next_response_minutes",
    "resolution_minutes",
    "warn_before_minutes",
    "reroute_after_minutes",
    "time_zone",
    "working_days",
    "day_starts",
    "day_ends",
    "holidays",
    "holiday_country",
    "around_the_clock",
)


def do_save_service_level(
    person: Person, organization: Organization, department: Department | None, values: dict
) -> ServiceLevel:
    """Set the organisation's service level (``department`` None) or a department's own.

    New targets apply to deadlines set from now on; running clocks keep the promise made.
    """
    policy.require(person, organization, Permission.MANAGE_INBOX)
    if department is not None and department.organization_id != organization.pk:
        raise ServiceError(f"{department.name} is not a department of {organization.name}.")
    level = ServiceLevel.objects.filter(
        organization=organization, department=department
    ).first() or ServiceLevel(organization=organization, department=department)
    for name in LEVEL_FIELDS:
        if name in values:
            setattr(level, name, values[name])
    try:
        level.save()
    except ValidationError as exc:
        raise ServiceError(" ".join(exc.messages)) from exc
    return level


def do_delete_service_level(person: Person, level: ServiceLevel) -> None:
    """Drop a department's own service level (it then follows the organisation's)."""
    policy.require(person, level.organization, Permission.MANAGE_INBOX)
    if level.department_id is None:
        raise ServiceError("The organisation's service level can be changed, not removed.")
    level.delete()
