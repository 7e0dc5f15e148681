"""How often and when each voice should post: engagement per post against posting cadence and
hour of the week, a recommended cadence, and the best posting slots for the publishing queue.

*Recommended cadence.* The period's weeks of one voice are grouped by how many posts went out
that week. Engagement per post usually holds while a voice posts more, then falls off as its
audience tires. The recommendation is the busiest weekly count whose engagement per post is
still at least ``KEEP_SHARE`` (80 %) of the best count's, looking only at counts seen in at
least ``MIN_WEEKS`` weeks; bounded to 1..``MAX_PER_WEEK`` (three a day). With fewer than
``MIN_WEEKS`` weeks behind any count, there is no recommendation (None).

*Best slots.* Hours of the week (in the organisation's time zone) with at least
``MIN_SLOT_POSTS`` posts, the ``SLOTS`` with the highest engagement per post.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from cluetrain.insights import measures_read as read
from cluetrain.insights.measures import (
    Frequency,
    HeatCell,
    Period,
    Scope,
    VoiceCadence,
    week_of,
)

KEEP_SHARE = 0.8
MIN_WEEKS = 2
MAX_PER_WEEK = 21
MIN_SLOT_POSTS = 3
SLOTS = 3
HOURS = 7 * 24


def recommended_cadence(weeks: Iterable[tuple[int, int]]) -> int | None:
    """The recommended posts per week from (posts, engagement) of each week (see above)."""
    by_count: dict[int, list[int]] = {}
    for posts, engagement in weeks:
        if posts > 0:
            by_count.setdefault(posts, []).append(engagement)
    per_post = {
        count: sum(values) / (count * len(values))
        for count, values in by_count.items()
        if len(values) >= MIN_WEEKS
    }
    if not per_post:
        return None
    best = max(per_post.values())
    keeping = [count for count, value in per_post.items() if value >= KEEP_SHARE * best]
    return max(1, min(MAX_PER_WEEK, max(keeping)))


def best_slots(posts: list[int], engagement: list[int]) -> list[tuple[int, int]]:
    """(weekday, hour) of the hours of the week with most engagement per post (see above)."""
    ranked = sorted(
        (
            (-engagement[how] / posts[how], how)
            for how in range(HOURS)
            if posts[how] >= MIN_SLOT_POSTS
        ),
    )
    return sorted(divmod(how, 24) for _, how in ranked[:SLOTS])


def frequency(
    scope: Scope, period: Period, *, rollups: bool = True, rows: list[read.DayRow] | None = None
) -> Frequency:
    """The heat map of the scope and the cadence of each voice in it (``rows``: the post day
    rows when already read)."""
    if rows is None:
        rows = read.post_days(scope, period, rollups=rollups)
    heat_posts, heat_engagement = [0] * HOURS, [0] * HOURS
    voices: dict[int, dict[str, object]] = {}
    for row in rows:
        voice = voices.setdefault(
            row.voice_id, {"weeks": {}, "posts": [0] * HOURS, "engagement": [0] * HOURS}
        )
        weeks: dict[dt.date, list[int]] = voice["weeks"]  # type: ignore[assignment]
        week = weeks.setdefault(week_of(row.day), [0, 0])
        week[0] += row.counts.get("posts", 0)
        week[1] += sum(row.counts.get(k, 0) for k in read.facts_reactions())
        for name, value in row.counts.items():
            if name[0] != "h":  # "posts", "likes" …: not an hour of the week
                continue
            if name.startswith("how:"):
                how = int(name[4:])
                heat_posts[how] += value
                voice["posts"][how] += value  # type: ignore[index]
            elif name.startswith("howe:"):
                how = int(name[5:])
                heat_engagement[how] += value
                voice["engagement"][how] += value  # type: ignore[index]
    heat = [
        [
            HeatCell(
                heat_posts[d * 24 + h],
                heat_engagement[d * 24 + h] / heat_posts[d * 24 + h]
                if heat_posts[d * 24 + h]
                else None,
            )
            for h in range(24)
        ]
        for d in range(7)
    ]
    names = _voice_names(voices, rollups=rollups)
    n_weeks = len(period.weeks())
    cadences = []
    for voice_id, data in sorted(voices.items()):
        weeks = data["weeks"]  # type: ignore[assignment]
        posts = sum(p for p, _ in weeks.values())
        engagement = sum(e for _, e in weeks.values())
        # Weeks without posts count too: they are part of the cadence.
        series = [tuple(weeks.get(w, [0, 0])) for w in period.weeks()]
        cadences.append(
            VoiceCadence(
                voice_id=voice_id,
                voice_name=names.get(voice_id, ""),
                posts_per_week=posts / n_weeks if n_weeks else 0.0,
                engagement_per_post=engagement / posts if posts else None,
                recommended_per_week=recommended_cadence(series),  # type: ignore[arg-type]
                best_slots=best_slots(data["posts"], data["engagement"]),  # type: ignore[arg-type]
            )
        )
    return Frequency(heat=heat, voices=cadences)


def _voice_names(voices: Iterable[int], *, rollups: bool = True) -> dict[int, str]:
    """Voice names from the roll-ups' post facts (no product table on the page's path), or
    from the voices themselves when computing without roll-ups."""
    from cluetrain.core import bulk

    ids = sorted(v for v in voices if v)
    if not ids:
        return {}
    if not rollups:
        from cluetrain.voices.models import Voice

        return dict(Voice.objects.filter(pk__in=ids).values_list("pk", "name"))
    # One index seek per voice (``post_fact_voice_name``): a GROUP BY over the voices' facts
    # read every post they ever published, the one part of the page that grew with history.
    rows = bulk.select(
        "WITH ids(id) AS (VALUES "  # noqa: S608 - placeholders only
        + ", ".join(["(%s)"] * len(ids))
        + ") SELECT id, (SELECT MAX(voice_name) FROM insights_postfact "
        "WHERE voice_id = ids.id) FROM ids",
        ids,
    )
    return {int(v): str(n or "") for v, n in rows if n is not None}


def do_apply_recommended_slots(person: object, voice: object, period: Period | None = None) -> list:
    """Write a voice's best slots of the last 12 weeks into its publishing queue (through
    ``publishing.queues.do_set_queue``, which decides who may)."""
    from cluetrain.core.errors import ServiceError
    from cluetrain.publishing.queues import do_set_queue

    organization = voice.organization  # type: ignore[attr-defined]
    if period is None:
        today = dt.datetime.now(dt.UTC).astimezone(_zone(organization.time_zone)).date()
        period = Period(today - dt.timedelta(days=83), today, organization.time_zone or "UTC")
    scope = Scope(organization.pk, voice_id=voice.pk)  # type: ignore[attr-defined]
    found = next((v for v in frequency(scope, period).voices if v.voice_id == voice.pk), None)  # type: ignore[attr-defined]
    if found is None or not found.best_slots:
        raise ServiceError(
            "This voice has not posted enough yet to recommend posting times.", code="slots"
        )
    return do_set_queue(
        person,  # type: ignore[arg-type]
        voice,  # type: ignore[arg-type]
        [(day, dt.time(hour, 0)) for day, hour in found.best_slots],
    )


def _zone(name: str) -> dt.tzinfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name or "UTC")
