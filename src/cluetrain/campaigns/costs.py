"""What the organisation's social media effort costs: time per activity, measured from the
product's own events, times each person's hourly rate.

* composing: a post created, then sent (its first "scheduled" event), by its author;
* reviewing: a review requested, then decided, by the reviewer;
* replying: the moment a reply became someone's to write (the customer's latest message, the
  conversation given or picked up, our previous reply), then the reply sent, by its sender.

A measured span longer than the activity's cap is cut to the cap (a draft left open overnight
is not 14 hours of work); one shorter than a minute, or none, counts the activity's default
minutes (a post written and sent in one go was typed before it was stored). An organisation
may also prefer its fixed figure for an activity and skip measuring.

Posts that carry an inbox reply are counted once, as replying, never as composing.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Q, QuerySet

from cluetrain.campaigns.models import Activity, CostSettings, HourlyRate
from cluetrain.core.errors import ServiceError
from cluetrain.inbox.models import Conversation, ConversationEvent
from cluetrain.listening.models import Direction, Message
from cluetrain.organizations.models import Department, Organization, RoleGrant
from cluetrain.publishing.models import Post, PostEvent
from cluetrain.reviews.models import Review, ReviewStatus

MAX_DAYS = 3660
# Shorter than this, a span says "stored and sent at once", not how long the work took.
MIN_MEASURED = timedelta(minutes=1)
HANDED_OVER = ("assigned", "picked_up")


@dataclass(frozen=True)
class Work:
    """One piece of effort: who, what, when it ended and how many minutes it counts."""

    activity: str
    person_id: int | None
    at: datetime
    minutes: float
    measured: bool
    post_id: int | None = None


@dataclass
class ActivityCost:
    activity: str
    count: int = 0
    measured: int = 0
    minutes: float = 0.0
    cost: Decimal = Decimal("0")

    @property
    def label(self) -> str:
        return Activity(self.activity).label

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 2)


@dataclass
class MonthCost:
    month: date
    minutes: float = 0.0
    cost: Decimal = Decimal("0")
    posts: int = 0
    resolved: int = 0
    engagement: int = 0

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 2)

    @property
    def label(self) -> str:
        return self.month.strftime("%Y-%m")


@dataclass
class CostSummary:
    """Hours and cost per activity over a period, and what they produced beside them."""

    organization: Organization
    start: date
    end: date
    currency: str
    activities: list[ActivityCost]
    months: list[MonthCost]
    posts: int = 0
    resolved: int = 0
    engagement: int = 0

    def _of(self, *names: str) -> Decimal:
        return sum((a.cost for a in self.activities if a.activity in names), Decimal("0"))

    @property
    def cost(self) -> Decimal:
        return self._of(*Activity.values)

    @property
    def hours(self) -> float:
        return round(sum(a.minutes for a in self.activities) / 60, 2)

    @property
    def publishing_cost(self) -> Decimal:
        return self._of(Activity.COMPOSING, Activity.REVIEWING)

    @property
    def per_post(self) -> Decimal | None:
        """Composing and reviewing, per post published."""
        return _per(self.publishing_cost, self.posts)

    @property
    def per_conversation(self) -> Decimal | None:
        """Replying, per conversation resolved."""
        return _per(self._of(Activity.REPLYING), self.resolved)

    @property
    def per_month(self) -> Decimal | None:
        return _per(self.cost, len(self.months))

    @property
    def per_100_engagements(self) -> Decimal | None:
        """Composing and reviewing, per hundred likes, reposts, replies and quotes drawn."""
        return _per(self.publishing_cost * 100, self.engagement)

    @property
    def chart(self) -> dict[str, list[object]]:
        return {
            "labels": [m.label for m in self.months],
            "cost": [float(m.cost) for m in self.months],
            "engagement": [m.engagement for m in self.months],
        }


def _per(total: Decimal, count: int) -> Decimal | None:
    return (total / count).quantize(Decimal("0.01")) if count else None


def settings_of(organization: Organization) -> CostSettings:
    """The organisation's cost settings (the defaults until someone saves their own)."""
    found = CostSettings.objects.filter(organization=organization).first()
    return found or CostSettings(organization=organization)


def rates_of(organization: Organization, person_ids: Iterable[int]) -> dict[int, Decimal]:
    """Each person's hourly rate: their own, else their dearest role's, else the default."""
    ids = {pk for pk in person_ids if pk}
    default = settings_of(organization).default_rate
    by_role: dict[str, Decimal] = {}
    by_person: dict[int, Decimal] = {}
    for role, person_id, rate in HourlyRate.objects.filter(organization=organization).values_list(
        "role", "person_id", "rate"
    ):
        if person_id:
            by_person[person_id] = rate
        else:
            by_role[role] = rate
    roles: dict[int, list[str]] = defaultdict(list)
    for person_id, role in RoleGrant.objects.filter(
        membership__organization=organization, membership__person_id__in=ids
    ).values_list("membership__person_id", "role"):
        roles[person_id].append(role)
    rates = {}
    for pk in ids:
        if pk in by_person:
            rates[pk] = by_person[pk]
            continue
        known = [by_role[r] for r in roles.get(pk, []) if r in by_role]
        rates[pk] = max(known) if known else default
    return rates


def _minutes(activity: str, span: timedelta | None, rules: CostSettings) -> tuple[float, bool]:
    if rules.fixed(activity) or span is None or span < MIN_MEASURED:
        return float(rules.minutes(activity)), False
    return min(span.total_seconds() / 60, float(rules.cap(activity))), True


def reply_posts(organization: Organization) -> QuerySet[Message]:
    return Message.objects.filter(
        organization=organization, direction=Direction.OUTBOUND, post__isnull=False
    )


def composing(posts: QuerySet[Post], rules: CostSettings) -> list[Work]:
    """Composing of these posts, ended by their first "scheduled" event (drafts never sent
    are not counted: nobody can tell how long they were worked on)."""
    sent: dict[int, datetime] = {}
    for post_id, at in (
        PostEvent.objects.filter(post__in=posts, verb="scheduled")
        .order_by("at")
        .values_list("post_id", "at")
    ):
        sent.setdefault(post_id, at)
    work = []
    for pk, author_id, created_at in posts.filter(pk__in=list(sent)).values_list(
        "pk", "author_id", "created_at"
    ):
        minutes, measured = _minutes(Activity.COMPOSING, sent[pk] - created_at, rules)
        work.append(Work(Activity.COMPOSING, author_id, sent[pk], minutes, measured, pk))
    return work


def reviewing(reviews: QuerySet[Review], rules: CostSettings) -> list[Work]:
    work = []
    for post_id, person_id, requested_at, decided_at in reviews.filter(
        status__in=[ReviewStatus.APPROVED, ReviewStatus.CHANGES_REQUESTED],
        decided_at__isnull=False,
    ).values_list("post_id", "decided_by_id", "requested_at", "decided_at"):
        if decided_at is None:
            continue
        minutes, measured = _minutes(Activity.REVIEWING, decided_at - requested_at, rules)
        work.append(Work(Activity.REVIEWING, person_id, decided_at, minutes, measured, post_id))
    return work


def replying(replies: QuerySet[Message], rules: CostSettings) -> list[Work]:
    """Each reply from the moment it became someone's to write (see the module's note)."""
    rows = list(replies.values_list("conversation_id", "sent_by_id", "created_at", "post_id"))
    conversation_ids = {row[0] for row in rows if row[0]}
    starts: dict[int, list[datetime]] = defaultdict(list)
    for conversation_id, at in Message.objects.filter(
        conversation_id__in=conversation_ids
    ).values_list("conversation_id", "received_at"):
        starts[conversation_id].append(at)
    for conversation_id, at in ConversationEvent.objects.filter(
        conversation_id__in=conversation_ids, kind__in=HANDED_OVER
    ).values_list("conversation_id", "created_at"):
        starts[conversation_id].append(at)
    work = []
    for conversation_id, person_id, at, post_id in rows:
        before = [s for s in starts.get(conversation_id, []) if s < at]
        span = at - max(before) if before else None
        minutes, measured = _minutes(Activity.REPLYING, span, rules)
        work.append(Work(Activity.REPLYING, person_id, at, minutes, measured, post_id))
    return work


def bounds(organization: Organization, start: date, end: date) -> tuple[datetime, datetime]:
    """The first instant of ``start`` and the first after ``end``, in the organisation's zone."""
    if end < start:
        raise ServiceError("The period ends before it starts.", code="period")
    if (end - start).days > MAX_DAYS:
        raise ServiceError("Choose a period of at most ten years.", code="period")
    tz = zoneinfo.ZoneInfo(organization.time_zone)
    return (
        datetime.combine(start, time.min, tzinfo=tz),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
    )


@dataclass
class _Scope:
    organization: Organization
    since: datetime
    until: datetime
    people: set[int] | None = None  # a department's members; None: everybody
    department: Department | None = None
    replies: set[int] = field(default_factory=set)


def _people(organization: Organization, department: Department | None) -> set[int] | None:
    if department is None:
        return None
    if department.organization_id != organization.pk:
        raise ServiceError("That department is not in this organisation.", code="department")
    return set(
        department.memberships.filter(organization=organization).values_list("person_id", flat=True)
    )


def work_in(scope: _Scope, rules: CostSettings) -> list[Work]:
    org, since, until = scope.organization, scope.since, scope.until
    reply_post_ids = reply_posts(org).values("post_id")
    posts = Post.objects.filter(organization=org).exclude(pk__in=reply_post_ids)
    sent_posts = posts.filter(
        events__verb="scheduled", events__at__gte=since, events__at__lt=until
    ).distinct()
    reviews = Review.objects.filter(
        organization=org, decided_at__gte=since, decided_at__lt=until
    ).exclude(post_id__in=reply_post_ids)
    replies = Message.objects.filter(
        organization=org,
        direction=Direction.OUTBOUND,
        sent_by__isnull=False,
        created_at__gte=since,
        created_at__lt=until,
    )
    work = [
        w
        for w in composing(sent_posts, rules)
        if since <= w.at < until  # the first "scheduled" may be before the period
    ]
    work += reviewing(reviews, rules) + replying(replies, rules)
    if scope.people is not None:
        work = [w for w in work if w.person_id in scope.people]
    return work


def price(organization: Organization, work: list[Work]) -> list[tuple[Work, Decimal]]:
    rates = rates_of(organization, {w.person_id for w in work if w.person_id})
    fallback = settings_of(organization).default_rate
    return [
        (w, (Decimal(str(round(w.minutes, 4))) / 60 * rates.get(w.person_id or 0, fallback)))
        for w in work
    ]


def month_starts(start: date, end: date) -> list[date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return months


def cost_summary(
    organization: Organization, start: date, end: date, *, department: Department | None = None
) -> CostSummary:
    """Hours and cost per activity from ``start`` to ``end`` (inclusive, in the organisation's
    time zone), with posts published, conversations resolved and engagement drawn beside them."""
    since, until = bounds(organization, start, end)
    rules = settings_of(organization)
    scope = _Scope(organization, since, until, _people(organization, department), department)
    tz = zoneinfo.ZoneInfo(organization.time_zone)
    activities = {a: ActivityCost(a) for a in Activity.values}
    months = {m: MonthCost(m) for m in month_starts(start, end)}
    for work, cost in price(organization, work_in(scope, rules)):
        item = activities[work.activity]
        item.count += 1
        item.measured += int(work.measured)
        item.minutes += work.minutes
        item.cost += cost
        month = months[work.at.astimezone(tz).date().replace(day=1)]
        month.minutes += work.minutes
        month.cost += cost
    for item in activities.values():
        item.cost = item.cost.quantize(Decimal("0.01"))
    for month in months.values():
        month.cost = month.cost.quantize(Decimal("0.01"))
    summary = CostSummary(
        organization,
        start,
        end,
        rules.currency,
        list(activities.values()),
        list(months.values()),
    )
    _outcomes(summary, scope, months, tz)
    return summary


def _outcomes(
    summary: CostSummary, scope: _Scope, months: dict[date, MonthCost], tz: zoneinfo.ZoneInfo
) -> None:
    from cluetrain.insights.models import EngagementTrack

    org = scope.organization
    posts = (
        Post.objects.filter(
            organization=org, published_at__gte=scope.since, published_at__lt=scope.until
        )
        .exclude(pk__in=reply_posts(org).values("post_id"))
        .filter(Q(author_id__in=scope.people) if scope.people is not None else Q())
    )
    for at in posts.values_list("published_at", flat=True):
        if at is None:
            continue
        months[at.astimezone(tz).date().replace(day=1)].posts += 1
        summary.posts += 1
    conversations = Conversation.objects.filter(
        organization=org, resolved_at__gte=scope.since, resolved_at__lt=scope.until
    )
    if scope.department is not None:
        conversations = conversations.filter(department=scope.department)
    for at in conversations.values_list("resolved_at", flat=True):
        if at is None:
            continue
        months[at.astimezone(tz).date().replace(day=1)].resolved += 1
        summary.resolved += 1
    tracks = EngagementTrack.objects.filter(
        organization=org, delivery__post__in=posts.values("pk")
    ).values_list("delivery__post__published_at", "likes", "reposts", "replies", "quotes")
    for at, *counts in tracks:
        if at is None:
            continue
        total = sum(counts)
        months[at.astimezone(tz).date().replace(day=1)].engagement += total
        summary.engagement += total
