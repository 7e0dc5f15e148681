"""Each person's progress in the academy, with their autonomy level and evidence, for many at once.

``progress_of_many`` is the public service the learners' table (``academy/_progress_table.html``)
and the rotations' cohort page read; every figure comes from a fixed number of queries, whatever
the number of people.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Q
from django.utils import timezone

from cluetrain.academy.models import (
    Assignment,
    Course,
    CourseCompletion,
    Lesson,
    LessonCompletion,
    QuizAttempt,
)
from cluetrain.organizations.models import Organization
from cluetrain.reviews.evidence import Evidence
from cluetrain.reviews.models import Level


@dataclass
class CourseProgress:
    """How far one person is in one course."""

    course_id: int
    title: str
    lessons_total: int
    lessons_done: int
    done: bool
    due_at: datetime | None = None
    quizzes_total: int = 0
    quizzes_passed: int = 0

    @property
    def percent(self) -> int:
        """Lessons done and quizzes passed, of all there are to do."""
        if self.done:
            return 100
        steps = self.lessons_total + self.quizzes_total
        if not steps:
            return 0
        # Never 100 % before the course is finished (an edited lesson may add a quiz).
        return min(99, round(100 * (self.lessons_done + self.quizzes_passed) / steps))

    def overdue(self, now: datetime) -> bool:
        return not self.done and self.due_at is not None and self.due_at < now


@dataclass
class PersonProgress:
    """One person's academy progress in one organisation, with their level and evidence."""

    person_id: int
    level: Level
    evidence: Evidence | None
    courses: list[CourseProgress] = field(default_factory=list)
    lessons_done: int = 0
    modules_done: int = 0
    # The best score of each quiz taken, averaged; None before any quiz.
    quiz_average: int | None = None
    # ``cluetrain.practice.progress.PracticeRecord`` where the practice space provides it.
    practice: Any = None

    @property
    def assigned(self) -> list[CourseProgress]:
        return [c for c in self.courses if c.due_at is not None]

    @property
    def courses_done(self) -> int:
        return sum(1 for c in self.courses if c.done)

    @property
    def next_due(self) -> CourseProgress | None:
        due = sorted(
            (c for c in self.courses if c.due_at is not None and not c.done),
            key=lambda c: c.due_at or timezone.now(),
        )
        return due[0] if due else None

    def overdue(self, now: datetime | None = None) -> list[CourseProgress]:
        now = now or timezone.now()
        return [c for c in self.courses if c.overdue(now)]

    @property
    def overdue_count(self) -> int:
        return len(self.overdue())


def modules_done(organization: Organization, person_ids: Iterable[int]) -> dict[int, int]:
    """How many academy modules (courses that count) each person finished, in one query."""
    ids = list(person_ids)
    found = dict.fromkeys(ids, 0)
    for person_id, count in (
        CourseCompletion.objects.filter(
            course__organization=organization, course__is_module=True, person_id__in=ids
        )
        .values("person_id")
        .annotate(count=Count("pk"))
        .values_list("person_id", "count")
    ):
        found[person_id] = count
    return found


def _practice(organization: Organization, ids: list[int]) -> dict[int, Any]:
    # The practice space is built beside the academy; show its figures when it offers them.
    try:
        from cluetrain.practice.progress import graded_work  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return {}
    return dict(graded_work(organization, ids))


def due_dates(organization: Organization, ids: list[int]) -> dict[int, dict[int, datetime]]:
    """person id -> course id -> the earliest due time of the assignments that concern them."""
    from cluetrain.academy.assignments import assignees_of_many

    due: dict[int, dict[int, datetime]] = defaultdict(dict)
    assignments = list(Assignment.objects.filter(organization=organization))
    for assignment, people in assignees_of_many(organization, assignments, ids).items():
        for person_id in people:
            known = due[person_id].get(assignment.course_id)
            if known is None or assignment.due_at < known:
                due[person_id][assignment.course_id] = assignment.due_at
    return due


def progress_of_many(
    organization: Organization,
    person_ids: Iterable[int],
    *,
    with_evidence: bool = True,
) -> dict[int, PersonProgress]:
    """Each person's progress in the organisation's academy (a fixed number of queries)."""
    from cluetrain.reviews.autonomy import levels_of, policy_of
    from cluetrain.reviews.evidence import evidence_of_many

    ids = list(dict.fromkeys(person_ids))
    if not ids:
        return {}
    levels = levels_of(organization, ids)
    evidence = (
        evidence_of_many(organization, levels, policy_of(organization)) if with_evidence else {}
    )
    courses = list(Course.objects.filter(organization=organization))
    lesson_counts: dict[int, int] = defaultdict(int)
    quiz_counts: dict[int, int] = defaultdict(int)
    with_quiz: set[int] = set()
    for lesson_id, course_id, quiz in Lesson.objects.filter(
        course__organization=organization
    ).values_list("pk", "course_id", "current__quiz"):
        lesson_counts[course_id] += 1
        if quiz:
            quiz_counts[course_id] += 1
            with_quiz.add(lesson_id)
    done_lessons: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for person_id, course_id, count in (
        LessonCompletion.objects.filter(
            lesson__course__organization=organization, person_id__in=ids
        )
        .values("person_id", "lesson__course_id")
        .annotate(count=Count("pk"))
        .values_list("person_id", "lesson__course_id", "count")
    ):
        done_lessons[person_id][course_id] = count
    finished: dict[int, set[int]] = defaultdict(set)
    for person_id, course_id in CourseCompletion.objects.filter(
        course__organization=organization, person_id__in=ids
    ).values_list("person_id", "course_id"):
        finished[person_id].add(course_id)
    best: dict[int, list[int]] = defaultdict(list)
    passed: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for person_id, lesson_id, course_id, score, mark in (
        QuizAttempt.objects.filter(lesson__course__organization=organization, person_id__in=ids)
        .values("person_id", "lesson_id", "lesson__course_id")
        .annotate(best=Max("score"), mark=Count("pk", filter=Q(passed=True)))
        .values_list("person_id", "lesson_id", "lesson__course_id", "best", "mark")
    ):
        best[person_id].append(score)
        if mark and lesson_id in with_quiz:
            passed[person_id][course_id] += 1
    due = due_dates(organization, ids)
    practice = _practice(organization, ids)
    module_ids = {c.pk for c in courses if c.is_module}
    found: dict[int, PersonProgress] = {}
    for pk in ids:
        shown = evidence.get(pk)
        mine = due.get(pk, {})
        rows = [
            CourseProgress(
                course_id=course.pk,
                title=course.title,
                lessons_total=lesson_counts.get(course.pk, 0),
                lessons_done=done_lessons[pk].get(course.pk, 0),
                done=course.pk in finished[pk],
                due_at=mine.get(course.pk),
                quizzes_total=quiz_counts.get(course.pk, 0),
                quizzes_passed=passed[pk].get(course.pk, 0),
            )
            for course in courses
            if course.pk in mine or done_lessons[pk].get(course.pk) or course.pk in finished[pk]
        ]
        scores = best.get(pk)
        found[pk] = PersonProgress(
            person_id=pk,
            level=levels.get(pk, Level.SUPERVISED),
            evidence=shown,
            courses=rows,
            lessons_done=sum(done_lessons[pk].values()),
            modules_done=len(finished[pk] & module_ids),
            quiz_average=round(sum(scores) / len(scores)) if scores else None,
            practice=practice.get(pk),
        )
    return found


FUNNEL_STAGES = ("assigned", "started", "completed", "promoted")


def training_funnel(organization: Organization, person_ids: Iterable[int]) -> list[tuple[str, int]]:
    """How many of ``person_ids`` were assigned training (or took some), started it,
    completed a course, and were promoted past supervision: what ``progress_of_many`` says of
    them, counted from who has assignments and completions only (the insights dashboards ask
    on every view; the quizzes, practice and per-course rows are not needed for it)."""
    from cluetrain.reviews.autonomy import levels_of

    ids = list(dict.fromkeys(person_ids))
    if not ids:
        return [(stage, 0) for stage in FUNNEL_STAGES]
    course_ids = set(Course.objects.filter(organization=organization).values_list("pk", flat=True))
    due = due_dates(organization, ids)
    learners = set(
        LessonCompletion.objects.filter(
            lesson__course__organization=organization, person_id__in=ids
        ).values_list("person_id", flat=True)
    )
    finishers = set(
        CourseCompletion.objects.filter(
            course__organization=organization, person_id__in=ids
        ).values_list("person_id", flat=True)
    )
    assigned = {
        pk
        for pk in ids
        if pk in learners or pk in finishers or course_ids.intersection(due.get(pk, {}))
    }
    started = assigned & learners
    completed = started & finishers
    levels = levels_of(organization, sorted(completed)) if completed else {}
    promoted = [
        pk
        for pk in completed
        if str(levels.get(pk, Level.SUPERVISED)) in {Level.AUTONOMOUS, Level.MENTOR}
    ]
    counts = (len(assigned), len(started), len(completed), len(promoted))
    return list(zip(FUNNEL_STAGES, counts, strict=True))
