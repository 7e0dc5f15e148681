"""Stopping deliveries for an incident, and the decisions people take about them afterwards.

Why nothing paused goes out. The dispatcher stamps a delivery "in flight" with one conditional
UPDATE just before the network call, only while the row is ``publishing`` and still its
claim's (``publishing.dispatch._stamp_call``). A pause sets the row to ``paused`` and clears
the claim in the transaction that declares the incident, so:

* on SQLite every write transaction is ``BEGIN IMMEDIATE``: the declaration and the stamp are
  serialised on the database's write lock, and a stamp after the commit sees ``paused``;
* on PostgreSQL the declaration first takes ``FOR UPDATE`` on every delivery it pauses. A stamp
  that comes while the lock is held waits for it, then re-reads the row (READ COMMITTED
  re-checks the WHERE on the newest version) and finds it ``paused``. A stamp that committed
  before the lock was granted is seen by it: that call had already started and is listed as
  *sent before the pause*.

Deliveries that become due *during* an incident (scheduled, approved, retried or recovered
after a worker died) pass through ``hold``, in the transaction that makes them due. Declaring
and ``hold`` agree through a lock on the organisation row (PostgreSQL): the declaration takes
``FOR NO KEY UPDATE`` on it, ``hold`` ``FOR SHARE``, so a schedule either commits before the
declaration looks at the outbox or sees the incident once it is committed. Publishing takes its
``FOR SHARE`` before it locks any delivery (``publishing.incidents.guard``), so every
transaction locks the organisation before deliveries and none can deadlock with a declaration.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from cluetrain.crisis import scope, timeline
from cluetrain.crisis.models import Incident, IncidentStatus, PausedDelivery, PauseStatus
from cluetrain.organizations.models import Organization, Person
from cluetrain.publishing.models import WAITING, Delivery, Post, PostEvent, PostStatus
from cluetrain.publishing.status import summarise

# What a person chose for a paused delivery; a later pause by the same incident leaves it be.
DECIDED = (PauseStatus.RESUMED, PauseStatus.RESCHEDULED, PauseStatus.CANCELLED)
# A stamp writes claimed_until = called_at + lease exactly; allow for the database's rounding.
_STAMP_TOLERANCE = timedelta(milliseconds=1)


def lock_organization(organization_id: int, *, exclusive: bool) -> None:
    """Serialise declarations against schedules of the same organisation (PostgreSQL).

    SQLite needs nothing: its writers already run one at a time.
    """
    if connection.vendor != "postgresql":
        return
    mode = "FOR NO KEY UPDATE" if exclusive else "FOR SHARE"
    table = Organization._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {table} WHERE id = %s {mode}",  # noqa: S608 - our table, fixed mode
            [organization_id],
        )


def in_flight(status: str, called_at: datetime | None, claimed_until: datetime | None) -> bool:
    """Whether this attempt's network call has started (the stamp ran after the claim).

    A claim alone leaves ``called_at`` from an earlier attempt, older than the claim; the stamp
    sets ``claimed_until`` to ``called_at`` plus the lease.
    """
    if status != PostStatus.PUBLISHING or called_at is None or claimed_until is None:
        return False
    lease = timedelta(seconds=settings.PUBLISH_LEASE_SECONDS)
    return called_at + lease >= claimed_until - _STAMP_TOLERANCE


# (pk, post_id, status, due_at, called_at, claimed_until) of a delivery about to be paused.
_Row = tuple[int, int, str, datetime | None, datetime | None, datetime | None]


@dataclass(frozen=True)
class Paused:
    paused: int
    sent_before: int


def pause(incident: Incident, deliveries: QuerySet[Delivery], *, actor: Person | None) -> Paused:
    """Pause ``deliveries`` (already narrowed to the incident's scope and categories).

    Call inside the transaction that must make the pause visible; see the module's docstring.
    """
    rows = list(
        deliveries.filter(status__in=WAITING)
        .select_for_update(of=("self",))
        .values_list("pk", "post_id", "status", "due_at", "called_at", "claimed_until")
    )
    if not rows:
        return Paused(0, 0)
    ids = [row[0] for row in rows]
    decided = set(
        PausedDelivery.objects.filter(incident=incident, delivery_id__in=ids)
        .filter(status__in=DECIDED)
        .values_list("delivery_id", flat=True)
    )
    # A delivery a person already let go (resumed or rescheduled) stays their decision.
    rows = [row for row in rows if row[0] not in decided]
    PausedDelivery.objects.filter(incident=incident, delivery_id__in=[r[0] for r in rows]).delete()
    stopped: list[_Row] = []
    sent: list[_Row] = []
    for row in rows:
        (sent if in_flight(row[2], row[4], row[5]) else stopped).append(row)
    if stopped:
        Delivery.objects.filter(pk__in=[r[0] for r in stopped], status__in=WAITING).update(
            status=PostStatus.PAUSED, claim_token="", claimed_until=None
        )
    PausedDelivery.objects.bulk_create(
        [
            PausedDelivery(
                incident=incident,
                delivery_id=pk,
                status=PauseStatus.PAUSED,
                # "publishing" here: a worker had claimed it and was about to send it.
                was_status=status,
                was_due_at=due_at,
            )
            for pk, _, status, due_at, _, _ in stopped
        ]
        + [
            PausedDelivery(
                incident=incident,
                delivery_id=pk,
                status=PauseStatus.SENT_BEFORE_PAUSE,
                was_status=status,
                was_due_at=due_at,
                called_at=called_at,
            )
            for pk, _, status, due_at, called_at, _ in sent
        ]
    )
    PostEvent.objects.bulk_create(
        PostEvent(
            post_id=post_id,
            delivery_id=pk,
            actor=actor,
            verb="paused",
            message=f"Paused for the incident “{incident.title}”.",
        )
        for pk, post_id, *_ in stopped
    )
    refresh_posts({row[1] for row in rows})
    if stopped:
        timeline.add(
            incident,
            "paused",
            f"{timeline.deliveries(len(stopped), 'scheduled')} paused.",
            actor=actor,
            deliveries=[r[0] for r in stopped],
        )
    for pk, _, _, _, called_at, _ in sent:
        timeline.add(
            incident,
            "sent_before_pause",
            f"Delivery {pk} was already being sent (call started {called_at:%H:%M:%S.%f} UTC).",
            delivery=pk,
        )
    return Paused(len(stopped), len(sent))


def refresh_posts(post_ids: Iterable[int]) -> None:
    """Every post's status from its deliveries: one read, one UPDATE per resulting status."""
    ids = list(post_ids)
    if not ids:
        return
    statuses: dict[int, set[str]] = defaultdict(set)
    for post_id, status in Delivery.objects.filter(post_id__in=ids).values_list(
        "post_id", "status"
    ):
        statuses[post_id].add(status)
    by_status: dict[str, list[int]] = defaultdict(list)
    for post_id in ids:
        by_status[summarise(statuses.get(post_id, set()))].append(post_id)
    for status, members in by_status.items():
        Post.objects.filter(pk__in=members).exclude(status=status).update(status=status)


def covered(incident: Incident, deliveries: QuerySet[Delivery]) -> QuerySet[Delivery]:
    """The part of ``deliveries`` the incident pauses: in its scope, in a paused category."""
    runbook = scope.runbook_for(incident.organization)
    return deliveries.filter(
        organization_id=incident.organization_id,
        voice_id__in=scope.voice_ids(incident),
        post__category__in=list(runbook.paused_categories or []),
    )


def hold(organization_id: int, delivery_ids: Iterable[int], *, skip: int | None = None) -> int:
    """Pause deliveries that just became due if an open incident covers them.

    Publishing calls this in the transaction that schedules, approves, retries or recovers a
    delivery, so that nothing slips out between a declaration and the next schedule. ``skip``
    names an incident whose pause a person has just lifted.
    """
    ids = list(delivery_ids)
    if not ids:
        return 0
    lock_organization(organization_id, exclusive=False)
    incidents = Incident.objects.filter(
        organization_id=organization_id, status=IncidentStatus.OPEN
    ).select_related("organization")
    if skip is not None:
        incidents = incidents.exclude(pk=skip)
    held = 0
    for incident in incidents:
        waiting = covered(incident, Delivery.objects.filter(pk__in=ids))
        held += pause(incident, waiting, actor=None).paused
    return held


def hold_post(post: Post | int) -> int:
    """``hold`` for every waiting delivery of one post."""
    post_id = post if isinstance(post, int) else post.pk
    rows = list(
        Delivery.objects.filter(post_id=post_id, status=PostStatus.SCHEDULED).values_list(
            "pk", "organization_id"
        )
    )
    if not rows:
        return 0
    return hold(rows[0][1], [pk for pk, _ in rows])


# -- what people decide about paused deliveries ------------------------------------------------


@dataclass(frozen=True)
class Planned:
    """One line of a resume plan: a paused delivery and when it would go out."""

    pause: PausedDelivery
    at: datetime
    moved: bool


PLAN_START = timedelta(minutes=15)
PLAN_SPACING = timedelta(minutes=10)


def resume_plan(incident: Incident, *, now: datetime | None = None) -> list[Planned]:
    """When each still-paused delivery would go out if resumed now.

    A delivery whose time is still ahead keeps it. One whose time passed during the incident is
    given a new one, from a quarter of an hour on and ten minutes apart on each voice, so that a
    feed does not fire a burst of marketing the moment the incident ends.
    """
    now = now or timezone.now()
    pauses = list(
        incident.paused.filter(status=PauseStatus.PAUSED, delivery__status=PostStatus.PAUSED)
        .select_related("delivery", "delivery__post", "delivery__voice")
        .order_by("was_due_at", "pk")
    )
    next_free: dict[int, datetime] = {}
    plan = []
    for item in pauses:
        due = item.delivery.due_at or item.was_due_at
        if due is not None and due > now + PLAN_START:
            plan.append(Planned(item, due, moved=False))
            continue
        voice_id = item.delivery.voice_id
        at = next_free.get(voice_id, now + PLAN_START)
        next_free[voice_id] = at + PLAN_SPACING
        plan.append(Planned(item, at, moved=True))
    return plan


def decide(
    person: Person,
    incident: Incident,
    decisions: dict[int, tuple[str, datetime | None]],
) -> int:
    """Apply ``{pause id: (resume | reschedule | cancel, time)}``; returns how many changed.

    Only pauses still waiting for a decision change; the rest (decided by someone else a moment
    ago) are left as they are. Call inside a transaction.
    """
    pauses = list(
        PausedDelivery.objects.filter(
            incident=incident, pk__in=list(decisions), status=PauseStatus.PAUSED
        )
        .select_for_update(of=("self",))
        .select_related("delivery")
    )
    now = timezone.now()
    resumed: list[int] = []
    changed = 0
    post_ids: set[int] = set()
    for item in pauses:
        action, at = decisions[item.pk]
        delivery = item.delivery
        if action == "cancel":
            count = Delivery.objects.filter(pk=delivery.pk, status=PostStatus.PAUSED).update(
                status=PostStatus.CANCELLED
            )
            item.status = PauseStatus.CANCELLED
            verb, message = "cancelled", "Cancelled after the incident paused it."
        else:
            # The calendar may have moved a paused post: its current time is the one meant.
            at = max(at or delivery.due_at or item.was_due_at or now, now)
            count = Delivery.objects.filter(pk=delivery.pk, status=PostStatus.PAUSED).update(
                status=PostStatus.SCHEDULED, due_at=at
            )
            item.status = PauseStatus.RESCHEDULED if action == "reschedule" else PauseStatus.RESUMED
            item.new_due_at = at
            verb, message = "resumed", f"Resumed; goes out {at:%Y-%m-%d %H:%M} UTC."
            resumed.append(delivery.pk)
        if not count:
            continue
        item.decided_by, item.decided_at = person, now
        item.save(update_fields=["status", "decided_by", "decided_at", "new_due_at"])
        PostEvent.objects.create(
            post_id=delivery.post_id, delivery=delivery, actor=person, verb=verb, message=message
        )
        post_ids.add(delivery.post_id)
        changed += 1
    refresh_posts(post_ids)
    if resumed:
        # Another incident still open may cover them: its pause stands.
        hold(incident.organization_id, resumed, skip=incident.pk)
    return changed
