"""Writing the academy: courses, lessons, quiz questions, assignments, version history.

Coordinators, mentors and directors only (``Permission.MANAGE_ACADEMY``); the services
check it again, these pages only read forms and show what happened.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from cluetrain.academy import authoring
from cluetrain.academy.assignments import do_assign, do_delete_assignment
from cluetrain.academy.forms import AssignForm, CourseForm, LessonForm, QuestionForm
from cluetrain.academy.markdown import render as markdown
from cluetrain.academy.models import Assignment, Course, Lesson, LessonVersion
from cluetrain.academy.rulebook import expand
from cluetrain.core.errors import ServiceError
from cluetrain.organizations import policy
from cluetrain.organizations.decorators import member_required
from cluetrain.organizations.policy import Permission
from cluetrain.organizations.requests import MemberRequest


def _require(request: MemberRequest) -> None:
    policy.require(request.user, request.organization, Permission.MANAGE_ACADEMY)


def _course(request: MemberRequest, slug: str) -> Course:
    return get_object_or_404(Course, organization=request.organization, slug=slug)


@member_required
def courses(request: MemberRequest) -> HttpResponse:
    _require(request)
    found = Course.objects.filter(organization=request.organization).prefetch_related(
        "lessons__current"
    )
    return render(request, "academy/write.html", {"courses": found})


@member_required
def edit_course(request: MemberRequest, slug: str | None = None) -> HttpResponse:
    _require(request)
    course = _course(request, slug) if slug else None
    initial = (
        {
            "title": course.title,
            "summary": course.summary,
            "audience": course.audience,
            "is_module": course.is_module,
            "pass_mark": course.pass_mark,
        }
        if course
        else None
    )
    form = CourseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = authoring.do_save_course(
                request.user, request.organization, course=course, **form.cleaned_data
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Course “{saved.title}” saved.")
            return redirect("academy:edit_course", saved.slug)
    assignments = (
        Assignment.objects.filter(course=course).select_related("person", "department")
        if course
        else []
    )
    return render(
        request,
        "academy/edit_course.html",
        {
            "course": course,
            "form": form,
            "lessons": course.lessons.select_related("current") if course else [],
            "assignments": assignments,
            "assign_form": AssignForm(organization=request.organization) if course else None,
        },
    )


@require_POST
@member_required
def assign(request: MemberRequest, slug: str) -> HttpResponse:
    _require(request)
    course = _course(request, slug)
    if "delete" in request.POST:
        assignment = get_object_or_404(Assignment, pk=request.POST["delete"], course=course)
        do_delete_assignment(request.user, assignment)
        messages.success(request, "Assignment removed.")
        return redirect("academy:edit_course", slug)
    form = AssignForm(request.POST, organization=request.organization)
    if form.is_valid():
        try:
            made = do_assign(
                request.user,
                course,
                form.cleaned_data["due_on"],
                person=form.cleaned_data["person"],
                department=form.cleaned_data["department"],
                role=form.cleaned_data["role"],
            )
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Assigned to {made.assignee_label}.")
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("academy:edit_course", slug)


def _lesson(request: MemberRequest, slug: str, lesson: str) -> Lesson:
    return get_object_or_404(
        Lesson.objects.select_related("course", "current"),
        course__organization=request.organization,
        course__slug=slug,
        slug=lesson,
    )


@member_required
def edit_lesson(request: MemberRequest, slug: str, lesson: str | None = None) -> HttpResponse:
    """Write a new lesson or a new version of one; the text is previewed as it will show."""
    _require(request)
    course = _course(request, slug)
    found = _lesson(request, slug, lesson) if lesson else None
    version = found.current if found else None
    initial = (
        {
            "title": version.title,
            "minutes": version.minutes,
            "body": version.body,
            "examples": version.examples,
            "exercise": version.exercise,
            "exercise_kind": found.exercise_kind,
        }
        if found and version
        else None
    )
    form = LessonForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if found is None:
                found = authoring.do_create_lesson(
                    request.user,
                    course,
                    form.text(),
                    exercise_kind=form.cleaned_data["exercise_kind"],
                )
            else:
                saved = authoring.do_edit_lesson(
                    request.user, found, form.text(), form.cleaned_data["note"]
                )
                if found.exercise_kind != form.cleaned_data["exercise_kind"]:
                    authoring.do_set_exercise_kind(
                        request.user, found, form.cleaned_data["exercise_kind"]
                    )
                messages.success(request, f"Saved as version {saved.number}.")
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("academy:edit_lesson", slug, found.slug)
    return render(
        request,
        "academy/edit_lesson.html",
        {
            "course": course,
            "lesson": found,
            "version": version,
            "form": form,
            "preview": markdown(expand(request.organization, version.body)) if version else "",
        },
    )


@require_POST
@member_required
def preview(request: MemberRequest) -> HttpResponse:
    """Markdown rendered as the lesson page will show it (htmx)."""
    _require(request)
    text = request.POST.get("body", "")[: authoring.MAX_BODY]
    shown = markdown(expand(request.organization, text))
    return render(request, "academy/_preview.html", {"preview": shown})


@member_required
def edit_question(
    request: MemberRequest, slug: str, lesson: str, index: int | None = None
) -> HttpResponse:
    _require(request)
    found = _lesson(request, slug, lesson)
    questions = found.current.questions if found.current else []
    if index is not None and not 0 <= index < len(questions):
        raise Http404("No such question.")
    initial = QuestionForm.initial_for(questions[index]) if index is not None else None
    form = QuestionForm(request.POST or None, initial=initial)
    if request.method == "POST":
        try:
            if "delete" in request.POST and index is not None:
                authoring.do_delete_question(request.user, found, index)
                messages.success(request, f"Question {index + 1} removed.")
                return redirect("academy:edit_lesson", slug, lesson)
            if form.is_valid():
                authoring.do_save_question(request.user, found, form.question(), index)
                messages.success(request, "Question saved.")
                return redirect("academy:edit_lesson", slug, lesson)
        except ServiceError as exc:
            form.add_error(None, str(exc))
    return render(
        request,
        "academy/edit_question.html",
        {"course": found.course, "lesson": found, "form": form, "index": index},
    )


def _number(value: str | None) -> int:
    return int(value) if value and value.isdigit() and len(value) < 9 else -1


@member_required
def history(request: MemberRequest, slug: str, lesson: str) -> HttpResponse:
    """Every version of a lesson, and what changed between two of them."""
    _require(request)
    found = _lesson(request, slug, lesson)
    versions = list(LessonVersion.objects.filter(lesson=found).select_related("author"))
    by_number = {v.number: v for v in versions}
    newest = versions[0] if versions else None
    newer = by_number.get(_number(request.GET.get("to")), newest)
    older = by_number.get(_number(request.GET.get("from")))
    if older is None and newer is not None:
        older = by_number.get(newer.number - 1)
    changes = authoring.changes_between(older, newer) if older and newer else []
    return render(
        request,
        "academy/history.html",
        {
            "course": found.course,
            "lesson": found,
            "versions": versions,
            "older": older,
            "newer": newer,
            "changes": changes,
        },
    )
