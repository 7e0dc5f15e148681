"""Assignments to people, departments and roles; due dates in the organisation's time zone;
reminders sent once however often the job runs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from cluetrain.academy.assignments import (
    assignees_of_many,
    assignments_for,
    do_assign,
    due_at_of,
    send_reminders,
)
from cluetrain.academy.learners import do_complete_lesson, do_take_quiz
from cluetrain.academy.models import Reminder, ReminderKind
from cluetrain.academy.tasks import send_academy_reminders
from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.notifications.models import Notification
from cluetrain.organizations.models import Person
from cluetrain.organizations.roles import Role
from cluetrain.organizations.services import do_add_member
from tests.conftest import Cast
from tests.support.academy import RIGHT, first_lesson, make_course


def _soon(days: int = 5) -> date:
    return (timezone.now() + timedelta(days=days)).date()


def test_a_course_assigned_to_a_person_concerns_them_alone(cast: Cast) -> None:
    course = make_course(cast.coordinator, cast.acme)
    assignment = do_assign(cast.coordinator, course, _soon(), person=cast.trainee)
    assert assignees_of_many(cast.acme, [assignment])[assignment] == {cast.trainee.pk}
    assert list(assignments_for(cast.trainee, cast.acme)) == [assignment]
    assert not assignments_for(cast.member, cast.acme).exists()
    assert Notification.objects.filter(person=cast.trainee, kind="academy_assigned").exists()


def test_a_department_assignment_reaches_people_who_join_later(cast: Cast) -> None:
    course = make_course(cast.coordinator, cast.acme)
    assignment = do_assign(cast.coordinator, course, _soon(), department=cast.care)
    assert assignees_of_many(cast.acme, [assignment])[assignment] == {cast.mentor.pk}
    newcomer = Person.objects.create_user("newcomer@example.com", "x" * 12, full_name="Nia New")
    do_add_member(cast.acme, newcomer, [Role.MEMBER], departments=[cast.care])
    assert assignees_of_many(cast.acme, [assignment])[assignment] == {cast.mentor.pk, newcomer.pk}
    assert list(assignments_for(newcomer, cast.acme)) == [assignment]


def test_a_role_assignment_reaches_everyone_with_the_role_now_and_later(cast: Cast) -> None:
    course = make_course(cast.coordinator, cast.acme)
    assignment = do_assign(cast.coordinator, course, _soon(), role=Role.TRAINEE)
    assert assignees_of_many(cast.acme, [assignment])[assignment] == {cast.trainee.pk}
    do_add_member(cast.acme, cast.member, [Role.TRAINEE])
    assert cast.member.pk in assignees_of_many(cast.acme, [assignment])[assignment]


def test_an_assignment_names_exactly_one_assignee_and_a_sensible_date(cast: Cast) -> None:
    course = make_course(cast.coordinator, cast.acme)
    with pytest.raises(ServiceError, match="one person, one department or one role"):
        do_assign(cast.coordinator, course, _soon(), person=cast.trainee, role=Role.MEMBER)
    with pytest.raises(ServiceError, match="one person, one department or one role"):
        do_assign(cast.coordinator, course, _soon())
    with pytest.raises(ServiceError, match="has passed"):
        do_assign(cast.coordinator, course, _soon(-3), person=cast.trainee)
    with pytest.raises(ServiceError, match="three years"):
        do_assign(cast.coordinator, course, _soon(4000), person=cast.trainee)
    with pytest.raises(ServiceError, match="not a member"):
        do_assign(cast.coordinator, course, _soon(), person=cast.outsider)
    with pytest.raises(ServiceError, match="not a role"):
        do_assign(cast.coordinator, course, _soon(), role="wizard")


def test_a_trainee_cannot_assign_courses(cast: Cast) -> None:
    course = make_course(cast.coordinator, cast.acme)
    with pytest.raises(NotAllowed):
        do_assign(cast.trainee, course, _soon(), person=cast.member)


def test_the_due_time_is_the_end_of_the_day_in_the_organisations_time_zone(cast: Cast) -> None:
    cast.acme.time_zone = "Pacific/Auckland"
    due = due_at_of(cast.acme, date(2026, 12, 24))
    assert due.astimezone(UTC) == datetime(2026, 12, 24, 10, 59, 59, tzinfo=UTC)
    cast.acme.time_zone = "America/Los_Angeles"
    due = due_at_of(cast.acme, date(2026, 12, 24))
    assert due.astimezone(UTC) == datetime(2026, 12, 25, 7, 59, 59, tzinfo=UTC)
    assert due.tzinfo is not None


def test_reminders_go_out_once_before_the_due_date_and_once_when_overdue(cast: Cast) -> None:
    course = make_course(cast.coordinator, cast.acme)
    assignment = do_assign(cast.coordinator, course, _soon(1), role=Role.TRAINEE)
    assert send_reminders(now=timezone.now() - timedelta(days=5)) == 0  # not yet due soon
    assert send_reminders() == 1
    assert send_reminders() == 0
    assert send_academy_reminders.call() == 0  # the job, run again
    later = assignment.due_at + timedelta(hours=1)
    assert send_reminders(now=later) == 1
    assert send_reminders(now=later) == 0
    kinds = set(Reminder.objects.filter(assignment=assignment).values_list("kind", flat=True))
    assert kinds == {ReminderKind.SOON, ReminderKind.OVERDUE}
    titles = list(
        Notification.objects.filter(person=cast.trainee, kind__startswith="academy_")
        .exclude(kind="academy_assigned")
        .values_list("title", flat=True)
    )
    assert len(titles) == 2
    assert any("was due" in t for t in titles)


def test_nobody_is_reminded_of_a_course_they_finished(cast: Cast) -> None:
    course = make_course(cast.coordinator, cast.acme, lessons=1)
    do_assign(cast.coordinator, course, _soon(1), person=cast.trainee)
    lesson = first_lesson(course)
    do_complete_lesson(cast.trainee, lesson)
    do_take_quiz(cast.trainee, lesson, RIGHT)
    assert send_reminders() == 0
    assert not Reminder.objects.exists()
