"""The insights API: the dashboard's figures for the organisation, a department, a voice and a
person over a date range, read from the roll-ups, with the dashboards' own access rules."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import Cast
from tests.support.api_work import assert_error, call, queries_of, token
from tests.support.insights_history import MONDAY, known_history, post, refresh_rollups

WEEK = {"start": "2026-03-02", "end": "2026-03-08"}


@pytest.fixture
def history(cast: Cast) -> Cast:
    known_history(cast)
    refresh_rollups()
    return cast


def _summary(answer: dict[str, Any]) -> dict[str, Any]:
    (table,) = [t for t in answer["tables"] if t["name"] == "summary"]
    return dict(table["rows"])


def test_the_organisations_known_week_in_figures(history: Cast) -> None:
    response = call("get", "/api/insights", token(history.director, history.acme), WEEK)
    assert response.status_code == 200, response.content
    answer = response.json()
    assert (answer["scope"], answer["start"], answer["end"]) == (
        "organization",
        "2026-03-02",
        "2026-03-08",
    )
    figures = _summary(answer)
    assert figures["posts"] == 3
    assert figures["engagement"] == 16
    assert figures["conversations_opened"] == 3
    assert figures["people_who_spoke"] == 2
    assert "summary" in answer["available"]


def test_a_departments_figures_count_only_its_voice(history: Cast) -> None:
    path = f"/api/insights/departments/{history.care.pk}"
    answer = call("get", path, token(history.coordinator, history.acme), WEEK).json()
    assert _summary(answer)["posts"] == 2
    assert _summary(answer)["engagement"] == 15


def test_several_tables_or_all_of_them_can_be_asked_for(history: Cast) -> None:
    secret = token(history.director, history.acme)
    two = call("get", "/api/insights", secret, {**WEEK, "tables": "summary,top_posts"}).json()
    assert [t["name"] for t in two["tables"]] == ["summary", "top_posts"]
    every = call("get", "/api/insights", secret, {**WEEK, "tables": "all"}).json()
    assert [t["name"] for t in every["tables"]] == every["available"]
    assert_error(call("get", "/api/insights", secret, {"tables": "secrets"}), 400)


def test_bad_ranges_are_refused_in_words(cast: Cast) -> None:
    secret = token(cast.director, cast.acme)
    backwards = {"start": "2026-03-08", "end": "2026-03-02"}
    assert (
        "before the start"
        in assert_error(call("get", "/api/insights", secret, backwards), 400, "range")["message"]
    )
    long = {"start": "2020-01-01", "end": "2026-01-01"}
    assert_error(call("get", "/api/insights", secret, long), 400, "range")
    assert_error(call("get", "/api/insights", secret, {"start": "yesterday"}), 400, "invalid_input")


def test_a_member_sees_only_their_own_dashboard(history: Cast) -> None:
    secret = token(history.member, history.acme)
    assert_error(call("get", "/api/insights", secret, WEEK), 403, "not_allowed")
    assert_error(call("get", f"/api/insights/people/{history.mentor.pk}", secret, WEEK), 403)
    own = call("get", f"/api/insights/people/{history.member.pk}", secret, WEEK)
    assert own.status_code == 200
    assert own.json()["scope"] == "person"
    # Their personal voice is their own work too.
    voice = call("get", f"/api/insights/voices/{history.member_voice.pk}", secret, WEEK)
    assert voice.status_code == 200


def test_another_organisations_department_voice_or_person_is_not_found(history: Cast) -> None:
    secret = token(history.outsider, history.globex)
    for path in (
        f"/api/insights/departments/{history.care.pk}",
        f"/api/insights/voices/{history.care_voice.pk}",
        f"/api/insights/people/{history.mentor.pk}",
    ):
        assert_error(call("get", path, secret, WEEK), 404, "not_found")
    assert _summary(call("get", "/api/insights", secret, WEEK).json())["posts"] == 0


def test_the_figures_cost_the_same_queries_with_more_history(history: Cast) -> None:
    secret = token(history.director, history.acme)
    path = "/api/insights?start=2026-03-02&end=2026-03-08&tables=all"
    queries_of("get", path, secret)  # the first answer fills the caches every answer shares
    known = queries_of("get", path, secret)
    for day in range(1, 5):
        post(
            history.acme,
            voice=history.care_voice,
            author=history.mentor,
            at=MONDAY + timedelta(days=day, hours=day),
            text=f"More news {day}",
            reactions=(day, 1, 0, 0),
        )
    refresh_rollups()
    queries_of("get", path, secret)
    assert queries_of("get", path, secret) == known
