"""Objectives: each metric on a small known history, progress and its status, the periods
read in the organisation's time zone, and the rules for defining one."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from cluetrain.campaigns import metrics, periods, progress, services
from cluetrain.campaigns.models import Objective, PeriodKind
from cluetrain.core.errors import NotAllowed, ServiceError
from tests.conftest import Cast
from tests.support import campaigns as history


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def read(cast: Cast, kind: str, start: date, end: date, **params: object) -> float | None:
    reading = metrics.Reading(cast.acme, None, start, end, dict(params), rollups=False)
    return metrics.read(kind, reading)


MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def conversations(cast: Cast) -> None:
    """Complaints answered in 10, 45 and 29 minutes, one never answered; a question answered
    in 100 minutes. Under 30 minutes: 2 of 3 complaints, 2 of 4 answered."""
    for minutes, complaint in ((10, True), (45, True), (29, True), (100, False)):
        heard = at(5, 9)
        history.conversation(
            cast.acme,
            heard=heard,
            replier=cast.mentor,
            replied=datetime.fromtimestamp(heard.timestamp() + 60 * minutes, UTC),
            complaint=complaint,
        )
    history.conversation(cast.acme, heard=at(5, 10), complaint=True)


def test_first_response_within_counts_answered_conversations_and_complaints(cast: Cast) -> None:
    conversations(cast)
    assert read(cast, "first_response_within", *MARCH, minutes=30) == 50.0
    share = read(cast, "first_response_within", *MARCH, minutes=30, complaints_only=True)
    assert share == 66.7
    assert read(cast, "first_response_within", *MARCH, minutes=120) == 100.0


def test_post_metrics_and_people_active_on_a_known_history(cast: Cast) -> None:
    for day, likes in ((3, 30), (4, 70)):
        history.post(
            cast.acme,
            cast.member,
            created=at(day, 9),
            sent=at(day, 9),
            published=at(day, 10),
            voice=cast.member_voice,
            likes=likes,
        )
    history.conversation(cast.acme, heard=at(6, 9), replier=cast.mentor, replied=at(6, 9, 5))
    assert read(cast, "engagement_per_post", *MARCH) == 50.0
    # Two posts in 31 days: 2 * 7 / 31 a week.
    assert read(cast, "posts_per_week", *MARCH) == 0.5
    # The member published, the mentor replied.
    assert read(cast, "people_active", *MARCH) == 2.0
    assert read(cast, "self_sufficiency", *MARCH) == 100.0


def test_an_empty_organisation_has_no_data_rather_than_zero_shares(cast: Cast) -> None:
    assert read(cast, "first_response_within", *MARCH, minutes=30) is None
    assert read(cast, "engagement_per_post", *MARCH) is None
    assert read(cast, "sla_compliance", *MARCH) is None
    assert read(cast, "first_response_median", *MARCH) is None
    assert read(cast, "people_active", *MARCH) == 0.0
    assert read(cast, "posts_per_week", *MARCH) == 0.0


@pytest.mark.parametrize(
    ("value", "target", "higher", "expected"),
    [
        (90.0, 90.0, True, "on track"),
        (95.0, 90.0, True, "on track"),
        (81.0, 90.0, True, "at risk"),
        (80.9, 90.0, True, "missed"),
        (30.0, 30.0, False, "on track"),
        (33.0, 30.0, False, "at risk"),
        (34.0, 30.0, False, "missed"),
        (None, 30.0, True, "no data"),
    ],
)
def test_status_boundaries(value: float | None, target: float, higher: bool, expected: str) -> None:
    assert progress.status(value, target, higher_is_better=higher) == expected


def test_a_count_under_way_is_judged_against_the_days_it_has_had() -> None:
    assert progress.status(20, 40, cumulative=True, elapsed=0.5) == "on track"
    assert progress.status(20, 40, cumulative=True, elapsed=1.0) == "missed"
    assert progress.status(20, 40, cumulative=False, elapsed=0.5) == "missed"


def test_progress_bars_fill_to_the_target_and_no_further() -> None:
    assert progress.bar(45, 90) == 50
    assert progress.bar(200, 90) == 100
    assert progress.bar(60, 30, higher_is_better=False) == 50
    assert progress.bar(None, 30) == 0


def test_periods_are_calendar_months_quarters_and_rolling_days() -> None:
    month = periods.current(PeriodKind.MONTH, date(2026, 2, 14))
    assert (month.start, month.end, month.elapsed) == (date(2026, 2, 1), date(2026, 2, 28), 0.5)
    quarter = periods.current(PeriodKind.QUARTER, date(2026, 12, 31))
    assert (quarter.start, quarter.end, quarter.finished) == (
        date(2026, 10, 1),
        date(2026, 12, 31),
        True,
    )
    rolling = periods.current(PeriodKind.ROLLING_30, date(2026, 3, 1))
    assert (rolling.start, rolling.days) == (date(2026, 1, 31), 30)
    past = periods.history(PeriodKind.QUARTER, date(2026, 2, 1), 2)
    assert [(p.start, p.end, p.label) for p in past] == [
        (date(2025, 7, 1), date(2025, 9, 30), "2025 Q3"),
        (date(2025, 10, 1), date(2025, 12, 31), "2025 Q4"),
    ]
    assert [p.label for p in periods.history(PeriodKind.MONTH, date(2026, 1, 5), 2)] == [
        "2025-11",
        "2025-12",
    ]


def test_a_calendar_month_is_read_in_new_york_at_its_edges(cast: Cast) -> None:
    cast.acme.time_zone = "America/New_York"
    cast.acme.save(update_fields=["time_zone"])
    # 23:00 on 31 March in New York (03:00 UTC on 1 April): answered in 10 minutes.
    history.conversation(
        cast.acme, heard=at(1, 3, month=4), replier=cast.mentor, replied=at(1, 3, 10, month=4)
    )
    # 23:00 on 28 February in New York (04:00 UTC on 1 March): answered in an hour.
    history.conversation(cast.acme, heard=at(1, 4), replier=cast.mentor, replied=at(1, 5))
    objective = Objective.objects.create(
        organization=cast.acme,
        name="Fast answers",
        kind="first_response_within",
        params={"minutes": 30},
        target=90,
        period=PeriodKind.MONTH,
    )
    # 22:30 on 31 March in New York: still March there.
    now = at(1, 2, 30, month=4)
    result = progress.progress(objective, now=now, with_history=True, rollups=False)
    assert (result.span.start, result.span.end) == (date(2026, 3, 1), date(2026, 3, 31))
    assert result.value == 100.0
    assert result.status == "on track"
    assert result.percent == 100
    assert [(p.span.label, p.value, p.status) for p in result.history[-2:]] == [
        ("2026-01", None, "no data"),
        ("2026-02", 0.0, "missed"),
    ]
    assert result.chart["labels"][-1] == "2026-03"
    assert result.chart["target"] == [90.0] * 7


def fields(**overrides: object) -> services.ObjectiveFields:
    values: dict[str, object] = {
        "name": "First response under 30 minutes for 90 % of complaints",
        "kind": "first_response_within",
        "target": 90,
        "params": {"minutes": "30", "complaints_only": "on"},
    }
    values.update(overrides)
    return services.ObjectiveFields(**values)  # type: ignore[arg-type]


def test_a_coordinator_defines_an_objective_and_its_parameters_are_cleaned(cast: Cast) -> None:
    objective = services.do_create_objective(
        cast.coordinator, cast.acme, fields(name="  <b>Fast</b>\n answers ", owner=cast.director)
    )
    assert objective.name == "<b>Fast</b> answers"
    assert objective.params == {"minutes": 30, "complaints_only": True}
    described = metrics.REGISTRY[objective.kind].describe(objective.params)
    assert described == "First response within 30 minutes (complaints)"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"target": -5}, "above 0"),
        ({"target": float("nan")}, "above 0"),
        ({"target": "lots"}, "number"),
        ({"target": 120}, "100 %"),
        ({"kind": "<script>"}, "not a kind"),
        ({"params": {"minutes": "99999"}}, "between 1 and 10080"),
        ({"params": {"minutes": "ten"}}, "whole number"),
        ({"name": "   "}, "Give the name"),
        ({"name": "x" * 121}, "under 120"),
        ({"period": "decade"}, "period"),
    ],
)
def test_bad_objectives_are_refused(cast: Cast, overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ServiceError, match=message):
        services.do_create_objective(cast.director, cast.acme, fields(**overrides))


def test_trainees_and_outsiders_may_not_define_objectives(cast: Cast) -> None:
    for person in (cast.trainee, cast.mentor, cast.outsider):
        with pytest.raises(NotAllowed):
            services.do_create_objective(person, cast.acme, fields())


def test_another_organisations_department_or_owner_is_refused(cast: Cast) -> None:
    with pytest.raises(ServiceError, match="department"):
        services.do_create_objective(cast.outsider, cast.globex, fields(department=cast.care))
    with pytest.raises(ServiceError, match="owner"):
        services.do_create_objective(cast.director, cast.acme, fields(owner=cast.outsider))


def test_the_roll_ups_give_the_objectives_the_same_numbers(cast: Cast) -> None:
    from cluetrain.insights.rollups import maintain

    conversations(cast)
    history.post(
        cast.acme,
        cast.member,
        created=at(3, 9),
        sent=at(3, 9),
        published=at(3, 10),
        voice=cast.member_voice,
        likes=12,
    )
    maintain.catch_up(rounds=50)
    for kind, params in (
        ("first_response_within", {"minutes": 30, "complaints_only": True}),
        ("first_response_within", {"minutes": 30}),
        ("people_active", {}),
        ("engagement_per_post", {}),
        ("posts_per_week", {}),
    ):
        raw = metrics.Reading(cast.acme, None, *MARCH, params, rollups=False)
        rolled = metrics.Reading(cast.acme, None, *MARCH, params, rollups=True)
        assert metrics.read(kind, rolled) == metrics.read(kind, raw), kind
    assert read(cast, "people_active", *MARCH) == 2.0
