"""What learners do: take lessons, answer quizzes, write exercises, finish courses.

A lesson is done when its learner marks it so (a guideline exercise must have been passed
first); a course is finished when every lesson is done and every quiz passed. Finishing a
course that is a module counts towards the person's autonomy evidence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from cluetrain.academy.models import (
    Course,
    CourseCompletion,
    ExerciseAttempt,
    Lesson,
    LessonCompletion,
    QuizAttempt,
)
from cluetrain.academy.models.courses import ExerciseKind
from cluetrain.academy.quizzes import Marked, score_quiz
from cluetrain.core import audit
from cluetrain.core.errors import ServiceError
from cluetrain.guidelines.engine.types import Result, Verdict
from cluetrain.guidelines.services import check_text
from cluetrain.organizations import policy
from cluetrain.organizations.models import Organization, Person
from cluetrain.organizations.policy import Permission

MAX_DRAFT = 2000
MIN_DRAFT = 20
# A line of the exercise such as "Mention: refund, apologise" names words the draft must use.
_MENTION = re.compile(r"^\s*mention\s*:\s*(.+)$", re.IGNORECASE | re.MULTILINE)


def _require_member(person: Person, organization: Organization) -> None:
    policy.require(person, organization, Permission.VIEW_ORGANIZATION)


def courses_of(organization: Organization) -> list[Course]:
    return list(Course.objects.filter(organization=organization).prefetch_related("lessons"))


def course_done(person: Person, course: Course) -> bool:
    """Every lesson done and every lesson's quiz passed (checked, then recorded once)."""
    lessons = list(course.lessons.select_related("current"))
    if not lessons:
        return False
    done = set(
        LessonCompletion.objects.filter(person=person, lesson__in=lessons).values_list(
            "lesson_id", flat=True
        )
    )
    passed = set(
        QuizAttempt.objects.filter(person=person, lesson__in=lessons, passed=True).values_list(
            "lesson_id", flat=True
        )
    )
    for lesson in lessons:
        if lesson.pk not in done:
            return False
        if lesson.current and lesson.current.questions and lesson.pk not in passed:
            return False
    return True


def _record_course(person: Person, course: Course) -> bool:
    if not course_done(person, course):
        return False
    try:
        with transaction.atomic():
            CourseCompletion.objects.create(person=person, course=course)
            audit.record(course.organization, person, "academy.course_finished", course)
    except IntegrityError:
        return False  # finished already
    return True


def do_complete_lesson(person: Person, lesson: Lesson) -> LessonCompletion:
    """Mark the lesson done, in its current version; done once, whatever is edited later."""
    course = lesson.course
    _require_member(person, course.organization)
    if lesson.current is None:
        raise ServiceError("This lesson has no text yet.")
    if (
        lesson.exercise_kind == ExerciseKind.GUIDELINES
        and not ExerciseAttempt.objects.filter(person=person, lesson=lesson, passed=True).exists()
    ):
        raise ServiceError(
            "Write a draft in the exercise that the guidelines let through first.",
            code="exercise",
        )
    with transaction.atomic():
        completion, _ = LessonCompletion.objects.get_or_create(
            person=person, lesson=lesson, defaults={"version": lesson.current}
        )
        _record_course(person, course)
    return completion


def pass_mark_of(lesson: Lesson) -> int:
    return lesson.course.pass_mark


@dataclass(frozen=True)
class QuizResult:
    attempt: QuizAttempt
    marked: list[Marked]
    course_finished: bool


def do_take_quiz(
    person: Person, lesson: Lesson, answers: Mapping[str, Sequence[int]]
) -> QuizResult:
    """Score the learner's answers to the lesson's current quiz and keep the attempt."""
    _require_member(person, lesson.course.organization)
    version = lesson.current
    if version is None or not version.questions:
        raise ServiceError("This lesson has no quiz.")
    if not any(answers.get(str(i)) for i in range(len(version.questions))):
        raise ServiceError("Answer at least one question.", code="empty")
    score, marked = score_quiz(version.questions, answers)
    mark = pass_mark_of(lesson)
    with transaction.atomic():
        attempt = QuizAttempt.objects.create(
            person=person,
            lesson=lesson,
            version=version,
            answers={str(m.index): sorted(m.picked) for m in marked},
            score=score,
            pass_mark=mark,
            passed=score >= mark,
        )
        finished = _record_course(person, lesson.course) if attempt.passed else False
    return QuizResult(attempt, marked, finished)


def required_words(exercise: str) -> list[str]:
    """The words a lesson's exercise asks a draft to use ("Mention: …" lines)."""
    words: list[str] = []
    for line in _MENTION.findall(exercise or ""):
        words += [w.strip() for w in line.split(",") if w.strip()]
    return words


@dataclass(frozen=True)
class ExerciseResult:
    attempt: ExerciseAttempt
    result: Result
    missing: list[str]


def do_try_exercise(person: Person, lesson: Lesson, text: str) -> ExerciseResult:
    """Check a draft against the organisation's real guidelines, as the composer does.

    The exercise passes when nothing blocks or needs review, and the draft uses the words
    the exercise asks for.
    """
    organization = lesson.course.organization
    _require_member(person, organization)
    version = lesson.current
    if version is None or lesson.exercise_kind != ExerciseKind.GUIDELINES:
        raise ServiceError("This lesson has no guideline exercise.")
    text = (text or "").strip()
    if len(text) < MIN_DRAFT:
        raise ServiceError(f"Write a whole reply: at least {MIN_DRAFT} characters.", code="short")
    if len(text) > MAX_DRAFT:
        raise ServiceError(
            f"The draft is {len(text):,} characters long; at most {MAX_DRAFT:,} are allowed.",
            code="long",
        )
    result = check_text(organization, text)
    folded = text.casefold()
    missing = [w for w in required_words(version.exercise) if w.casefold() not in folded]
    passed = result.verdict in (Verdict.OK, Verdict.WARN) and not missing
    attempt = ExerciseAttempt.objects.create(
        person=person,
        lesson=lesson,
        version=version,
        text=text,
        verdict=result.verdict.value,
        passed=passed,
    )
    return ExerciseResult(attempt, result, missing)
