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

# Each count is kept at the levels dashboards read, so a page reads one row a day rather than
# merging every combination: ALL (-1) in a key column means "summed over that column".
ALL = -1


def levels(
    kind: str, department_id: int, voice_id: int, person_id: int
) -> list[tuple[int, int, int]]:
    """The (department, voice, person) keys one contribution is counted under.

    * conversations: the organisation, its department, its assignee;
    * posts: per voice (with its department, 0 for none), and per author in each voice: the
      voice rows partition everything (a dashboard sums them), the author rows a person's;
    * people who spoke: always per person, in the organisation, the department, the voice.
    """
    d, v, p = department_id, voice_id, person_id
    if kind == "c":
        keys = [(ALL, ALL, ALL)]
        if d:
            keys.append((d, ALL, ALL))
        if p:
            keys.append((ALL, ALL, p))
        return keys
    if kind == "p":
        keys = [(d or 0, v, ALL)]
        if p:
            keys.append((ALL, v, p))
        return keys
    keys = [(ALL, ALL, p)]
    if d:
        keys.append((d, ALL, p))
    if v:
        keys.append((ALL, v, p))
    return keys


def selector(kind: str, scope: Any) -> list[tuple[str, str, int]]:
    """Which key rows a scope reads: (column, ``=`` or ``<>``, value) conditions matching the
    ``levels`` above (one row per contribution, so nothing is counted twice)."""
    d, v, p = scope.department_id, scope.voice_id, scope.person_id
    if kind == "c":
        if p is not None:
            return [("department_id", "=", ALL), ("voice_id", "=", ALL), ("person_id", "=", p)]
        return [
            ("department_id", "=", ALL if d is None else d),
            ("voice_id", "=", ALL),
            ("person_id", "=", ALL),
        ]
    if kind == "p":
        if p is not None:
            out = [("department_id", "=", ALL), ("person_id", "=", p)]
            return (
                [*out, ("voice_id", "=", v)] if v is not None else [*out, ("voice_id", "<>", ALL)]
            )
        if v is not None:
            return [("voice_id", "=", v), ("person_id", "=", ALL)]
        if d is not None:
            return [("department_id", "=", d), ("person_id", "=", ALL)]
        return [("person_id", "=", ALL)]
    person = ("person_id", "=", p) if p is not None else ("person_id", "<>", ALL)
    if v is not None:
        return [("department_id", "=", ALL), ("voice_id", "=", v), person]
    return [("department_id", "=", ALL if d is None else d), ("voice_id", "=", ALL), person]


def matches(conditions: list[tuple[str, str, int]], d: int, v: int, p: int) -> bool:
    values = {"department_id": d, "voice_id": v, "person_id": p}
    return all((values[c] == x) if op == "=" else (values[c] != x) for c, op, x in conditions)


def spread(contributions: Iterable[Contribution]) -> list[Contribution]:
    """Each contribution once per level it is counted at (see ``levels``)."""
    return [
        [kind, day, *key, counts]
        for kind, day, d, v, p, counts in contributions
        for key in levels(kind, d, v, p)
    ]


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
    out: list[Contribution] = []
    if resolved is not None:
        bucket = buckets.bucket_of(minutes_between(first, resolved))
        resolved_on = resolved.astimezone(zone).date().isoformat()
        done = {"resolved": 1, f"res:{bucket}": 1}
        if resolved_on == opened_on:
            for name, value in done.items():
                counts[name] = counts.get(name, 0) + value
        else:
            out.append(["c", resolved_on, department_id, 0, assignee_id, done])
    return [["c", opened_on, department_id, 0, assignee_id, counts], *out]


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


def reply_contributions(
    created_at: dt.datetime, zone: ZoneInfo, department_id: int, person_id: int
) -> list[Contribution]:
    """One reply of ours, written by ``person_id``, on the day it was sent."""
    day = created_at.astimezone(zone).date().isoformat()
    return [["s", day, department_id, 0, person_id, {"replies": 1}]]


def difference(
    new: Iterable[Contribution], old: Iterable[Contribution], sums: dict[Key, dict[str, int]]
) -> None:
    """Add ``new`` minus ``old`` into ``sums`` (keyed by kind, day, department, voice, person),
    each at every level it is counted at; what ``new`` and ``old`` share cancels first."""
    base: dict[Key, dict[str, int]] = {}
    for sign, contributions in ((1, new), (-1, old)):
        for kind, day, department_id, voice_id, person_id, counts in contributions:
            bag = base.setdefault((kind, day, department_id, voice_id, person_id), {})
            for name, value in counts.items():
                bag[name] = bag.get(name, 0) + sign * value
    for (kind, day, d, v, p), bag in base.items():
        changed = {name: value for name, value in bag.items() if value}
        if not changed:
            continue
        for key in levels(kind, d, v, p):
            target = sums.setdefault((kind, day, *key), {})
            for name, value in changed.items():
                target[name] = target.get(name, 0) + value
