"""Practice space pages: the learner's feed, scenarios, exercises, and mentors' queue.

Thin: the services decide and check permissions; these read forms and show what happened.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from cluetrain.core.errors import ServiceError
from cluetrain.guidelines.presenting import findings_context
from cluetrain.organizations.decorators import member_required
from cluetrain.organizations.models import Person
from cluetrain.organizations.requests import MemberRequest
from cluetrain.practice import checking, reading, scenarios, services
from cluetrain.practice.models import MAX_TEXT, Author, Exercise, ExerciseKind, Message, Thread
from cluetrain.practice.progress import graded_work

MAX_CHECK = MAX_TEXT * 2  # the live check refuses to read a novel


def _back(request: MemberRequest, anchor: str = "") -> HttpResponse:
    target = request.POST.get("next", "")
    # Only our own pages: an address from the form is never followed elsewhere.
    if not target.startswith("/academy/practice/") or "//" in target:
        target = reverse("practice:index")
    return redirect(target + (f"#{anchor}" if anchor else ""))


def _render(request: MemberRequest, template: str, context: dict[str, object]) -> HttpResponse:
    """Render with the dates in the person's time zone (else the organisation's)."""
    zone = request.user.time_zone
    if not zone or zone == "UTC":
        zone = request.organization.time_zone or "UTC"
    return render(request, template, {**context, "zone": zone})


def _exercise(request: MemberRequest) -> Exercise | None:
    value = request.POST.get("exercise", "") or request.GET.get("exercise", "")
    if not value.isdigit():
        return None
    return get_object_or_404(Exercise, pk=int(value), organization=request.organization)


@member_required
def index(request: MemberRequest) -> HttpResponse:
    """The learner's own practice feed, with the composer, scenarios and exercises."""
    person, organization = request.user, request.organization
    mentor = reading.is_mentor(person, organization)
    context = {
        "learner": person,
        "own": True,
        "items": reading.feed(person, organization, person),
        "exercises": list(reading.open_exercises(organization)[:20]),
        "suggested": list(scenarios.catalogue().values())[:6],
        "brand": services.brand_of(organization),
        "is_mentor": mentor,
        "to_give_count": len(reading.to_give(person, organization)) if mentor else 0,
        "record": graded_work(organization, [person.pk])[person.pk],
        "max_text": MAX_TEXT,
    }
    return _render(request, "practice/index.html", context)


@member_required
def learner(request: MemberRequest, person_id: int) -> HttpResponse:
    """One learner's practice feed as a mentor sees it, to grade and comment."""
    organization = request.organization
    person = get_object_or_404(Person, pk=person_id)
    items = reading.feed(request.user, organization, person)  # NotAllowed answers 403
    context = {
        "learner": person,
        "own": person.pk == request.user.pk,
        "items": items,
        "is_mentor": reading.is_mentor(request.user, organization),
        "brand": services.brand_of(organization),
    }
    return _render(request, "practice/learner.html", context)


@member_required
def mentoring(request: MemberRequest) -> HttpResponse:
    """For mentors: feedback to give, learners to follow, and exercises to set."""
    person, organization = request.user, request.organization
    context = {
        "to_give": reading.to_give(person, organization),
        "followed": reading.learners_to_follow(person, organization),
        "exercises": list(reading.open_exercises(organization)[:50]),
        "scenarios": list(scenarios.catalogue().values()),
        "kinds": ExerciseKind.choices,
    }
    return _render(request, "practice/mentoring.html", context)


@member_required
def scenario_list(request: MemberRequest) -> HttpResponse:
    services.require_member(request.user, request.organization)
    catalogue = list(scenarios.catalogue().values())
    return render(
        request,
        "practice/scenarios.html",
        {
            "written": [s for s in catalogue if not s.is_real],
            "real": [s for s in catalogue if s.is_real],
        },
    )


@require_POST
@member_required
def check(request: MemberRequest) -> HttpResponse:
    """The live guideline check of what the learner is typing (the composer's engine)."""
    services.require_member(request.user, request.organization)
    text = request.POST.get("text", "")[:MAX_CHECK]
    if not text.strip():
        return HttpResponse("")
    result = checking.check(request.organization, text)
    return render(request, "guidelines/_findings.html", {"g": findings_context(text, result)})


@require_POST
@member_required
def post(request: MemberRequest) -> HttpResponse:
    try:
        message = services.do_post(
            request.user,
            request.organization,
            request.POST.get("text", ""),
            exercise=_exercise(request),
        )
    except ServiceError as exc:
        messages.error(request, str(exc))
        return _back(request)
    messages.success(request, "Posted in the practice space (nothing left Cluetrain).")
    return _back(request, f"message-{message.pk}")


@require_POST
@member_required
def start(request: MemberRequest) -> HttpResponse:
    try:
        thread = services.do_start_scenario(
            request.user,
            request.organization,
            request.POST.get("scenario", "")[:80],
            exercise=_exercise(request),
        )
    except ServiceError as exc:
        messages.error(request, str(exc))
        return _back(request)
    return redirect(reverse("practice:index") + f"#thread-{thread.pk}")


@require_POST
@member_required
def reply(request: MemberRequest, thread_id: int) -> HttpResponse:
    thread = get_object_or_404(
        Thread.objects.select_related("organization"),
        pk=thread_id,
        organization=request.organization,
        learner=request.user,
    )
    try:
        services.do_reply(request.user, thread, request.POST.get("text", ""))
    except ServiceError as exc:
        messages.error(request, str(exc))
    return _back(request, f"thread-{thread.pk}")


def _message(request: MemberRequest, message_id: int) -> Message:
    return get_object_or_404(
        Message.objects.select_related("organization", "learner"),
        pk=message_id,
        organization=request.organization,
        author=Author.LEARNER,
    )


@require_POST
@member_required
def submit(request: MemberRequest, message_id: int) -> HttpResponse:
    message = _message(request, message_id)
    if message.learner_id != request.user.pk:
        raise Http404
    services.do_submit(request.user, message)
    messages.success(request, "Sent to your mentors for feedback.")
    return _back(request, f"message-{message.pk}")


@require_POST
@member_required
def grade(request: MemberRequest, message_id: int) -> HttpResponse:
    message = _message(request, message_id)
    score_text = request.POST.get("score", "").strip()
    try:
        if score_text and not score_text.isdigit():
            raise ServiceError("A score is a whole number between 0 and 100.")
        services.do_grade(
            request.user,
            message,
            outcome=request.POST.get("outcome", ""),
            score=int(score_text) if score_text else None,
            feedback=request.POST.get("feedback", ""),
        )
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Graded; {message.learner} has been told.")
    return _back(request, f"message-{message.pk}")


def _span(message: Message, start: str, end: str, quote: str) -> tuple[int, int]:
    """The span a comment is about: offsets from the page's selection, or the quoted words."""
    quote = quote.strip()
    if start.strip().isdigit() and end.strip().isdigit():
        first, last = int(start), int(end)
        # The page's offsets stand unless they miss the words the mentor selected.
        if not quote or message.text[first:last].strip() == quote:
            return first, last
    if quote:
        found = message.text.find(quote)
        if found >= 0:
            return found, found + len(quote)
        raise ServiceError("Those words are not in the text; copy them exactly.", code="bad_span")
    raise ServiceError("Choose the words the comment is about.", code="bad_span")


@require_POST
@member_required
def comment(request: MemberRequest, message_id: int) -> HttpResponse:
    message = _message(request, message_id)
    try:
        start, end = _span(
            message,
            request.POST.get("start", "")[:10],
            request.POST.get("end", "")[:10],
            request.POST.get("quote", "")[:MAX_TEXT],
        )
        services.do_comment_inline(
            request.user, message, start=start, end=end, comment=request.POST.get("comment", "")
        )
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Comment added; {message.learner} has been told.")
    return _back(request, f"message-{message.pk}")


@require_POST
@member_required
def create_exercise(request: MemberRequest) -> HttpResponse:
    try:
        services.do_create_exercise(
            request.user,
            request.organization,
            title=request.POST.get("title", ""),
            instructions=request.POST.get("instructions", ""),
            kind=request.POST.get("kind", ""),
            scenario=request.POST.get("scenario", "")[:80],
        )
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Exercise set; learners see it in their practice space.")
    return redirect("practice:mentoring")


@require_POST
@member_required
def close_exercise(request: MemberRequest, exercise_id: int) -> HttpResponse:
    exercise = get_object_or_404(Exercise, pk=exercise_id, organization=request.organization)
    services.do_close_exercise(request.user, exercise)
    messages.success(request, f"“{exercise.title}” is no longer offered.")
    return redirect("practice:mentoring")
