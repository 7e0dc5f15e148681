"""Writing the academy: courses, lessons and their quizzes, by coordinators and mentors.

Every change to a lesson saves a new ``LessonVersion`` and points the lesson at it; versions
are never changed, so what a learner took stays as they took it.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.text import slugify

from cluetrain.academy.models import Audience, Course, Lesson, LessonVersion
from cluetrain.academy.models.courses import MAX_MINUTES, MIN_MINUTES, ExerciseKind
from cluetrain.academy.quizzes import clean_question, clean_quiz
from cluetrain.core import audit
from cluetrain.core.errors import ServiceError
from cluetrain.organizations import policy
from cluetrain.organizations.models import Organization, Person
from cluetrain.organizations.policy import Permission

MAX_TITLE = 120
MAX_SUMMARY = 1000
MAX_BODY = 20_000
MAX_EXAMPLES = 8_000
MAX_EXERCISE = 2_000
MAX_NOTE = 200


def can_author(person: Person, organization: Organization) -> bool:
    return policy.can(person, organization, Permission.MANAGE_ACADEMY)


def _text(value: str, limit: int, what: str, *, required: bool = False) -> str:
    value = (value or "").replace("\r\n", "\n").strip()
    if "\x00" in value:
        raise ServiceError(f"The {what} contains a character that cannot be stored.")
    if required and not value:
        raise ServiceError(f"The {what} is empty; write something.")
    if len(value) > limit:
        raise ServiceError(
            f"The {what} is {len(value):,} characters long; at most {limit:,} are allowed."
        )
    return value


def _unique_slug(model: type[Course] | type[Lesson], title: str, **scope: Any) -> str:
    base = slugify(title)[:50] or "untitled"
    slug, n = base, 2
    while model.objects.filter(slug=slug, **scope).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


# ---- Courses ---------------------------------------------------------------------------------


def do_save_course(
    actor: Person,
    organization: Organization,
    *,
    title: str,
    summary: str = "",
    audience: str = Audience.EVERYONE,
    is_module: bool = True,
    pass_mark: int = 80,
    course: Course | None = None,
) -> Course:
    """Create a course, or change one (``course``) of the organisation."""
    policy.require(actor, organization, Permission.MANAGE_ACADEMY)
    if course is not None and course.organization_id != organization.pk:
        raise ServiceError("That course belongs to another organisation.")
    title = _text(title, MAX_TITLE, "title", required=True)
    summary = _text(summary, MAX_SUMMARY, "summary")
    if audience not in Audience.values:
        raise ServiceError(f"{audience!r} is not an audience.")
    if not 0 <= int(pass_mark) <= 100:
        raise ServiceError("The pass mark is a percentage between 0 and 100.")
    with transaction.atomic():
        if course is None:
            last = Course.objects.filter(organization=organization).aggregate(Max("position"))
            course = Course(
                organization=organization,
                slug=_unique_slug(Course, title, organization=organization),
                position=(last["position__max"] or 0) + 1,
                created_by=actor,
            )
            verb = "academy.course_created"
        else:
            verb = "academy.course_changed"
        course.title, course.summary, course.audience = title, summary, audience
        course.is_module, course.pass_mark = bool(is_module), int(pass_mark)
        course.save()
        audit.record(organization, actor, verb, course, slug=course.slug)
    return course


# ---- Lessons and versions --------------------------------------------------------------------


@dataclass(frozen=True)
class LessonText:
    """What an author writes for a lesson; each save of it is a version."""

    title: str
    body: str
    minutes: int = 7
    examples: str = ""
    exercise: str = ""


def _clean(text: LessonText) -> LessonText:
    minutes = int(text.minutes)
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise ServiceError(
            f"A lesson takes between {MIN_MINUTES} and {MAX_MINUTES} minutes; "
            "split a longer one in two."
        )
    return LessonText(
        title=_text(text.title, MAX_TITLE, "title", required=True),
        body=_text(text.body, MAX_BODY, "lesson text", required=True),
        minutes=minutes,
        examples=_text(text.examples, MAX_EXAMPLES, "examples"),
        exercise=_text(text.exercise, MAX_EXERCISE, "exercise"),
    )


def _new_version(
    actor: Person | None,
    lesson: Lesson,
    text: LessonText,
    quiz: list[dict[str, Any]],
    note: str,
) -> LessonVersion:
    # Lock the lesson so two authors saving at once get numbers one after the other.
    Lesson.objects.select_for_update().filter(pk=lesson.pk).first()
    last = lesson.versions.aggregate(Max("number"))["number__max"] or 0
    version = LessonVersion.objects.create(
        lesson=lesson,
        number=last + 1,
        title=text.title,
        minutes=text.minutes,
        body=text.body,
        examples=text.examples,
        exercise=text.exercise,
        quiz=quiz,
        note=_text(note, MAX_NOTE, "note"),
        author=actor,
    )
    lesson.current = version
    lesson.save(update_fields=["current"])
    return version


def do_create_lesson(
    actor: Person,
    course: Course,
    text: LessonText,
    *,
    quiz: Sequence[Mapping[str, Any]] = (),
    exercise_kind: str = ExerciseKind.REFLECT,
) -> Lesson:
    policy.require(actor, course.organization, Permission.MANAGE_ACADEMY)
    text = _clean(text)
    questions = clean_quiz(quiz)
    if exercise_kind not in ExerciseKind.values:
        raise ServiceError(f"{exercise_kind!r} is not a kind of exercise.")
    with transaction.atomic():
        last = course.lessons.aggregate(Max("position"))["position__max"] or 0
        lesson = Lesson.objects.create(
            course=course,
            slug=_unique_slug(Lesson, text.title, course=course),
            position=last + 1,
            exercise_kind=exercise_kind,
        )
        _new_version(actor, lesson, text, questions, "First version.")
        audit.record(course.organization, actor, "academy.lesson_created", lesson)
    return lesson


def _editable(actor: Person, lesson: Lesson) -> LessonVersion:
    policy.require(actor, lesson.course.organization, Permission.MANAGE_ACADEMY)
    if lesson.current is None:
        raise ServiceError("This lesson has no text yet.")
    return lesson.current


def do_edit_lesson(
    actor: Person, lesson: Lesson, text: LessonText, note: str = ""
) -> LessonVersion:
    """Save a new version of the lesson's text (the quiz carries over). Unchanged: no version."""
    current = _editable(actor, lesson)
    text = _clean(text)
    same = (text.title, text.body, text.minutes, text.examples, text.exercise) == (
        current.title,
        current.body,
        current.minutes,
        current.examples,
        current.exercise,
    )
    if same:
        return current
    with transaction.atomic():
        version = _new_version(actor, lesson, text, current.questions, note or "Text edited.")
        audit.record(
            lesson.course.organization,
            actor,
            "academy.lesson_edited",
            lesson,
            version=version.number,
        )
    return version


def _text_of(version: LessonVersion) -> LessonText:
    return LessonText(
        version.title, version.body, version.minutes, version.examples, version.exercise
    )


def do_save_question(
    actor: Person, lesson: Lesson, question: Mapping[str, Any], index: int | None = None
) -> LessonVersion:
    """Add a question to the lesson's quiz, or replace question ``index``: a new version."""
    current = _editable(actor, lesson)
    cleaned = clean_question(question)
    quiz = current.questions
    if index is None:
        quiz.append(cleaned)
        note = f"Question {len(quiz)} added."
    elif 0 <= index < len(quiz):
        quiz[index] = cleaned
        note = f"Question {index + 1} changed."
    else:
        raise ServiceError("There is no such question in this lesson.")
    clean_quiz(quiz)
    with transaction.atomic():
        version = _new_version(actor, lesson, _text_of(current), quiz, note)
        audit.record(lesson.course.organization, actor, "academy.quiz_edited", lesson, note=note)
    return version


def do_delete_question(actor: Person, lesson: Lesson, index: int) -> LessonVersion:
    current = _editable(actor, lesson)
    quiz = current.questions
    if not 0 <= index < len(quiz):
        raise ServiceError("There is no such question in this lesson.")
    del quiz[index]
    with transaction.atomic():
        note = f"Question {index + 1} removed."
        version = _new_version(actor, lesson, _text_of(current), quiz, note)
        audit.record(lesson.course.organization, actor, "academy.quiz_edited", lesson, note=note)
    return version


# ---- What changed ----------------------------------------------------------------------------


def _lines(version: LessonVersion) -> list[str]:
    lines = [f"# {version.title}", f"({version.minutes} minutes)", "", *version.body.splitlines()]
    if version.examples:
        lines += ["", "## Examples", *version.examples.splitlines()]
    if version.exercise:
        lines += ["", "## Exercise", *version.exercise.splitlines()]
    for number, question in enumerate(version.questions, start=1):
        lines += ["", f"## Question {number}: {question['prompt']}"]
        for choice in question["choices"]:
            mark = "[x]" if choice["correct"] else "[ ]"
            lines.append(f"{mark} {choice['text']} — {choice['explanation']}")
    return lines


def changes_between(older: LessonVersion, newer: LessonVersion) -> list[tuple[str, str]]:
    """What changed from ``older`` to ``newer``: (``"+"``, ``"-"`` or ``" "``, line) pairs."""
    shown: list[tuple[str, str]] = []
    for line in difflib.unified_diff(_lines(older), _lines(newer), lineterm="", n=2):
        if line.startswith(("+++", "---")):
            continue
        if line.startswith("@@"):
            shown.append(("@", "…"))
        else:
            shown.append((line[:1] or " ", line[1:]))
    return shown


def do_set_exercise_kind(actor: Person, lesson: Lesson, kind: str) -> Lesson:
    policy.require(actor, lesson.course.organization, Permission.MANAGE_ACADEMY)
    if kind not in ExerciseKind.values:
        raise ServiceError(f"{kind!r} is not a kind of exercise.")
    lesson.exercise_kind = kind
    lesson.save(update_fields=["exercise_kind"])
    audit.record(lesson.course.organization, actor, "academy.exercise_changed", lesson, kind=kind)
    return lesson
