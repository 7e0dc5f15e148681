"""When a post goes out: wall-clock times in a person's time zone, and each voice's queue.

People think in their own wall-clock time; the database holds UTC. Two moments a year that
conversion is not one-to-one: in the spring gap (02:30 does not exist in Europe/Paris on the
last Sunday of March) the time is moved forward by the gap's length, and in the autumn
overlap (02:30 happens twice) the first one is meant. Both are said back to the person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils import timezone

from cluetrain.core.errors import ServiceError
from cluetrain.voices.models import Voice

# A schedule a little in the past (a slow form submission) still means "now".
PAST_GRACE = timedelta(seconds=60)
# How far ahead a post may be scheduled.
HORIZON = timedelta(days=366 * 2)
# How many weeks ahead the queue looks for a free slot.
QUEUE_WEEKS = 8


class When(StrEnum):
    DRAFT = "draft"  # keep as a draft, do not schedule
    NOW = "now"
    AT = "at"  # at a wall-clock time in a time zone
    SLOT = "slot"  # the next free slot of each voice's queue


@dataclass(frozen=True)
class Schedule:
    when: When = When.DRAFT
    local: datetime | None = None  # naive wall-clock time, for When.AT
    time_zone: str = "UTC"


def zone(name: str) -> ZoneInfo:
    """The time zone called ``name``, or a clear error."""
    try:
        if not name or "\x00" in name or len(name) > 64:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ServiceError(
            f"{name!r} is not a time zone Cluetrain knows (use a name like Europe/Paris).",
            code="time_zone",
        ) from exc


@dataclass(frozen=True)
class Resolved:
    at: datetime  # aware, UTC
    note: str = ""  # said to the person when the wall-clock time had to be adjusted


def to_utc(local: datetime, time_zone: str) -> Resolved:
    """Convert a wall-clock time in ``time_zone`` to UTC, handling the DST gap and overlap."""
    tz = zone(time_zone)
    naive = local.replace(tzinfo=None)
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return Resolved(first.astimezone(UTC))
    # fold=0 takes the offset in force before the change. In the autumn overlap that is the
    # first of the two 02:30s. In the spring gap it lands after the gap, moved forward by it.
    at = first.astimezone(UTC)
    shown = at.astimezone(tz).replace(tzinfo=None)
    if shown != naive:
        return Resolved(
            at,
            f"{naive:%H:%M} does not exist on {naive:%-d %B} in {time_zone} (the clocks go "
            f"forward); it will go out at {shown:%H:%M}.",
        )
    return Resolved(
        at,
        f"{naive:%H:%M} happens twice on {naive:%-d %B} in {time_zone} (the clocks go back); "
        "it will go out at the first.",
    )


def check_future(at: datetime, now: datetime | None = None) -> datetime:
    now = now or timezone.now()
    if at < now - PAST_GRACE:
        raise ServiceError(
            "That time is in the past; choose a later time or publish now.", code="past"
        )
    if at > now + HORIZON:
        raise ServiceError("Posts can be scheduled at most two years ahead.", code="too_far")
    return max(at, now)


def voice_time_zone(voice: Voice) -> str:
    """A personal voice keeps its owner's time; an official one its organisation's."""
    if voice.owner is not None:
        return str(voice.owner.time_zone or settings.TIME_ZONE)
    return str(voice.organization.time_zone or settings.TIME_ZONE)


def slot_times(
    slots: list[tuple[int, time]], time_zone: str, after: datetime, weeks: int = QUEUE_WEEKS
) -> list[datetime]:
    """Every queue slot (weekday, wall-clock time) after ``after``, as UTC, in order.

    A slot in a spring gap moves forward with the clocks; a slot in the autumn overlap happens
    once (the first time).
    """
    if not slots:
        return []
    tz = zone(time_zone)
    start: date = after.astimezone(tz).date()
    found: list[datetime] = []
    for offset in range(weeks * 7 + 1):
        day = start + timedelta(days=offset)
        for weekday, at in slots:
            if day.weekday() != weekday:
                continue
            moment = to_utc(datetime.combine(day, at), time_zone).at
            if moment > after:
                found.append(moment)
    return sorted(set(found))


def next_free_slot(
    slots: list[tuple[int, time]],
    time_zone: str,
    taken: set[datetime],
    after: datetime | None = None,
) -> datetime:
    """The first slot after ``after`` that no other post of the voice already holds."""
    after = after or timezone.now()
    taken_minutes = {moment.replace(second=0, microsecond=0) for moment in taken}
    for moment in slot_times(slots, time_zone, after):
        if moment.replace(second=0, microsecond=0) not in taken_minutes:
            return moment
    if not slots:
        raise ServiceError(
            "This voice has no posting times yet: add some to its queue, or choose a time.",
            code="no_slots",
        )
    raise ServiceError(
        f"Every posting time of this voice is taken for the next {QUEUE_WEEKS} weeks.",
        code="queue_full",
    )
