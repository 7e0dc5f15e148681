"""What one conversation or one published delivery contributes to the day rows.

The job and the raw measures share these functions, so "with roll-ups" and "without" count
the same things the same way; only percentiles differ (buckets against exact values).

Definitions (in the organisation's time zone):

* a conversation is *opened* on the day of its first message; its *first response time* is
  from the first message to our first reply, counted on that same day;
* it is *resolved* on the day of ``resolved_at``; its *resolution time* runs from the first
  message, counted on the resolved day;
* *service level*: met when the first reply came by the first-response deadline of the
  service level it is held to (department's, else organisation's, in its business hours);
  breached when the reply came later, or when none came and the breach alert went out;
  not counted without a service level, or while it is still in time;
* a delivery is a *post* on the day it was published, with its latest reactions; its *hour
  of the week* is ``weekday * 24 + hour`` (Monday 0).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from cluetrain.insights.rollups import buckets

# One contribution: [kind, day (ISO), department id, voice id, person id, {name: count}].
Contribution = list[Any]
Key = tuple[str, str, int, int, int]

# The columns of inbox_conversation a contribution is computed from, in this order.
CONVERSATION_COLUMNS = (
    "id",
    "organization_id",
    "department_id",
    "assignee_id",
    "first_message_at",
    "first_response_at",
    "resolved_at",
    "sla_breached_at",
    "intent",
    "sentiment_label",
    "topic",
    "complaint",
)


def minutes_between(start: dt.datetime, end: dt.datetime) -> float:
    return max(0.0, (end - start).total_seconds() / 60)


def sla_outcome(row: Sequence[Any], policies: Any) -> str:
    """``"met"``, ``"breached"`` or ``""`` for one conversation row (CONVERSATION_COLUMNS)."""
    from cluetrain.inbox.sla import hours_of

    _, organization_id, department_id, _, first, responded, _, breached_at = row[:8]
    level = policies.by_department.get(department_id) if department_id else None
    if level is None:
        level = policies.by_organization.get(organization_id)
    if level is None:
        return ""
    if responded is None:
        return "breached" if breached_at is not None else ""
    due = hours_of(level).add(first, level.first_response_minutes)
    return "met" if responded <= due else "breached"


def conversation_contributions(
    row: Sequence[Any], zone: ZoneInfo, policies: Any
) -> list[Contribution]:
    """The day rows one conversation adds to (see the module's definitions)."""
    (_, _, department_id, assignee_id, first, responded, resolved) = row[:7]
    intent, sentiment, topic, complaint = row[8:12]
    department_id, assignee_id = department_id or 0, assignee_id or 0
    counts: dict[str, int] = {"opened": 1}
    if responded is not None:
        bucket = buckets.bucket_of(minutes_between(first, responded))
        counts[f"fr:{bucket}"] = 1
        if complaint:
            counts[f"frc:{bucket}"] = 1
    if complaint:
        counts["complaints"] = 1
    outcome = sla_outcome(row, policies)
    if outcome:
        counts[f"sla_{outcome}"] = 1
    if sentiment:
        counts[f"sent:{sentiment}"] = 1
    if intent:
        counts[f"intent:{intent}"] = 1
    if topic:
        counts[f"topic:{topic}"] = 1
        if sentiment == "negative":
            counts[f"topicneg:{topic}"] = 1
    opened_on = first.astimezone(zone).date().isoformat()
    out: list[Contribution] = [["c", opened_on, department_id, 0, assignee_id, counts]]
    if resolved is not None:
        bucket = buckets.bucket_of(minutes_between(first, resolved))
        resolved_on = resolved.astimezone(zone).date().isoformat()
        done = {"resolved": 1, f"res:{bucket}": 1}
        if resolved_on == opened_on:
            for name, value in done.items():
                counts[name] = counts.get(name, 0) + value
        else:
            out.append(["c", resolved_on, department_id, 0, assignee_id, done])
    return out


def hour_of_week(moment: dt.datetime, zone: ZoneInfo) -> int:
    local = moment.astimezone(zone)
    return local.weekday() * 24 + local.hour


def post_contributions(
    published_at: dt.datetime,
    zone: ZoneInfo,
    department_id: int,
    voice_id: int,
    author_id: int,
    reactions: Sequence[int],
) -> list[Contribution]:
    """The day rows one published delivery adds to: its post row and its author's speaking."""
    likes, reposts, replies, quotes = reactions
    engagement = likes + reposts + replies + quotes
    how = hour_of_week(published_at, zone)
    day = published_at.astimezone(zone).date().isoformat()
    counts = {
        "posts": 1,
        "likes": likes,
        "reposts": reposts,
        "replies": replies,
        "quotes": quotes,
        f"how:{how}": 1,
        f"howe:{how}": engagement,
    }
    out: list[Contribution] = [["p", day, department_id, voice_id, author_id, counts]]
    if author_id:
        out.append(["s", day, department_id, voice_id, author_id, {"posts": 1}])
    return out


def reply_contribution(
    created_at: dt.datetime, zone: ZoneInfo, department_id: int, person_id: int
) -> Contribution:
    """One reply of ours, written by ``person_id``, on the day it was sent."""
    day = created_at.astimezone(zone).date().isoformat()
    return ["s", day, department_id, 0, person_id, {"replies": 1}]


def difference(
    new: Iterable[Contribution], old: Iterable[Contribution], sums: dict[Key, dict[str, int]]
) -> None:
    """Add ``new`` minus ``old`` into ``sums`` (keyed by kind, day, department, voice, person)."""
    for sign, contributions in ((1, new), (-1, old)):
        for kind, day, department_id, voice_id, person_id, counts in contributions:
            bag = sums.setdefault((kind, day, department_id, voice_id, person_id), {})
            for name, value in counts.items():
                bag[name] = bag.get(name, 0) + sign * value
