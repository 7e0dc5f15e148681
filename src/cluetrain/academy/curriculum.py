"""The default curriculum shipped with Cluetrain, installed into an organisation's academy.

The courses are YAML files in ``curriculum/``. Installing copies them into the organisation,
which then owns and edits its copy. Installing again is safe: it adds courses and lessons that
are missing, brings a lesson nobody edited up to the shipped text (as a new version), and never
touches a lesson a person edited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.db.models import Max

from cluetrain.academy.authoring import LessonText, _clean, _new_version, _unique_slug
from cluetrain.academy.models import Audience, Course, Lesson
from cluetrain.academy.models.courses import ExerciseKind
from cluetrain.academy.quizzes import clean_quiz
from cluetrain.core import audit
from cluetrain.core.errors import ServiceError
from cluetrain.organizations import policy
from cluetrain.organizations.models import Organization, Person
from cluetrain.organizations.policy import Permission

FOLDER = Path(__file__).with_name("curriculum")
SHIPPED_NOTE = "From the Cluetrain curriculum."


@dataclass
class Installed:
    """What an install did, for the page and the command line."""

    courses_added: list[str] = field(default_factory=list)
    lessons_added: int = 0
    lessons_updated: int = 0
    lessons_kept: int = 0

    def __str__(self) -> str:
        return (
            f"{len(self.courses_added)} course(s) added, {self.lessons_added} lesson(s) added, "
            f"{self.lessons_updated} updated, {self.lessons_kept} kept as the organisation "
            "edited them"
        )


def shipped_courses() -> list[dict[str, Any]]:
    """Every course of the shipped curriculum, in file order."""
    courses = []
    for path in sorted(FOLDER.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or "key" not in data:
            raise ServiceError(f"The curriculum file {path.name} has no course key.")
        courses.append(data)
    return courses


def _lesson_text(data: dict[str, Any]) -> LessonText:
    return _clean(
        LessonText(
            title=str(data["title"]),
            body=str(data.get("body", "")),
            minutes=int(data.get("minutes", 7)),
            examples=str(data.get("examples") or ""),
            exercise=str(data.get("exercise") or ""),
        )
    )


def _course(organization: Organization, data: dict[str, Any], position: int) -> tuple[Course, bool]:
    found = Course.objects.filter(organization=organization, source_key=data["key"]).first()
    if found:
        return found, False
    audience = data.get("audience", Audience.EVERYONE)
    course = Course.objects.create(
        organization=organization,
        source_key=data["key"],
        slug=_unique_slug(Course, str(data["key"]), organization=organization),
        title=str(data["title"])[:120],
        summary=str(data.get("summary", "")).strip(),
        audience=audience if audience in Audience.values else Audience.EVERYONE,
        is_module=bool(data.get("module", True)),
        position=position,
    )
    return course, True


def _same(version: Any, text: LessonText, quiz: list[dict[str, Any]]) -> bool:
    return (
        version.title,
        version.body,
        version.minutes,
        version.examples,
        version.exercise,
        version.quiz,
    ) == (text.title, text.body, text.minutes, text.examples, text.exercise, quiz)


def do_install_curriculum(actor: Person | None, organization: Organization) -> Installed:
    """Install (or complete) the default curriculum in the organisation's academy.

    ``actor`` is None when the operator runs it from the command line or the demo.
    """
    if actor is not None:
        policy.require(actor, organization, Permission.MANAGE_ACADEMY)
    done = Installed()
    with transaction.atomic():
        start = Course.objects.filter(organization=organization).aggregate(Max("position"))
        position = start["position__max"] or 0
        for data in shipped_courses():
            position += 1
            course, added = _course(organization, data, position)
            if added:
                done.courses_added.append(course.title)
            for number, raw in enumerate(data.get("lessons", []), start=1):
                _install_lesson(course, raw, number, done)
        audit.record(
            organization,
            actor,
            "academy.curriculum_installed",
            organization,
            courses_added=done.courses_added,
            lessons_added=done.lessons_added,
            lessons_updated=done.lessons_updated,
        )
    return done


def _install_lesson(course: Course, raw: dict[str, Any], number: int, done: Installed) -> None:
    text = _lesson_text(raw)
    quiz = clean_quiz(raw.get("quiz") or [])
    kind = raw.get("exercise_kind", ExerciseKind.REFLECT)
    lesson = (
        Lesson.objects.filter(course=course, source_key=raw["key"])
        .select_related("current")
        .first()
    )
    if lesson is None:
        lesson = Lesson.objects.create(
            course=course,
            source_key=raw["key"],
            slug=_unique_slug(Lesson, str(raw["key"]), course=course),
            position=number,
            exercise_kind=kind if kind in ExerciseKind.values else ExerciseKind.REFLECT,
        )
        _new_version(None, lesson, text, quiz, SHIPPED_NOTE)
        done.lessons_added += 1
        return
    edited = lesson.versions.filter(author__isnull=False).exists()
    if edited:
        done.lessons_kept += 1
        return
    if lesson.current is None or not _same(lesson.current, text, quiz):
        _new_version(None, lesson, text, quiz, "Updated from the Cluetrain curriculum.")
        done.lessons_updated += 1
