"""What an objective can measure: a registry of metric kinds, each read from the insights
measures (``cluetrain.insights.measures``) or another service for one scope and period.

Values are in the unit people set targets in: per cent for shares, plain counts, minutes.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cluetrain.core.errors import ServiceError
from cluetrain.organizations.models import Department, Organization


@dataclass(frozen=True)
class Param:
    """One setting of a metric kind, such as the minutes of "first response within"."""

    name: str
    label: str
    kind: str  # "int" or "bool"
    default: int | bool
    low: int = 0
    high: int = 0


@dataclass(frozen=True)
class Reading:
    """Where a metric is read: the organisation (or one department) over inclusive dates."""

    organization: Organization
    department: Department | None
    start: date
    end: date
    params: dict[str, Any]
    # False reads the product's tables directly (the tests' hand-computed histories).
    rollups: bool = True

    def scope(self) -> Any:
        from cluetrain.insights.measures import Scope

        return Scope(
            organization_id=self.organization.pk,
            department_id=self.department.pk if self.department else None,
        )

    def period(self) -> Any:
        from cluetrain.insights.measures import Period

        return Period(self.start, self.end, self.organization.time_zone)


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str  # "%", "people", "posts", "minutes", "engagements"
    compute: Callable[[Reading], float | None]
    higher_is_better: bool = True
    # Counted up over the period (people, posts): a period under way is judged against the
    # share of the target its elapsed days deserve.
    cumulative: bool = False
    params: tuple[Param, ...] = field(default_factory=tuple)
    available: Callable[[], bool] = lambda: True

    def describe(self, params: dict[str, Any]) -> str:
        label = self.label
        for param in self.params:
            label = label.replace("{" + param.name + "}", str(params.get(param.name, "")))
        if params.get("complaints_only"):
            label += " (complaints)"
        return label


def _first_response_within(reading: Reading) -> float | None:
    from cluetrain.insights.measures import first_response_share_within

    share = first_response_share_within(
        reading.scope(),
        reading.period(),
        int(reading.params.get("minutes", 30)),
        complaints_only=bool(reading.params.get("complaints_only", False)),
        rollups=reading.rollups,
    )
    return None if share is None else round(100 * share, 1)


def _sla_compliance(reading: Reading) -> float | None:
    from cluetrain.insights.measures import conversation_measures

    value = conversation_measures(
        reading.scope(), reading.period(), rollups=reading.rollups
    ).sla_compliance
    return None if value is None else round(100 * value, 1)


def _first_response_median(reading: Reading) -> float | None:
    from cluetrain.insights.measures import conversation_measures

    value = conversation_measures(
        reading.scope(), reading.period(), rollups=reading.rollups
    ).first_response_median_min
    return None if value is None else round(value, 1)


def _people_active(reading: Reading) -> float | None:
    from cluetrain.insights.measures import participation

    return float(participation(reading.scope(), reading.period(), rollups=reading.rollups).people)


def _engagement_per_post(reading: Reading) -> float | None:
    from cluetrain.insights.measures import post_engagement

    value = post_engagement(reading.scope(), reading.period(), rollups=reading.rollups).per_post
    return None if value is None else round(value, 1)


def _posts_per_week(reading: Reading) -> float | None:
    from cluetrain.insights.measures import post_engagement

    posts = post_engagement(reading.scope(), reading.period(), rollups=reading.rollups).posts
    days = (reading.end - reading.start).days + 1
    return round(posts * 7 / days, 1)


def _self_sufficiency(reading: Reading) -> float | None:
    from cluetrain.agencies.index import self_sufficiency

    result = self_sufficiency(
        reading.organization, reading.start, reading.end, department=reading.department
    )
    return result.overall.share


def _agencies_installed() -> bool:
    try:
        return importlib.util.find_spec("cluetrain.agencies.index") is not None
    except ImportError:
        return False


REGISTRY: dict[str, Metric] = {
    metric.key: metric
    for metric in (
        Metric(
            "first_response_within",
            "First response within {minutes} minutes",
            "%",
            _first_response_within,
            params=(
                Param("minutes", "Within how many minutes", "int", 30, 1, 10080),
                Param("complaints_only", "Complaints only", "bool", False),
            ),
        ),
        Metric("sla_compliance", "Service levels met", "%", _sla_compliance),
        Metric(
            "first_response_median",
            "Median first response",
            "minutes",
            _first_response_median,
            higher_is_better=False,
        ),
        Metric(
            "people_active", "People who spoke for us", "people", _people_active, cumulative=True
        ),
        Metric("engagement_per_post", "Engagement per post", "engagements", _engagement_per_post),
        Metric("posts_per_week", "Posts per week", "posts", _posts_per_week),
        Metric(
            "self_sufficiency",
            "Self-sufficiency (in-house share)",
            "%",
            _self_sufficiency,
            available=_agencies_installed,
        ),
    )
}


def offered() -> list[Metric]:
    """The kinds a person may choose: those whose source is installed."""
    return [metric for metric in REGISTRY.values() if metric.available()]


def metric(key: str) -> Metric:
    try:
        found = REGISTRY[key]
    except KeyError:
        raise ServiceError(f"{key[:40]!r} is not a kind of objective.", code="kind") from None
    if not found.available():
        raise ServiceError(f"{found.label} cannot be measured here.", code="kind")
    return found


def clean_params(found: Metric, raw: dict[str, Any]) -> dict[str, Any]:
    """The metric's parameters from hostile input: known names only, integers in range."""
    params: dict[str, Any] = {}
    for param in found.params:
        value = raw.get(param.name, param.default)
        if param.kind == "bool":
            params[param.name] = value in (True, "on", "true", "1", 1)
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ServiceError(f"{param.label} must be a whole number.", code="param") from None
        if not param.low <= number <= param.high:
            raise ServiceError(
                f"{param.label} must be between {param.low} and {param.high}.", code="param"
            )
        params[param.name] = number
    return params


def read(key: str, reading: Reading) -> float | None:
    return REGISTRY[key].compute(reading)
