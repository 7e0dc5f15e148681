"""The academy API: courses, my progress and assignments, a person's progress for coordinators."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from cluetrain.academy.assignments import do_assign
from cluetrain.academy.learners import do_complete_lesson
from cluetrain.academy.models import Course
from tests.conftest import Cast
from tests.support.academy import first_lesson, make_course
from tests.support.api_work import assert_error, call, queries_of, token


def _course(cast: Cast, title: str = "Speak for yourself", lessons: int = 2) -> Course:
    return make_course(cast.coordinator, cast.acme, title=title, lessons=lessons, quiz=False)


def test_members_list_the_organisations_courses_with_their_lesson_counts(cast: Cast) -> None:
    _course(cast, "First", lessons=3)
    courses = call("get", "/api/academy/courses", token(cast.trainee, cast.acme)).json()
    assert [(c["title"], c["lessons"]) for c in courses] == [("First", 3)]


def test_my_progress_counts_the_lessons_i_finished(cast: Cast) -> None:
    course = _course(cast)
    do_complete_lesson(cast.trainee, first_lesson(course))
    mine = call("get", "/api/academy/me", token(cast.trainee, cast.acme)).json()
    assert mine["person"]["id"] == cast.trainee.pk
    (row,) = [c for c in mine["courses"] if c["course_id"] == course.pk]
    assert (row["lessons_total"], row["lessons_done"], row["done"]) == (2, 1, False)
    assert row["percent"] == 50
    assert mine["lessons_done"] == 1


def test_my_assignments_list_what_is_due_for_me_in_person_and_by_role(cast: Cast) -> None:
    mine, theirs = _course(cast, "Mine"), _course(cast, "Theirs")
    soon = timezone.localdate() + timedelta(days=7)
    do_assign(cast.coordinator, mine, soon, role="trainee")
    do_assign(cast.coordinator, theirs, soon, person=cast.member)
    listed = call("get", "/api/academy/me/assignments", token(cast.trainee, cast.acme)).json()
    assert [(a["course"], a["done"]) for a in listed] == [("Mine", False)]
    assert listed[0]["due_at"] is not None


def test_a_coordinator_reads_a_persons_progress_and_a_member_may_not(cast: Cast) -> None:
    _course(cast)
    path = f"/api/academy/people/{cast.trainee.pk}"
    response = call("get", path, token(cast.coordinator, cast.acme))
    assert response.status_code == 200, response.content
    assert response.json()["person"]["name"] == cast.trainee.full_name
    assert_error(call("get", path, token(cast.member, cast.acme)), 403, "not_allowed")
    # Their own, always.
    assert call("get", path, token(cast.trainee, cast.acme)).status_code == 200


def test_a_person_of_another_organisation_is_not_found(cast: Cast) -> None:
    secret = token(cast.coordinator, cast.acme)
    assert_error(call("get", f"/api/academy/people/{cast.outsider.pk}", secret), 404, "not_found")
    assert_error(call("get", "/api/academy/people/999999", secret), 404, "not_found")


def test_the_outsider_sees_none_of_acmes_courses(cast: Cast) -> None:
    _course(cast)
    assert call("get", "/api/academy/courses", token(cast.outsider, cast.globex)).json() == []


def test_progress_costs_the_same_queries_for_many_courses(cast: Cast) -> None:
    secret = token(cast.trainee, cast.acme)
    _course(cast, "One")
    few = queries_of("get", "/api/academy/me", secret)
    few_courses = queries_of("get", "/api/academy/courses", secret)
    for n in range(3):
        _course(cast, f"More {n}", lessons=3)
    assert queries_of("get", "/api/academy/me", secret) == few
    assert queries_of("get", "/api/academy/courses", secret) == few_courses
