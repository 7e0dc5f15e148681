"""Acme Rail's academy for the demo: the default curriculum, assignments, and Tom's progress.

Running it twice adds nothing: the curriculum install is idempotent, and each assignment and
each piece of Tom's work is looked for before it is made.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from cluetrain.academy.assignments import do_assign
from cluetrain.academy.curriculum import do_install_curriculum
from cluetrain.academy.learners import do_complete_lesson, do_take_quiz
from cluetrain.academy.models import Assignment, Course, Lesson, LessonCompletion, QuizAttempt
from cluetrain.organizations.models import Department, Organization, Person
from cluetrain.organizations.roles import Role

# (course key, role or department name, days until due)
ASSIGNMENTS: list[tuple[str, str, int]] = [
    ("speak-for-yourself", Role.TRAINEE, 7),
    ("what-not-to-say", Role.TRAINEE, 14),
    ("answering-customers", "Customer care", 21),
    ("when-things-go-wrong", "Operations", 10),
    ("leaders", Role.MANAGER, 30),
]


def _assign(organization: Organization, carla: Person) -> None:
    today = timezone.now().astimezone(timezone.get_current_timezone()).date()
    for key, whom, days in ASSIGNMENTS:
        course = Course.objects.filter(organization=organization, source_key=key).first()
        if course is None:
            continue
        department = Department.objects.filter(organization=organization, name=whom).first()
        role = "" if department else str(whom)
        if Assignment.objects.filter(course=course, department=department, role=role).exists():
            continue
        do_assign(
            carla,
            course,
            today + timedelta(days=days),
            department=department,
            role=role,
        )


def _toms_progress(organization: Organization, tom: Person) -> None:
    lessons = list(
        Lesson.objects.filter(
            course__organization=organization, course__source_key="speak-for-yourself"
        ).select_related("current", "course")
    )
    for lesson in lessons[:2]:
        if not LessonCompletion.objects.filter(person=tom, lesson=lesson).exists():
            do_complete_lesson(tom, lesson)
        if lesson.current and not QuizAttempt.objects.filter(person=tom, lesson=lesson).exists():
            # Tom picks the first right answer of each question: full marks on single-answer
            # questions, half on the multiple-answer ones.
            answers = {
                str(i): [next(n for n, c in enumerate(q["choices"]) if c["correct"])]
                for i, q in enumerate(lesson.current.questions)
            }
            do_take_quiz(tom, lesson, answers)


def load(organization: Organization, people: dict[str, Person]) -> None:
    """Add the academy's demo content to Acme Rail (idempotent)."""
    do_install_curriculum(None, organization)
    _assign(organization, people["carla"])
    _toms_progress(organization, people["tom"])
