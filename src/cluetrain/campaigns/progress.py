"""How far an objective has come: its value in the current period against the target, a status
(on track, at risk, missed) and its value in the periods before.

Computed on demand from the insights measures, which read roll-up tables and are fast; nothing
is snapshotted, so a history is never stale after a late correction (a conversation re-triaged
as a complaint, engagement counted days after the post).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from cluetrain.campaigns import metrics, periods
from cluetrain.campaigns.models import Objective
from cluetrain.core.dates import local_today

# Within this share of the target (after pro-rating a period under way): at risk, not missed.
AT_RISK_MARGIN = 0.9
HISTORY_PERIODS = 6


class Status:
    ON_TRACK = "on track"
    AT_RISK = "at risk"
    MISSED = "missed"
    NO_DATA = "no data"


@dataclass
class Point:
    span: periods.Span
    value: float | None
    status: str


@dataclass
class Progress:
    objective: Objective
    metric: metrics.Metric
    span: periods.Span
    value: float | None
    status: str
    history: list[Point] = field(default_factory=list)

    @property
    def percent(self) -> int:
        """How full the progress bar is, 0 to 100."""
        return bar(self.value, self.objective.target, self.metric.higher_is_better)

    @property
    def chart(self) -> dict[str, list[object]]:
        points = [*self.history, Point(self.span, self.value, self.status)]
        return {
            "labels": [p.span.label for p in points],
            "values": [p.value for p in points],
            "target": [self.objective.target for _ in points],
        }


def bar(value: float | None, target: float, higher_is_better: bool = True) -> int:
    if value is None:
        return 0
    if higher_is_better:
        share = value / target if target > 0 else 1.0
    else:
        share = target / value if value > 0 else 1.0
    return max(0, min(100, round(100 * share)))


def status(
    value: float | None,
    target: float,
    *,
    higher_is_better: bool = True,
    cumulative: bool = False,
    elapsed: float = 1.0,
) -> str:
    """On track at or past the target, at risk within 10 % of it, missed beyond.

    A count still being made (people active this month, on the 10th) is held against the part
    of the target its elapsed days deserve; a share or a median is judged as it stands.
    """
    if value is None:
        return Status.NO_DATA
    wanted = target * elapsed if cumulative and higher_is_better else target
    if higher_is_better:
        if value >= wanted:
            return Status.ON_TRACK
        return Status.AT_RISK if value >= AT_RISK_MARGIN * wanted else Status.MISSED
    if value <= wanted:
        return Status.ON_TRACK
    return Status.AT_RISK if value * AT_RISK_MARGIN <= wanted else Status.MISSED


def _value(
    objective: Objective, span: periods.Span, until: date | None, rollups: bool
) -> float | None:
    # A period under way is read up to today: the days to come hold nothing yet, and a rate
    # (posts per week) must not be diluted by them.
    end = min(span.end, until) if until else span.end
    return metrics.read(
        objective.kind,
        metrics.Reading(
            objective.organization,
            objective.department,
            span.start,
            end,
            objective.params or {},
            rollups,
        ),
    )


def _judge(
    objective: Objective,
    metric: metrics.Metric,
    span: periods.Span,
    until: date | None = None,
    rollups: bool = True,
) -> Point:
    value = _value(objective, span, until, rollups)
    return Point(
        span,
        value,
        status(
            value,
            objective.target,
            higher_is_better=metric.higher_is_better,
            cumulative=metric.cumulative,
            elapsed=span.elapsed,
        ),
    )


def progress(
    objective: Objective,
    *,
    now: datetime | None = None,
    with_history: bool = False,
    rollups: bool = True,
) -> Progress:
    """The objective now (and, with ``with_history``, over its last six periods)."""
    metric = metrics.REGISTRY[objective.kind]
    today = local_today(objective.organization.time_zone, now)
    span = periods.current(objective.period, today)
    point = _judge(objective, metric, span, today, rollups)
    result = Progress(objective, metric, span, point.value, point.status)
    if with_history:
        result.history = [
            _judge(objective, metric, past, rollups=rollups)
            for past in periods.history(objective.period, today, HISTORY_PERIODS)
        ]
    return result
