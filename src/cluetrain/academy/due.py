"""What a person has due in the academy: the home page's "Lessons due" block."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from cluetrain.academy.assignments import assignments_for
from cluetrain.academy.models import Course, CourseCompletion, Lesson, LessonCompletion
from cluetrain.organizations.models import Organization, Person


@dataclass(frozen=True)
class Due:
    """An assigned course not finished yet, and the lesson to take next."""

    course: Course
    due_on: date
    overdue: bool
    next_lesson: Lesson | None
    lessons_left: int


def lessons_due(person: Person, organization: Organization, limit: int = 5) -> list[Due]:
    """The person's unfinished assigned courses, soonest due first (four queries)."""
    now = timezone.now()
    earliest: dict[int, tuple[Course, date, bool]] = {}
    for assignment in assignments_for(person, organization):
        if assignment.course_id not in earliest:
            earliest[assignment.course_id] = (
                assignment.course,
                assignment.due_on,
                assignment.due_at < now,
            )
    finished = set(
        CourseCompletion.objects.filter(person=person, course_id__in=earliest).values_list(
            "course_id", flat=True
        )
    )
    open_ids = [pk for pk in earliest if pk not in finished][:limit]
    done = set(
        LessonCompletion.objects.filter(person=person, lesson__course_id__in=open_ids).values_list(
            "lesson_id", flat=True
        )
    )
    lessons: dict[int, list[Lesson]] = {pk: [] for pk in open_ids}
    for lesson in Lesson.objects.filter(course_id__in=open_ids).select_related("current"):
        lessons[lesson.course_id].append(lesson)
    found = []
    for pk in open_ids:
        course, due_on, overdue = earliest[pk]
        left = [lesson for lesson in lessons[pk] if lesson.pk not in done]
        found.append(Due(course, due_on, overdue, left[0] if left else None, len(left)))
    return found
