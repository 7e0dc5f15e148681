"""The insights dashboards: the organisation's, a department's, a voice's and a person's, over a
date range, with who may see which, bad ranges, empty organisations and time zones."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cluetrain.insights import measures
from cluetrain.insights.forms import MAX_DAYS
from tests.conftest import Cast
from tests.support.insights_history import (
    MONDAY,
    TOP_POST,
    conversation,
    known_history,
    post,
    refresh_rollups,
)

WEEK = "range=custom&from=2026-03-02&to=2026-03-08"


def _text(response: object) -> str:
    """The page's text without tags and with whitespace folded, to find numbers in."""
    html = response.content.decode()  # type: ignore[attr-defined]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _stat(response: object, label: str) -> str:
    """The value shown on the key-number card labelled ``label``."""
    html = response.content.decode()  # type: ignore[attr-defined]
    found = re.search(
        r'<span class="value">([^<]*)</span><span class="label">' + re.escape(label) + "<", html
    )
    assert found, f"no card {label!r}"
    return found.group(1).strip()


@pytest.fixture
def history(cast: Cast) -> Cast:
    known_history(cast)
    return cast


def test_a_director_sees_the_known_week_in_numbers(history: Cast) -> None:
    response = history.client(history.director).get(f"/insights/?{WEEK}")
    assert response.status_code == 200
    assert _stat(response, "Posts") == "3"
    assert _stat(response, "Engagement per post") == "5.3"
    assert _stat(response, "Conversations") == "3"
    assert _stat(response, "People who spoke") == "2"
    text = _text(response)
    assert "From 2 Mar 2026 to 8 Mar 2026 (7 days)" in text
    # The day table under the engagement chart: Monday's post drew 10 reactions.
    assert re.search(r"2026-03-02 1 10 ", text)
    assert TOP_POST in text
    # Topics: two of the three conversations were about delays, both negative.
    assert re.search(r"delays 2 100\.0", text)


def test_the_first_response_median_is_the_middle_of_the_three(history: Cast) -> None:
    response = history.client(history.director).get(f"/insights/?{WEEK}")
    shown = float(_stat(response, "First response, median").removesuffix(" min"))
    # Ten, thirty and sixty minutes: thirty, within the roll-ups' half a minute.
    assert abs(shown - 30) <= 0.5


def test_each_section_draws_a_chart_from_its_own_json(history: Cast) -> None:
    html = history.client(history.director).get(f"/insights/?{WEEK}").content.decode()
    for name in ("engagement", "conversations", "sentiment", "topics", "participation", "heat"):
        assert f'data-chart="chart-{name}"' in html
        assert f'<script id="chart-{name}" type="application/json">' in html
    assert "/static/insights/dashboard." in html
    # No inline code: every script either loads a file or carries JSON.
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag


def test_a_department_page_counts_only_the_department(history: Cast) -> None:
    response = history.client(history.director).get(
        f"/insights/departments/{history.care.pk}/?{WEEK}"
    )
    assert response.status_code == 200
    assert _stat(response, "Posts") == "2"
    assert _stat(response, "Engagement per post") == "7.5"
    assert _stat(response, "Conversations") == "2"
    assert "Proud of our night crew" not in _text(response)


def test_a_voice_page_counts_only_the_voice(history: Cast) -> None:
    response = history.client(history.director).get(
        f"/insights/voices/{history.member_voice.pk}/?{WEEK}"
    )
    assert response.status_code == 200
    assert _stat(response, "Posts") == "1"
    assert "Proud of our night crew" in _text(response)
    assert TOP_POST not in _text(response)


def test_a_member_sees_their_own_page_but_not_the_organisation(history: Cast) -> None:
    client = history.client(history.member)
    refused = client.get(f"/insights/?{WEEK}")
    assert refused.status_code == 403
    assert f'href="/insights/people/{history.member.pk}/"' in refused.content.decode()
    assert 'id="key-numbers"' not in refused.content.decode()
    assert client.get(f"/insights/departments/{history.care.pk}/").status_code == 403
    own = client.get(f"/insights/people/{history.member.pk}/?{WEEK}")
    assert own.status_code == 200
    assert _stat(own, "Posts") == "1"
    assert client.get(f"/insights/people/{history.mentor.pk}/").status_code == 403


def test_a_trainee_may_not_read_someone_elses_voice(history: Cast) -> None:
    response = history.client(history.trainee).get(f"/insights/voices/{history.care_voice.pk}/")
    assert response.status_code == 403


def test_the_owner_of_a_personal_voice_may_read_it(history: Cast) -> None:
    response = history.client(history.member).get(
        f"/insights/voices/{history.member_voice.pk}/?{WEEK}"
    )
    assert response.status_code == 200


def test_another_organisations_ids_are_not_found(history: Cast) -> None:
    client = history.client(history.outsider)
    assert client.get(f"/insights/departments/{history.care.pk}/").status_code == 404
    assert client.get(f"/insights/voices/{history.care_voice.pk}/").status_code == 404
    assert client.get(f"/insights/people/{history.member.pk}/").status_code == 404
    assert client.get(f"/insights/departments/{history.care.pk}/engagement.csv").status_code == 404


def test_an_outsider_sees_their_own_empty_organisation_with_no_data_yet(history: Cast) -> None:
    response = history.client(history.outsider).get("/insights/")
    assert response.status_code == 200
    text = _text(response)
    assert "Insights: Globex" in text
    assert "No data yet." in text
    assert _stat(response, "Posts") == "0"
    assert _stat(response, "First response, median") == "—"
    assert "<canvas" not in response.content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(cast: Cast) -> None:
    response = Client().get("/insights/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("range=custom&from=2026-03-08&to=2026-03-02", "The end date is before the start date."),
        ("range=custom&from=2026-02-30&to=2026-03-02", "Enter a valid date."),
        ("range=custom&from=2020-01-01&to=2026-03-02", f"Choose at most {MAX_DAYS} days"),
        ("range=custom&from=2026-03-02", "Give both a start and an end date"),
        ("range=custom&from=0001-01-01&to=0001-01-02", "Choose dates between 2000 and 2100."),
        ("range=custom&from=9999-12-30&to=9999-12-31", "Choose dates between 2000 and 2100."),
        ("range=fortnight", "Select a valid choice."),
        ("from=%3Cscript%3Ealert(1)%3C/script%3E&to=2026-03-02", "Enter a valid date."),
        ("range=custom&from=2026-03-02%E2%80%AE&to=2026-03-08", "Enter a valid date."),
    ],
)
def test_a_bad_range_is_explained_not_a_500(cast: Cast, query: str, problem: str) -> None:
    response = cast.client(cast.director).get(f"/insights/?{query}")
    assert response.status_code == 400
    assert problem in _text(response)
    assert "<script>alert" not in response.content.decode()


def test_an_oversized_date_is_refused_plainly(cast: Cast) -> None:
    response = cast.client(cast.director).get(f"/insights/?range=custom&from={'9' * 5000}&to=x")
    assert response.status_code == 400
    assert "Enter a valid date." in _text(response)


def test_a_preset_ends_today(cast: Cast) -> None:
    response = cast.client(cast.director).get("/insights/?range=7")
    assert response.status_code == 200
    assert "(7 days)" in _text(response)
    assert 'value="7" selected' in response.content.decode()


def test_the_period_is_read_in_the_organisations_time_zone(cast: Cast) -> None:
    # Auckland is 13 hours ahead in March: Sunday 8 March 12:30 UTC is already Monday there.
    cast.acme.time_zone = "Pacific/Auckland"
    cast.acme.save(update_fields=["time_zone"])
    late = datetime(2026, 3, 8, 12, 30, tzinfo=UTC)
    post(
        cast.acme,
        voice=cast.care_voice,
        author=cast.mentor,
        at=late,
        text="Late on Sunday",
        reactions=(1, 0, 0, 0),
    )
    # Monday 2 March 00:00 in Auckland is Sunday 1 March 11:00 UTC: the first instant counts.
    first = datetime(2026, 3, 1, 11, 0, tzinfo=UTC)
    post(
        cast.acme,
        voice=cast.care_voice,
        author=cast.mentor,
        at=first,
        text="First instant",
        reactions=(2, 0, 0, 0),
    )
    refresh_rollups()
    client = cast.client(cast.director)
    week = client.get(f"/insights/?{WEEK}")
    assert _stat(week, "Posts") == "1"
    assert "First instant" in _text(week)
    monday = client.get("/insights/?range=custom&from=2026-03-09&to=2026-03-09")
    assert _stat(monday, "Posts") == "1"
    assert "Late on Sunday" in _text(monday)
    assert "2026-03-09 01:30" in _text(monday)  # published, in Auckland's time


@pytest.mark.parametrize(
    "path",
    [
        "/insights/?{week}",
        "/insights/departments/{care}/?{week}",
        "/insights/people/{mentor}/?{week}",
        "/insights/voices/{voice}/?{week}",
        "/insights/report/2026-03/",
    ],
)
def test_a_dashboard_runs_in_as_many_queries_whatever_the_history(
    history: Cast, path: str, django_assert_max_num_queries: object
) -> None:
    url = path.format(
        week=WEEK, care=history.care.pk, mentor=history.mentor.pk, voice=history.care_voice.pk
    )
    client = history.client(history.director)
    client.get(url)  # warm the session and the roles
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for n in range(30):
        post(
            history.acme,
            voice=history.care_voice,
            author=history.mentor,
            at=MONDAY + timedelta(hours=n),
            text=f"More {n}",
            reactions=(n, 0, 0, 0),
        )
        conversation(
            history.acme,
            at=MONDAY + timedelta(hours=n),
            answered_after=n,
            by=history.mentor,
            department=history.care,
            topic=f"topic {n}",
        )
    refresh_rollups()
    with django_assert_max_num_queries(40):  # type: ignore[operator]
        response = client.get(url)
    with CaptureQueriesContext(connection) as large:
        client.get(url)
    assert response.status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_page_agrees_with_the_measures_computed_without_roll_ups(history: Cast) -> None:
    response = history.client(history.director).get(f"/insights/?{WEEK}")
    scope = measures.Scope(history.acme.pk)
    period = measures.Period(MONDAY.date(), MONDAY.date() + timedelta(days=6), "UTC")
    raw = measures.post_engagement(scope, period, rollups=False)
    assert _stat(response, "Posts") == str(raw.posts)
    assert raw.engagement == 16


def test_use_these_slots_says_when_a_voice_has_too_little_history(history: Cast) -> None:
    client = history.client(history.director)
    response = client.post(
        f"/insights/voices/{history.care_voice.pk}/slots/", {"next": "/insights/"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/insights/"
    assert "has not posted enough yet" in _text(response)


def test_use_these_slots_fills_the_publishing_queue(cast: Cast) -> None:
    from cluetrain.insights.forms import today_in

    today = today_in(cast.acme.time_zone)
    monday = today - timedelta(days=today.weekday() + 7)
    for weeks in range(4):
        at = datetime.combine(monday - timedelta(weeks=weeks), datetime.min.time(), UTC)
        post(
            cast.acme,
            voice=cast.care_voice,
            author=cast.mentor,
            at=at.replace(hour=8),
            text=f"Week {weeks}",
            reactions=(5, 1, 0, 0),
        )
    refresh_rollups()
    client = cast.client(cast.director)
    response = client.post(
        f"/insights/voices/{cast.care_voice.pk}/slots/",
        {"next": "https://evil.example/"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"/insights/voices/{cast.care_voice.pk}/"
    assert "now uses the recommended slots" in _text(response)


def test_use_these_slots_is_a_post(history: Cast) -> None:
    client = history.client(history.director)
    assert client.get(f"/insights/voices/{history.care_voice.pk}/slots/").status_code == 405


def test_the_goals_and_campaigns_are_one_click_away(history: Cast) -> None:
    html = history.client(history.director).get("/insights/").content.decode()
    assert 'href="/insights/campaigns/"' in html


def test_the_organisations_page_leads_to_each_person_and_voice(history: Cast) -> None:
    html = history.client(history.director).get("/insights/").content.decode()
    assert f'href="/insights/people/{history.trainee.pk}/"' in html
    assert f'href="/insights/voices/{history.care_voice.pk}/"' in html
    assert f'href="/insights/departments/{history.care.pk}/"' in html
    assert 'href="/insights/people/' + str(history.outsider.pk) + '/"' not in html


def test_self_sufficiency_counts_the_months_posts_as_in_house(history: Cast) -> None:
    response = history.client(history.director).get(f"/insights/?{WEEK}")
    assert re.search(r"2026-03 \d+ 0 100\.0", _text(response))


def test_the_training_funnel_counts_who_was_assigned_and_who_started(cast: Cast) -> None:
    from cluetrain.academy.assignments import do_assign
    from cluetrain.academy.learners import do_complete_lesson
    from cluetrain.insights.forms import today_in
    from tests.support.academy import first_lesson, make_course

    course = make_course(cast.director, cast.acme, lessons=2, quiz=False)
    due = today_in(cast.acme.time_zone) + timedelta(days=7)
    do_assign(cast.director, course, due, person=cast.trainee)
    do_assign(cast.director, course, due, person=cast.member)
    do_complete_lesson(cast.trainee, first_lesson(course))
    response = cast.client(cast.director).get("/insights/")
    text = _text(response)
    assert "assigned 2" in text
    assert "started 1" in text
    assert "completed 0" in text
    own = cast.client(cast.trainee).get(f"/insights/people/{cast.trainee.pk}/")
    assert "started 1" in _text(own)
