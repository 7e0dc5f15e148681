"""The learner's academy: my path, a course, a lesson, its quiz and exercise, progress pages.

Thin: the services in ``learners``, ``assignments`` and ``progress`` decide; these read forms
and show what happened.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from cluetrain.academy import access, assignments
from cluetrain.academy import learners as learning
from cluetrain.academy.authoring import can_author
from cluetrain.academy.markdown import render as markdown
from cluetrain.academy.models import (
    Assignment,
    Course,
    ExerciseAttempt,
    Lesson,
    LessonCompletion,
    QuizAttempt,
)
from cluetrain.academy.models.courses import ExerciseKind
from cluetrain.academy.progress import progress_of_many
from cluetrain.academy.rulebook import expand
from cluetrain.core.errors import ServiceError
from cluetrain.guidelines.presenting import findings_context
from cluetrain.organizations.decorators import member_required
from cluetrain.organizations.models import Department, Person
from cluetrain.organizations.requests import MemberRequest
from cluetrain.organizations.roles import Role
from cluetrain.reviews.models import Level


def _course(request: MemberRequest, slug: str) -> Course:
    return get_object_or_404(Course, organization=request.organization, slug=slug)


def _lesson(request: MemberRequest, slug: str, lesson: str) -> Lesson:
    return get_object_or_404(
        Lesson.objects.select_related("course", "current"),
        course__organization=request.organization,
        course__slug=slug,
        slug=lesson,
    )


@member_required
def index(request: MemberRequest) -> HttpResponse:
    """My path: assigned courses with due dates and progress, then every other course."""
    organization, person = request.organization, request.user
    mine = progress_of_many(organization, [person.pk])[person.pk]
    shown = {c.course_id: c for c in mine.courses}
    due: dict[int, Assignment] = {}
    for assignment in assignments.assignments_for(person, organization):
        due.setdefault(assignment.course_id, assignment)
    courses = learning.courses_of(organization)
    # Assigned courses first, the soonest due at the top; then the others in their order.
    far = timezone.now() + timedelta(days=36500)
    courses.sort(key=lambda c: due[c.pk].due_at if c.pk in due else far)
    rows = [
        {"course": course, "progress": shown.get(course.pk), "assignment": due.get(course.pk)}
        for course in courses
    ]
    follows = access.may_follow(person, organization)
    mentoring: dict[str, object] = {}
    if follows:
        from cluetrain.reviews.services import pending_reviews

        # Learners to follow: people at the first two levels, with their progress.
        people = list(access.members(organization)[:500])
        progress = progress_of_many(organization, [p.pk for p in people], with_evidence=False)
        learning_now = [
            (p, progress[p.pk])
            for p in people
            if p.pk != person.pk and progress[p.pk].level in (Level.LEARNER, Level.SUPERVISED)
        ]
        mentoring = {
            "reviews_waiting": pending_reviews(organization).exclude(post__author=person).count(),
            "to_follow": learning_now[:8],
            "to_follow_count": len(learning_now),
        }
    return render(
        request,
        "academy/index.html",
        {
            **mentoring,
            "follows": follows,
            "rows": rows,
            "me": mine,
            "now": timezone.now(),
            "can_author": can_author(person, organization),
            "zone": organization.time_zone,
        },
    )


@member_required
def course(request: MemberRequest, slug: str) -> HttpResponse:
    found = _course(request, slug)
    lessons = list(found.lessons.select_related("current"))
    done = set(
        LessonCompletion.objects.filter(person=request.user, lesson__in=lessons).values_list(
            "lesson_id", flat=True
        )
    )
    passed = set(
        QuizAttempt.objects.filter(
            person=request.user, lesson__in=lessons, passed=True
        ).values_list("lesson_id", flat=True)
    )
    finished = found.completions.filter(person=request.user).first()
    total = len(lessons)
    quizzes = {item.pk for item in lessons if item.current and item.current.questions}
    steps = total + len(quizzes)
    steps_done = len(done) + len(passed & quizzes)
    return render(
        request,
        "academy/course.html",
        {
            "course": found,
            "summary": markdown(found.summary),
            "lessons": [
                {"lesson": item, "done": item.pk in done, "passed": item.pk in passed}
                for item in lessons
            ],
            "done_count": len(done),
            "total": total,
            "quizzes": len(quizzes),
            "quizzes_passed": len(passed & quizzes),
            "percent": 100
            if finished
            else min(99, round(100 * steps_done / steps))
            if steps
            else 0,
            "finished": finished,
            "can_author": can_author(request.user, request.organization),
        },
    )


def _without_mentions(exercise: str) -> str:
    # "Mention: …" lines are for the checker; the page says them in words instead.
    return "\n".join(
        line for line in exercise.splitlines() if not line.strip().lower().startswith("mention:")
    )


def _lesson_context(request: MemberRequest, found: Lesson) -> dict[str, object]:
    version = found.current
    if version is None:
        raise Http404("This lesson has no text yet.")
    lessons = list(found.course.lessons.all())
    at = [item.pk for item in lessons].index(found.pk)
    return {
        "course": found.course,
        "lesson": found,
        "version": version,
        "body": markdown(expand(request.organization, version.body)),
        "examples": markdown(expand(request.organization, version.examples)),
        "exercise": markdown(_without_mentions(version.exercise)),
        "mentions": learning.required_words(version.exercise),
        "live_exercise": found.exercise_kind == ExerciseKind.GUIDELINES,
        "exercise_passed": ExerciseAttempt.objects.filter(
            person=request.user, lesson=found, passed=True
        ).exists(),
        "completion": LessonCompletion.objects.filter(person=request.user, lesson=found)
        .select_related("version")
        .first(),
        "best": QuizAttempt.objects.filter(person=request.user, lesson=found)
        .order_by("-score")
        .first(),
        "previous": lessons[at - 1] if at > 0 else None,
        "next": lessons[at + 1] if at + 1 < len(lessons) else None,
        "can_author": can_author(request.user, request.organization),
    }


@member_required
def lesson(request: MemberRequest, slug: str, lesson: str) -> HttpResponse:
    found = _lesson(request, slug, lesson)
    return render(request, "academy/lesson.html", _lesson_context(request, found))


@require_POST
@member_required
def complete(request: MemberRequest, slug: str, lesson: str) -> HttpResponse:
    found = _lesson(request, slug, lesson)
    try:
        learning.do_complete_lesson(request.user, found)
    except ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("academy:lesson", slug, lesson)
    messages.success(request, f"“{found}” is done.")
    if found.current and found.current.questions:
        return redirect("academy:quiz", slug, lesson)
    return redirect("academy:course", slug)


@member_required
def quiz(request: MemberRequest, slug: str, lesson: str) -> HttpResponse:
    """The lesson's quiz; once answered, every answer's explanation and the score."""
    found = _lesson(request, slug, lesson)
    version = found.current
    if version is None or not version.questions:
        raise Http404("This lesson has no quiz.")
    context: dict[str, object] = {"course": found.course, "lesson": found, "version": version}
    if request.method == "POST":
        answers = {
            str(i): [int(v) for v in request.POST.getlist(f"q{i}") if v.isdigit()][:10]
            for i in range(len(version.questions))
        }
        try:
            result = learning.do_take_quiz(request.user, found, answers)
        except ServiceError as exc:
            context["error"] = str(exc)
        else:
            context.update(
                attempt=result.attempt,
                marked=result.marked,
                course_finished=result.course_finished,
            )
    return render(request, "academy/quiz.html", context)


@require_POST
@member_required
def exercise(request: MemberRequest, slug: str, lesson: str) -> HttpResponse:
    """The live guideline exercise (htmx): the draft checked by the real guideline engine."""
    found = _lesson(request, slug, lesson)
    text = request.POST.get("text", "")
    context: dict[str, object] = {"lesson": found, "course": found.course}
    try:
        tried = learning.do_try_exercise(request.user, found, text)
    except ServiceError as exc:
        context["error"] = str(exc)
    else:
        context["g"] = findings_context(tried.attempt.text, tried.result)
        context.update(passed=tried.attempt.passed, missing=tried.missing)
    return render(request, "academy/_exercise_result.html", context)


@member_required
def person(request: MemberRequest, pk: int) -> HttpResponse:
    """One person's progress, evidence and autonomy level on one page."""
    organization = request.organization
    shown = get_object_or_404(
        Person, pk=pk, memberships__organization=organization, memberships__is_active=True
    )
    access.require_view_progress(request.user, organization, shown)
    progress = progress_of_many(organization, [shown.pk])[shown.pk]
    attempts = (
        QuizAttempt.objects.filter(person=shown, lesson__course__organization=organization)
        .select_related("lesson__current", "lesson__course")
        .order_by("-created_at")[:20]
    )
    proposals = shown.promotion_proposals.filter(organization=organization).order_by("-created_at")[
        :5
    ]
    return render(
        request,
        "academy/person.html",
        {
            "shown": shown,
            "progress": progress,
            "evidence": progress.evidence,
            "attempts": attempts,
            "proposals": proposals,
            "now": timezone.now(),
            "zone": organization.time_zone,
            "is_me": shown.pk == request.user.pk,
        },
    )


@member_required
def learners(request: MemberRequest) -> HttpResponse:
    """The coordinators' table: many people's progress, level and evidence."""
    organization = request.organization
    access.require_follow(request.user, organization)
    departments = list(Department.objects.filter(organization=organization))
    department = request.GET.get("department", "")
    role = request.GET.get("role", "")
    people = access.members(organization, department=department, role=role)[:500]
    progress = progress_of_many(organization, [p.pk for p in people])
    return render(
        request,
        "academy/learners.html",
        {
            "rows": [(p, progress[p.pk]) for p in people],
            "departments": departments,
            "roles": Role.choices,
            "department": department,
            "role": role,
            "now": timezone.now(),
        },
    )
