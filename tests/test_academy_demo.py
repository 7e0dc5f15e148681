"""The academy's demo content loads into Acme Rail, and loading it twice adds nothing."""

from __future__ import annotations

from cluetrain.academy import demo
from cluetrain.academy.models import (
    Assignment,
    Course,
    LessonCompletion,
    LessonVersion,
    QuizAttempt,
)
from cluetrain.core.demo import load_demo
from cluetrain.organizations.models import Person


def _counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (Course, LessonVersion, Assignment, LessonCompletion, QuizAttempt)
    )


def test_the_demo_academy_loads_once_however_often_it_runs(db: None) -> None:
    organization = load_demo()
    people = {
        p.email.split("@")[0]: p
        for p in Person.objects.filter(email__endswith="@acme-rail.example")
    }
    demo.load(organization, people)
    first = _counts()
    demo.load(organization, people)
    assert _counts() == first
    assert Course.objects.filter(organization=organization).count() == 5
    assert Assignment.objects.filter(organization=organization).count() == 5
    assert LessonCompletion.objects.filter(person=people["tom"]).count() == 2
