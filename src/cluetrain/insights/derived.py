"""Numbers the dashboards show that are not roll-ups of their own, kept in the cache.

The self-sufficiency index (``cluetrain.agencies.index``) is counted from the posts
themselves: every post of a month judged against its author's agency periods. That is a
read of every post the period touches, the one part of a dashboard that grew with the
history. A month of it is kept in the cache under what it depends on:

* every month: the organisation's agency periods (a change to any of them is a new key) and
  the roll-ups' cursors on publications (a post published, or imported into a past month,
  is counted as soon as the roll-ups counted it: the rest of the page is no fresher);
* the month still running: also the cursor on messages, for inbox replies.

Anything else (a post deleted, a voice moved to another department) shows once the entry
expires: ``CURRENT_SECONDS`` for the running month, ``PAST_SECONDS`` for past ones.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.cache import cache

from cluetrain.organizations.models import Department, Organization

CURRENT_SECONDS = 10 * 60
PAST_SECONDS = 60 * 60
# The roll-up cursors that move when a post is published, and when a message comes or goes.
PUBLICATIONS = ("postevent", "track")
MESSAGES = ("message",)
# Part of every key: raised when what is kept (``agencies.index.Month``) changes shape, so an
# upgraded server never unpickles an old one.
KEY_VERSION = 1


@dataclass
class MonthsOnly:
    """What a dashboard reads of the index: its months (``agencies.index.Month``)."""

    months: list[Any]


def _stamp(organization: Organization) -> str:
    """A short digest of the organisation's agency periods (a handful of rows)."""
    from cluetrain.agencies.models import AgencyPeriod

    rows = AgencyPeriod.objects.filter(organization=organization).order_by("pk")
    text = repr(list(rows.values_list("pk", "person_id", "started_at", "ended_at")))
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def _cursors() -> dict[str, int]:
    from cluetrain.insights.rollup_models import RollupCursor

    names = [*PUBLICATIONS, *MESSAGES]
    return dict(RollupCursor.objects.filter(name__in=names).values_list("name", "value"))


def _joined(values: dict[str, int], names: tuple[str, ...]) -> str:
    return "-".join(str(values.get(name, 0)) for name in names)


def _last_day(first: date) -> date:
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return following - timedelta(days=1)


def self_sufficiency_months(
    organization: Organization,
    start: date,
    end: date,
    today: date,
    *,
    department: Department | None = None,
) -> MonthsOnly:
    """The index's months from ``start``'s to ``end``'s, each from the cache when it is there
    (one cache read for all of them) and counted by ``agencies.index`` when not."""
    from cluetrain.agencies.index import month_starts, self_sufficiency

    firsts = month_starts(start, end) or [start.replace(day=1)]
    stamp = _stamp(organization)
    running = today.replace(day=1)
    cursors = _cursors()
    published = _joined(cursors, PUBLICATIONS)
    messaged = _joined(cursors, (*PUBLICATIONS, *MESSAGES))
    keys = {
        first: ":".join(
            [
                f"insights:self-sufficiency:v{KEY_VERSION}",
                str(organization.pk),
                str(department.pk if department else 0),
                organization.time_zone,  # the months' edges
                first.isoformat(),
                stamp,
                messaged if first >= running else published,
            ]
        )
        for first in firsts
    }
    found = cache.get_many(list(keys.values()))
    missing = [first for first, key in keys.items() if key not in found]
    if missing:
        # One count from the first missing month to the last, whatever lies between.
        counted = self_sufficiency(
            organization, missing[0], _last_day(missing[-1]), department=department
        )
        fresh = {m.start: m for m in counted.months if m.start in missing}
        for first in missing:
            found[keys[first]] = fresh[first]
        past = {keys[f]: fresh[f] for f in missing if f < running}
        current = {keys[f]: fresh[f] for f in missing if f >= running}
        if past:
            cache.set_many(past, PAST_SECONDS)
        if current:
            cache.set_many(current, CURRENT_SECONDS)
    return MonthsOnly([found[keys[first]] for first in firsts])
