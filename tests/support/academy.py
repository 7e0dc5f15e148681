"""Helpers for the academy's tests: a small course with a quiz, written by the coordinator."""

from __future__ import annotations

from typing import Any

from cluetrain.academy.authoring import LessonText, do_create_lesson, do_save_course
from cluetrain.academy.models import Course, Lesson, LessonVersion
from cluetrain.organizations.models import Organization, Person


def choice(text: str, correct: bool = False, explanation: str = "") -> dict[str, Any]:
    return {
        "text": text,
        "correct": correct,
        "explanation": explanation
        or f"Because {text.lower()} is {'right' if correct else 'wrong'}.",
    }


SINGLE = {
    "prompt": "Who speaks when you post from your own account?",
    "choices": [
        choice("You, as yourself", True),
        choice("The company's press office"),
        choice("Nobody in particular"),
    ],
}
MULTIPLE = {
    "prompt": "Which of these belong in a public reply to a customer?",
    "choices": [
        choice("An apology where it is due", True),
        choice("A next step the customer can take", True),
        choice("The customer's booking number"),
        choice("A guess about the cause"),
    ],
}


def make_course(
    author: Person,
    organization: Organization,
    *,
    title: str = "Speak for yourself",
    lessons: int = 2,
    quiz: bool = True,
    pass_mark: int = 80,
    is_module: bool = True,
) -> Course:
    course = do_save_course(
        author, organization, title=title, pass_mark=pass_mark, is_module=is_module
    )
    for n in range(1, lessons + 1):
        do_create_lesson(
            author,
            course,
            LessonText(title=f"Lesson {n}", body=f"## Part {n}\n\nSay who you are.", minutes=6),
            quiz=[SINGLE, MULTIPLE] if quiz else [],
        )
    return course


def first_lesson(course: Course) -> Lesson:
    lesson = course.lessons.select_related("current").first()
    assert lesson is not None
    return lesson


# Right answers of SINGLE and MULTIPLE, as a learner sends them.
RIGHT = {"0": [0], "1": [0, 1]}


def current(lesson: Lesson) -> LessonVersion:
    """The lesson's current version (every saved lesson has one)."""
    assert lesson.current is not None
    return lesson.current
