"""Every number the insights dashboards show, for a scope (the organisation, a department, a
voice or a person) and a period of whole days in the organisation's time zone.

Each function reads the roll-up tables (``rollups=True``, what pages use: a few thousand
small rows) or computes the same numbers straight from conversations, messages and
deliveries (``rollups=False``: the benchmark's comparison and the tests' cross-check). The
two agree exactly on counts; medians and p90 read from roll-ups are within half a bucket of
the exact value (see ``cluetrain.insights.rollups.buckets``).

What counts where is defined once, in ``cluetrain.insights.rollups.facts``. A voice has no
conversations of its own (conversations belong to departments and people), so conversation
measures of a voice scope are empty; a person's conversations are those assigned to them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cluetrain.core.errors import ServiceError
from cluetrain.insights import measures_read as read
from cluetrain.insights.rollups import buckets

MAX_PERIOD_DAYS = 3 * 366
SENTIMENTS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Scope:
    """The organisation, or one department / voice / person in it."""

    organization_id: int
    department_id: int | None = None
    voice_id: int | None = None
    person_id: int | None = None


@dataclass(frozen=True)
class Period:
    """Whole days from ``start`` to ``end`` (both included) in ``time_zone``."""

    start: dt.date
    end: dt.date
    time_zone: str

    def __post_init__(self) -> None:
        try:
            ZoneInfo(str(self.time_zone))
        except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
            raise ServiceError(
                f"{str(self.time_zone)[:80]!r} is not a time zone (try Europe/London).",
                code="time_zone",
            ) from error
        if self.end < self.start:
            raise ServiceError("The period ends before it starts.", code="period")
        if (self.end - self.start).days >= MAX_PERIOD_DAYS:
            raise ServiceError("A period can span at most three years.", code="period")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    def weeks(self) -> list[dt.date]:
        """The Mondays of the weeks the period touches."""
        monday = self.start - dt.timedelta(days=self.start.weekday())
        out = []
        while monday <= self.end:
            out.append(monday)
            monday += dt.timedelta(days=7)
        return out

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The first instant of the period and the first instant after it (aware, UTC)."""
        zone = self.zone
        start = dt.datetime.combine(self.start, dt.time(), zone).astimezone(dt.UTC)
        after = self.end + dt.timedelta(days=1)
        return start, dt.datetime.combine(after, dt.time(), zone).astimezone(dt.UTC)


def week_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


# --- conversations -------------------------------------------------------------------------


@dataclass(frozen=True)
class DayConversations:
    day: dt.date
    opened: int
    resolved: int
    first_response_median_min: float | None


@dataclass(frozen=True)
class ConversationMeasures:
    opened: int
    resolved: int
    first_response_median_min: float | None
    first_response_p90_min: float | None
    resolution_median_min: float | None
    resolution_p90_min: float | None
    sla_met: int
    sla_breached: int
    sla_compliance: float | None
    by_day: list[DayConversations]
    complaints: int = 0


def _quantiles(
    exact: list[float] | None, histogram: dict[str, int]
) -> tuple[float | None, float | None]:
    if exact is not None:
        return buckets.exact_percentile(exact, 0.5), buckets.exact_percentile(exact, 0.9)
    return buckets.percentile(histogram, 0.5), buckets.percentile(histogram, 0.9)


def conversation_measures(
    scope: Scope, period: Period, *, rollups: bool = True, days: read.ConversationDays | None = None
) -> ConversationMeasures:
    """Opened and resolved conversations, response and resolution times, service level.
    ``days``: the day rows already read for this scope and period (a dashboard reads them once
    for this, the mix and the topics)."""
    rows = days if days is not None else read.conversation_days(scope, period, rollups=rollups)
    total: dict[str, int] = {}
    per_day: dict[dt.date, dict[str, int]] = {}
    copied: set[dt.date] = set()
    for day, counts in rows.bags:
        buckets.merge([counts], into=total)
        # Roll-ups give one bag a day, used as it is; a second one is added into a copy
        # (the bags are shared with the mix and the topics).
        if day not in per_day:
            per_day[day] = counts
        else:
            if day not in copied:
                per_day[day] = dict(per_day[day])
                copied.add(day)
            buckets.merge([counts], into=per_day[day])
    fr, res = _histograms(total, "fr"), _histograms(total, "res")
    fr_median, fr_p90 = _quantiles(rows.all_values("fr"), fr)
    res_median, res_p90 = _quantiles(rows.all_values("res"), res)
    met, breached = total.get("sla_met", 0), total.get("sla_breached", 0)
    by_day = []
    for day in period.days():
        counts = per_day.get(day, {})
        exact = rows.values("fr", day)
        if exact is not None:
            median = buckets.exact_percentile(exact, 0.5)
        elif counts.get("opened"):
            median = buckets.percentile(_histograms(counts, "fr"), 0.5)
        else:
            median = None  # nothing opened that day, so no first response to time
        by_day.append(
            DayConversations(day, counts.get("opened", 0), counts.get("resolved", 0), median)
        )
    return ConversationMeasures(
        opened=total.get("opened", 0),
        resolved=total.get("resolved", 0),
        first_response_median_min=fr_median,
        first_response_p90_min=fr_p90,
        resolution_median_min=res_median,
        resolution_p90_min=res_p90,
        sla_met=met,
        sla_breached=breached,
        sla_compliance=met / (met + breached) if met + breached else None,
        by_day=by_day,
        complaints=total.get("complaints", 0),
    )


def _histograms(counts: dict[str, int], prefix: str) -> dict[str, int]:
    start = prefix + ":"
    return {k[len(start) :]: v for k, v in counts.items() if k.startswith(start) and v}


def first_response_share_within(
    scope: Scope,
    period: Period,
    minutes: int,
    *,
    complaints_only: bool = False,
    rollups: bool = True,
) -> float | None:
    """The share of answered conversations opened in the period whose first reply came in
    under ``minutes`` (exact with roll-ups when ``minutes`` is a bucket edge: 5, 15, 30, 60,
    120, 240, 1440 …). None when none was answered."""
    if minutes < 0:
        raise ServiceError("Minutes cannot be negative.", code="minutes")
    prefix = "frc" if complaints_only else "fr"
    rows = read.conversation_days(scope, period, rollups=rollups)
    exact = rows.all_values(prefix)
    if exact is not None:
        return sum(1 for v in exact if v < minutes) / len(exact) if exact else None
    total: dict[str, int] = {}
    for _, counts in rows.bags:
        buckets.merge([_histograms(counts, prefix)], into=total)
    return buckets.share_within(total, minutes)


@dataclass(frozen=True)
class Mix:
    weeks: list[dt.date]
    sentiment: dict[str, list[int]]
    intents: dict[str, list[int]]


def mix_over_time(
    scope: Scope, period: Period, *, rollups: bool = True, days: read.ConversationDays | None = None
) -> Mix:
    """Conversations opened each week by sentiment of the latest message and by intent."""
    if days is None:
        days = read.conversation_days(scope, period, rollups=rollups)
    weeks = period.weeks()
    index = {week: n for n, week in enumerate(weeks)}
    sentiment: dict[str, list[int]] = {label: [0] * len(weeks) for label in SENTIMENTS}
    intents: dict[str, list[int]] = {}
    for day, counts in days.bags:
        n = index[week_of(day)]
        for name, value in counts.items():
            # A bag holds a couple of hundred names, most of them buckets ("fr:12"): the
            # first letter rules those out before any prefix is compared.
            first = name[0]
            if first == "s" and name.startswith("sent:"):
                sentiment.setdefault(name[5:], [0] * len(weeks))[n] += value
            elif first == "i" and name.startswith("intent:"):
                intents.setdefault(name[7:], [0] * len(weeks))[n] += value
    ordered = dict(sorted(intents.items(), key=lambda item: (-sum(item[1]), item[0])))
    return Mix(weeks=weeks, sentiment=sentiment, intents=ordered)


@dataclass(frozen=True)
class TopicCount:
    topic: str
    conversations: int
    negative_share: float


def top_topics(
    scope: Scope,
    period: Period,
    limit: int = 10,
    *,
    rollups: bool = True,
    days: read.ConversationDays | None = None,
) -> list[TopicCount]:
    """The topics of most conversations opened in the period, with their negative share."""
    limit = max(1, min(int(limit), 100))
    if days is None:
        days = read.conversation_days(scope, period, rollups=rollups)
    total: dict[str, int] = {}
    for _, counts in days.bags:
        for k, v in counts.items():
            if k[0] == "t" and k.startswith(("topic:", "topicneg:")):
                total[k] = total.get(k, 0) + v
    topics = [
        TopicCount(name[6:], value, total.get("topicneg:" + name[6:], 0) / value)
        for name, value in total.items()
        if name.startswith("topic:") and value > 0
    ]
    topics.sort(key=lambda t: (-t.conversations, t.topic))
    return topics[:limit]


# --- posts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayPosts:
    day: dt.date
    posts: int
    engagement: int


@dataclass(frozen=True)
class PostRow:
    delivery_id: int
    post_id: int
    voice_name: str
    author_name: str
    published_at: dt.datetime
    likes: int
    reposts: int
    replies: int
    quotes: int

    @property
    def engagement(self) -> int:
        return self.likes + self.reposts + self.replies + self.quotes


@dataclass(frozen=True)
class PostEngagement:
    posts: int
    likes: int
    reposts: int
    replies: int
    quotes: int
    engagement: int
    per_post: float | None
    per_1000_followers: float | None
    by_day: list[DayPosts]
    top_posts: list[PostRow] = field(default_factory=list)
    followers: int | None = None


REACTIONS = ("likes", "reposts", "replies", "quotes")


def post_engagement(
    scope: Scope, period: Period, *, rollups: bool = True, rows: list[read.DayRow] | None = None
) -> PostEngagement:
    """Published posts and the reactions they drew (latest counts), by day, with the top ten.
    Per 1,000 followers: engagement over the latest follower counts of the voices that
    posted, when those are known. ``rows``: the post day rows already read (see
    ``conversation_measures``)."""
    if rows is None:
        rows = read.post_days(scope, period, rollups=rollups)
    total: dict[str, int] = {}
    per_day: dict[dt.date, list[int]] = {}
    voices: set[int] = set()
    for row in rows:
        buckets.merge([{k: row.counts.get(k, 0) for k in ("posts", *REACTIONS)}], into=total)
        day = per_day.setdefault(row.day, [0, 0])
        day[0] += row.counts.get("posts", 0)
        day[1] += sum(row.counts.get(k, 0) for k in REACTIONS)
        if row.voice_id:
            voices.add(row.voice_id)
    posts = total.get("posts", 0)
    engagement = sum(total.get(k, 0) for k in REACTIONS)
    followers = read.followers(voices)
    return PostEngagement(
        posts=posts,
        likes=total.get("likes", 0),
        reposts=total.get("reposts", 0),
        replies=total.get("replies", 0),
        quotes=total.get("quotes", 0),
        engagement=engagement,
        per_post=engagement / posts if posts else None,
        per_1000_followers=engagement * 1000 / followers if followers else None,
        by_day=[DayPosts(d, *per_day.get(d, [0, 0])) for d in period.days()],
        top_posts=[PostRow(*row) for row in read.top_posts(scope, period, rollups=rollups)],
        followers=followers,
    )


# --- participation -------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekParticipation:
    week_start: dt.date
    people: int
    new_people: int


@dataclass(frozen=True)
class Participation:
    weeks: list[WeekParticipation]
    people: int
    replies_people: int
    posts_people: int
    new_people: int = 0


def participation(scope: Scope, period: Period, *, rollups: bool = True) -> Participation:
    """How many people spoke for the organisation (published a post or replied) each week,
    and how many of them for the first time ever (in the whole organisation)."""
    by_week: dict[dt.date, set[int]] = {}
    everyone: set[int] = set()
    repliers: set[int] = set()
    posters: set[int] = set()
    for row in read.speaker_days(scope, period, rollups=rollups):
        by_week.setdefault(week_of(row.day), set()).add(row.person_id)
        everyone.add(row.person_id)
        if row.counts.get("replies", 0) > 0:
            repliers.add(row.person_id)
        if row.counts.get("posts", 0) > 0:
            posters.add(row.person_id)
    first = read.first_days(scope.organization_id, everyone, rollups=rollups, zone=period.zone)
    weeks = []
    new_total = 0
    for week in period.weeks():
        people = by_week.get(week, set())
        new = sum(
            1
            for p in people
            if p in first and week_of(first[p]) == week and period.start <= first[p] <= period.end
        )
        new_total += new
        weeks.append(WeekParticipation(week, len(people), new))
    return Participation(
        weeks=weeks,
        people=len(everyone),
        replies_people=len(repliers),
        posts_people=len(posters),
        new_people=new_total,
    )


@dataclass(frozen=True)
class HeatCell:
    posts: int
    engagement_per_post: float | None


@dataclass(frozen=True)
class VoiceCadence:
    voice_id: int
    voice_name: str
    posts_per_week: float
    engagement_per_post: float | None
    recommended_per_week: int | None
    best_slots: list[tuple[int, int]]


@dataclass(frozen=True)
class Frequency:
    heat: list[list[HeatCell]]
    voices: list[VoiceCadence]


def frequency(
    scope: Scope, period: Period, *, rollups: bool = True, rows: list[read.DayRow] | None = None
) -> Frequency:
    """Engagement against posting cadence and hour of the week (see ``insights.frequency``)."""
    from cluetrain.insights import frequency as cadence

    return cadence.frequency(scope, period, rollups=rollups, rows=rows)
