"""A campaign against its plan: posts planned and published (on time: within its dates),
voices planned and used, the engagement its posts drew, the conversations they started, and
the effort spent against the budget."""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import F

from cluetrain.campaigns import costs
from cluetrain.campaigns.models import Campaign
from cluetrain.listening.models import Direction, Message
from cluetrain.publishing.models import Delivery, Post, PostStatus
from cluetrain.reviews.models import Review


@dataclass
class PostLine:
    post: Post
    published_on: date | None
    on_time: bool
    voices: list[str]
    engagement: int = 0


@dataclass
class Execution:
    campaign: Campaign
    lines: list[PostLine]
    voices_planned: list[str]
    voices_used: list[str]
    engagement: int = 0
    conversations: int = 0
    hours: float = 0.0
    cost: Decimal = Decimal("0")
    by_day: dict[date, int] = field(default_factory=dict)

    @property
    def published(self) -> int:
        return sum(1 for line in self.lines if line.published_on is not None)

    @property
    def on_time(self) -> int:
        return sum(1 for line in self.lines if line.on_time)

    @property
    def posts_percent(self) -> int:
        return _percent(self.published, self.campaign.posts_planned)

    @property
    def engagement_percent(self) -> int:
        return _percent(self.engagement, self.campaign.engagement_target)

    @property
    def budget_percent(self) -> int:
        return _percent(self.hours, float(self.campaign.budget_hours))

    @property
    def over_budget(self) -> bool:
        return self.hours > float(self.campaign.budget_hours) > 0

    @property
    def voices_missing(self) -> list[str]:
        return [name for name in self.voices_planned if name not in self.voices_used]

    @property
    def chart(self) -> dict[str, list[object]]:
        """Posts published per day over the campaign's dates, and their running total."""
        days: list[date] = []
        labels: list[object] = []
        counts: list[object] = []
        totals: list[object] = []
        running = 0
        day = self.campaign.starts_on
        while day <= self.campaign.ends_on and len(days) < 400:
            days.append(day)
            day += timedelta(days=1)
        for day in days:
            running += self.by_day.get(day, 0)
            labels.append(day.isoformat())
            counts.append(self.by_day.get(day, 0))
            totals.append(running)
        return {"labels": labels, "posts": counts, "total": totals}


def _percent(value: float, target: float) -> int:
    return max(0, min(100, round(100 * value / target))) if target > 0 else 0


def execution(campaign: Campaign) -> Execution:
    """Read in a fixed number of queries, however many posts the campaign holds."""
    from cluetrain.insights.models import EngagementTrack

    org = campaign.organization
    tz = zoneinfo.ZoneInfo(org.time_zone)
    posts = list(
        Post.objects.filter(campaign_entry__campaign=campaign)
        .select_related("author")
        .order_by(F("published_at").asc(nulls_last=True), "created_at", "pk")
    )
    post_ids = [p.pk for p in posts]
    deliveries = list(
        Delivery.objects.filter(post_id__in=post_ids).select_related("voice").order_by("pk")
    )
    engagement = {
        track.delivery_id: track.total
        for track in EngagementTrack.objects.filter(delivery__post_id__in=post_ids)
    }
    voices: dict[int, list[str]] = defaultdict(list)
    per_post: dict[int, int] = defaultdict(int)
    used: list[str] = []
    refs: set[str] = set()
    for delivery in deliveries:
        per_post[delivery.post_id] += engagement.get(delivery.pk, 0)
        if delivery.status == PostStatus.PUBLISHED:
            voices[delivery.post_id].append(delivery.voice.name)
            if delivery.voice.name not in used:
                used.append(delivery.voice.name)
            refs.update(str(ref.get("id")) for ref in delivery.refs or [] if ref.get("id"))
    planned = [v.name for v in campaign.voices.order_by("name")]
    result = Execution(campaign, [], planned, used)
    for post in posts:
        day = post.published_at.astimezone(tz).date() if post.published_at else None
        on_time = day is not None and campaign.starts_on <= day <= campaign.ends_on
        result.lines.append(PostLine(post, day, on_time, voices[post.pk], per_post[post.pk]))
        result.engagement += per_post[post.pk]
        if day is not None:
            result.by_day[day] = result.by_day.get(day, 0) + 1
    conversation_ids = (
        set(
            Message.objects.filter(
                organization=org,
                direction=Direction.INBOUND,
                reply_to_external_id__in=refs,
                conversation__isnull=False,
            ).values_list("conversation_id", flat=True)
        )
        if refs
        else set()
    )
    result.conversations = len(conversation_ids)
    _effort(result, post_ids, conversation_ids)
    return result


def _effort(result: Execution, post_ids: list[int], conversation_ids: set[int]) -> None:
    org = result.campaign.organization
    rules = costs.settings_of(org)
    posts = Post.objects.filter(pk__in=post_ids)
    work = costs.composing(posts, rules)
    work += costs.reviewing(Review.objects.filter(post_id__in=post_ids), rules)
    if conversation_ids:
        work += costs.replying(
            Message.objects.filter(
                organization=org,
                direction=Direction.OUTBOUND,
                sent_by__isnull=False,
                conversation_id__in=conversation_ids,
            ),
            rules,
        )
    priced = costs.price(org, work)
    result.hours = round(sum(w.minutes for w, _ in priced) / 60, 1)
    result.cost = sum((c for _, c in priced), Decimal("0")).quantize(Decimal("0.01"))
