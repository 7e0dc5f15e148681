"""The insights measures on a small known history: hand-computed counts, medians and p90,
service levels, days and weeks in the organisation's time zone, and scopes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cluetrain.core.errors import ServiceError
from cluetrain.inbox.models import ServiceLevel
from cluetrain.insights import measures
from cluetrain.insights.measures import Period, Scope
from cluetrain.insights.rollups import maintain
from tests.conftest import Cast
from tests.support.insights import publish, talk

HELSINKI = "Europe/Helsinki"


@pytest.fixture
def history(cast: Cast) -> Cast:
    """Four conversations in Helsinki's first days of April 2026 (UTC+3 from 29 March)."""
    cast.acme.time_zone = HELSINKI
    cast.acme.save(update_fields=["time_zone"])
    ServiceLevel.objects.create(
        organization=cast.acme, around_the_clock=True, first_response_minutes=15
    )
    common = {"department": cast.care, "assignee": cast.mentor}
    # 23:30 UTC on 31 March is 02:30 on 1 April in Helsinki.
    talk(
        cast.acme,
        datetime(2026, 3, 31, 23, 30, tzinfo=UTC),
        responded_after=10,
        resolved_after=100,
        replier=cast.mentor,
        sentiment_label="negative",
        intent="complaint",
        topic="delays",
        complaint=True,
        **common,
    )
    talk(
        cast.acme,
        datetime(2026, 4, 1, 8, 0, tzinfo=UTC),
        responded_after=30,
        resolved_after=300,
        replier=cast.member,
        sentiment_label="neutral",
        intent="question",
        topic="delays",
    )
    talk(
        cast.acme,
        datetime(2026, 4, 2, 10, 0, tzinfo=UTC),
        responded_after=5,
        replier=cast.mentor,
        sentiment_label="positive",
        intent="praise",
        topic="staff",
        **common,
    )
    talk(cast.acme, datetime(2026, 4, 3, 10, 0, tzinfo=UTC), sentiment_label="negative")
    return cast


def april(first: int = 1, last: int = 3) -> Period:
    return Period(date(2026, 4, first), date(2026, 4, last), HELSINKI)


def both(function, *args, **kwargs):  # type: ignore[no-untyped-def]
    maintain.catch_up()
    return function(*args, rollups=False, **kwargs), function(*args, rollups=True, **kwargs)


def test_counts_medians_and_p90_match_the_hand_computed_ones(history: Cast) -> None:
    raw, rolled = both(measures.conversation_measures, Scope(history.acme.pk), april())
    for m in (raw, rolled):
        assert (m.opened, m.resolved) == (4, 2)
        assert (m.sla_met, m.sla_breached) == (2, 1)
        assert m.sla_compliance == pytest.approx(2 / 3)
        assert m.complaints == 1
    # First responses 5, 10 and 30 minutes: nearest-rank median 10, p90 30.
    assert (raw.first_response_median_min, raw.first_response_p90_min) == (10, 30)
    # Read from one-minute buckets: the middle of [10, 11) and of [30, 31).
    assert (rolled.first_response_median_min, rolled.first_response_p90_min) == (10.5, 30.5)
    # Resolutions 100 and 300 minutes; 100 is in the 5-minute band, 300 in the 30-minute one.
    assert (raw.resolution_median_min, raw.resolution_p90_min) == (100, 300)
    assert abs(rolled.resolution_median_min - 100) <= 2.5
    assert abs(rolled.resolution_p90_min - 300) <= 15


def test_a_conversation_late_on_31_march_utc_counts_on_1_april_in_helsinki(
    history: Cast,
) -> None:
    raw, rolled = both(measures.conversation_measures, Scope(history.acme.pk), april(1, 1))
    assert raw.opened == rolled.opened == 2
    assert [d.opened for d in rolled.by_day] == [2]
    march = Period(date(2026, 3, 31), date(2026, 3, 31), HELSINKI)
    assert measures.conversation_measures(Scope(history.acme.pk), march).opened == 0


def test_the_edges_of_the_period_are_included(history: Cast) -> None:
    maintain.catch_up()
    scope = Scope(history.acme.pk)
    assert measures.conversation_measures(scope, april(3, 3)).opened == 1
    assert [d.day for d in measures.conversation_measures(scope, april()).by_day] == [
        date(2026, 4, 1),
        date(2026, 4, 2),
        date(2026, 4, 3),
    ]


def test_a_department_and_a_person_see_only_their_conversations(history: Cast) -> None:
    for scope in (
        Scope(history.acme.pk, department_id=history.care.pk),
        Scope(history.acme.pk, person_id=history.mentor.pk),
    ):
        raw, rolled = both(measures.conversation_measures, scope, april())
        assert raw.opened == rolled.opened == 2
        assert raw.first_response_median_min == 5
    voice = Scope(history.acme.pk, voice_id=history.care_voice.pk)
    assert measures.conversation_measures(voice, april()).opened == 0


def test_an_empty_organisation_has_zeros_and_nothing_divided_by_zero(cast: Cast) -> None:
    maintain.catch_up()
    scope, period = Scope(cast.globex.pk), Period(date(2026, 1, 1), date(2026, 3, 31), "UTC")
    for rollups in (True, False):
        m = measures.conversation_measures(scope, period, rollups=rollups)
        assert (m.opened, m.first_response_median_min, m.sla_compliance) == (0, None, None)
        posts = measures.post_engagement(scope, period, rollups=rollups)
        assert (posts.posts, posts.per_post, posts.per_1000_followers) == (0, None, None)
        assert measures.participation(scope, period, rollups=rollups).people == 0
        assert measures.top_topics(scope, period, rollups=rollups) == []
        assert measures.first_response_share_within(scope, period, 60, rollups=rollups) is None
        assert measures.frequency(scope, period, rollups=rollups).voices == []


def test_share_answered_within_an_hour_and_of_complaints(history: Cast) -> None:
    scope = Scope(history.acme.pk)
    raw, rolled = both(measures.first_response_share_within, scope, april(), 15)
    assert raw == rolled == pytest.approx(2 / 3)
    raw, rolled = both(
        measures.first_response_share_within, scope, april(), 15, complaints_only=True
    )
    assert raw == rolled == 1.0


def test_sentiment_intents_and_topics(history: Cast) -> None:
    raw, rolled = both(measures.mix_over_time, Scope(history.acme.pk), april())
    assert raw == rolled
    assert rolled.weeks == [date(2026, 3, 30)]
    assert rolled.sentiment == {"negative": [2], "neutral": [1], "positive": [1]}
    assert rolled.intents["complaint"] == [1]
    raw_topics, topics = both(measures.top_topics, Scope(history.acme.pk), april())
    assert raw_topics == topics
    assert [(t.topic, t.conversations, t.negative_share) for t in topics] == [
        ("delays", 2, 0.5),
        ("staff", 1, 0.0),
    ]


def test_reading_roll_ups_touches_no_product_table(history: Cast) -> None:
    maintain.catch_up()
    scope, period = Scope(history.acme.pk), april()
    with CaptureQueriesContext(connection) as queries:
        measures.conversation_measures(scope, period)
        measures.mix_over_time(scope, period)
        measures.top_topics(scope, period)
        measures.participation(scope, period)
    tables = " ".join(q["sql"] for q in queries.captured_queries)
    assert len(queries.captured_queries) <= 5
    for product in ("inbox_", "listening_", "publishing_", "organizations_"):
        assert product not in tables


def test_periods_refuse_bad_time_zones_and_reversed_dates() -> None:
    with pytest.raises(ServiceError, match="not a time zone"):
        Period(date(2026, 1, 1), date(2026, 1, 2), "Mars/Olympus<script>")
    with pytest.raises(ServiceError, match="not a time zone"):
        Period(date(2026, 1, 1), date(2026, 1, 2), "")
    with pytest.raises(ServiceError, match="ends before"):
        Period(date(2026, 1, 2), date(2026, 1, 1), "UTC")
    with pytest.raises(ServiceError, match="three years"):
        Period(date(2020, 1, 1), date(2026, 1, 1), "UTC")


def test_a_week_with_the_change_to_summer_time_has_23_hours_on_its_sunday() -> None:
    period = Period(date(2026, 3, 29), date(2026, 3, 29), HELSINKI)
    start, after = period.bounds()
    assert after - start == timedelta(hours=23)
    assert start == datetime(2026, 3, 28, 22, 0, tzinfo=UTC)
    assert Period(date(2026, 3, 25), date(2026, 4, 1), HELSINKI).weeks() == [
        date(2026, 3, 23),
        date(2026, 3, 30),
    ]


def test_post_engagement_sums_latest_reactions_per_post(history: Cast) -> None:
    at = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
    publish(history.care_voice, history.mentor, at, likes=10, reposts=2)
    publish(history.care_voice, history.member, at + timedelta(days=1), likes=1, quotes=1)
    raw, rolled = both(measures.post_engagement, Scope(history.acme.pk), april())
    assert raw == rolled
    assert (rolled.posts, rolled.engagement, rolled.per_post) == (2, 14, 7.0)
    assert [d.engagement for d in rolled.by_day] == [12, 2, 0]
    assert [p.likes for p in rolled.top_posts] == [10, 1]
    assert rolled.top_posts[0].voice_name == "Acme Customer care"
    mentor = Scope(history.acme.pk, person_id=history.mentor.pk)
    assert measures.post_engagement(mentor, april()).engagement == 12
