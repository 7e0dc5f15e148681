"""Changes in the practice space: posting, replaying scenarios, submitting, grading, feedback.

Views, the CLI and the demo all come through these ``do_*`` functions, which ask
``organizations.policy`` themselves. Any member of an organisation (agency staff included) may
practise; mentors, coordinators and directors (``MANAGE_ACADEMY``) set exercises and grade.
Nothing here calls a network: the practice space lives in Cluetrain's database.
"""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cluetrain.core import audit
from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.notifications.services import notify
from cluetrain.organizations import policy
from cluetrain.organizations.models import Organization, Person
from cluetrain.organizations.policy import Permission
from cluetrain.practice import checking, scenarios
from cluetrain.practice.models import (
    MAX_COMMENT,
    MAX_FEEDBACK,
    MAX_INSTRUCTIONS,
    MAX_TEXT,
    MAX_TITLE,
    Author,
    Exercise,
    ExerciseKind,
    Grade,
    InlineComment,
    Message,
    Outcome,
    Thread,
)
from cluetrain.practice.text import clean_text


def brand_of(organization: Organization) -> str:
    """The handle customers address the organisation by in replayed conversations."""
    return "@" + organization.slug.replace("-", "")


def require_member(person: Person, organization: Organization) -> None:
    policy.require(person, organization, Permission.VIEW_ORGANIZATION)


def require_mentor(person: Person, organization: Organization) -> None:
    policy.require(person, organization, Permission.MANAGE_ACADEMY)


def _checked(organization: Organization, learner: Person, text: str, **fields: object) -> Message:
    """A learner's message with the guideline engine's verdict on it, as written."""
    result = checking.check(organization, text)
    checked = result.as_json()
    return Message.objects.create(
        organization=organization,
        learner=learner,
        author=Author.LEARNER,
        handle=learner.full_name or learner.email,
        text=text,
        verdict=checked["verdict"],
        findings=checked["findings"],
        check_version=result.version,
        **fields,
    )


def _exercise(organization: Organization, exercise: Exercise | None) -> Exercise | None:
    if exercise is not None and (
        exercise.organization_id != organization.pk or not exercise.is_active
    ):
        raise ServiceError("That exercise is not open here.")
    return exercise


# ---- Learners ----------------------------------------------------------------------------------


def do_post(
    learner: Person, organization: Organization, text: str, *, exercise: Exercise | None = None
) -> Message:
    """A post of the learner's own in the practice space (submitted at once for an exercise)."""
    require_member(learner, organization)
    text = clean_text(text, what="Your post", limit=MAX_TEXT)
    exercise = _exercise(organization, exercise)
    with transaction.atomic():
        message = _checked(
            organization,
            learner,
            text,
            exercise=exercise,
            submitted_at=timezone.now() if exercise else None,
        )
        audit.record(
            organization, learner, "practice.posted", message, exercise=exercise and exercise.pk
        )
    return message


def _deliver_step(thread: Thread, scenario: scenarios.Scenario) -> None:
    """Replay the thread's next step (its customer messages), or finish the thread."""
    step_index = thread.next_turn
    if step_index >= len(scenario.steps):
        thread.finished_at = timezone.now()
        thread.save(update_fields=["finished_at"])
        return
    first_turn = sum(len(step.messages) for step in scenario.steps[:step_index])
    brand = brand_of(thread.organization)
    for offset, text in enumerate(scenario.steps[step_index].messages):
        Message.objects.get_or_create(
            thread=thread,
            turn=first_turn + offset,
            author=Author.CUSTOMER,
            defaults={
                "organization": thread.organization,
                "learner": thread.learner,
                "handle": scenario.customer,
                "text": scenarios.replayed(text, brand),
            },
        )
    thread.next_turn = step_index + 1
    thread.save(update_fields=["next_turn"])


def do_start_scenario(
    learner: Person,
    organization: Organization,
    slug: str,
    *,
    exercise: Exercise | None = None,
) -> Thread:
    """Start replaying a scenario into the learner's feed; an open thread of it is resumed."""
    require_member(learner, organization)
    scenario = scenarios.get(slug)
    if scenario is None:
        raise ServiceError("There is no such scenario.")
    exercise = _exercise(organization, exercise)
    with transaction.atomic():
        thread, created = Thread.objects.select_for_update().get_or_create(
            organization=organization,
            learner=learner,
            scenario=slug,
            finished_at__isnull=True,
            defaults={"exercise": exercise},
        )
        if created:
            _deliver_step(thread, scenario)
            audit.record(organization, learner, "practice.scenario_started", thread, scenario=slug)
        elif exercise is not None and thread.exercise_id is None:
            thread.exercise = exercise
            thread.save(update_fields=["exercise"])
    return thread


def do_reply(learner: Person, thread: Thread, text: str) -> Message:
    """The learner answers the customer; the customer's next messages arrive in return.

    The thread row is locked while the step is replayed, so two replies sent at once replay
    each step once (the unique turn constraint backs this up).
    """
    organization = thread.organization
    require_member(learner, organization)
    if thread.learner_id != learner.pk:
        raise NotAllowed("This conversation is someone else's practice.")
    text = clean_text(text, what="Your reply", limit=MAX_TEXT)
    scenario = scenarios.get(thread.scenario)
    if scenario is None:
        raise ServiceError("This scenario is no longer offered.")
    with transaction.atomic():
        locked = Thread.objects.select_for_update().select_related("organization").get(pk=thread.pk)
        if locked.finished_at is not None:
            raise ServiceError("The customer has gone: this conversation is over.", code="finished")
        message = _checked(
            organization,
            learner,
            text,
            thread=locked,
            exercise=locked.exercise,
            submitted_at=timezone.now() if locked.exercise_id else None,
        )
        _deliver_step(locked, scenario)
    thread.refresh_from_db()
    return message


def do_submit(learner: Person, message: Message) -> Message:
    """Ask the mentors for feedback on one of the learner's messages (asking twice is once)."""
    require_member(learner, message.organization)
    if message.learner_id != learner.pk or message.author != Author.LEARNER:
        raise NotAllowed("You can only submit your own practice messages.")
    updated = Message.objects.filter(pk=message.pk, submitted_at__isnull=True).update(
        submitted_at=timezone.now()
    )
    message.refresh_from_db(fields=["submitted_at"])
    if updated:
        audit.record(message.organization, learner, "practice.submitted", message)
    return message


# ---- Mentors -----------------------------------------------------------------------------------


def do_create_exercise(
    person: Person,
    organization: Organization,
    *,
    title: str,
    instructions: str,
    kind: str,
    scenario: str = "",
) -> Exercise:
    """A new exercise for the organisation's learners."""
    require_mentor(person, organization)
    title = clean_text(title, what="The title", limit=MAX_TITLE)
    instructions = clean_text(instructions, what="The instructions", limit=MAX_INSTRUCTIONS)
    if kind not in ExerciseKind.values:
        raise ServiceError("Choose what the exercise asks for: a reply or a post.")
    if kind == ExerciseKind.REPLY and scenarios.get(scenario) is None:
        raise ServiceError("A reply exercise needs a scenario to reply to.")
    if kind == ExerciseKind.POST:
        scenario = ""
    if Exercise.objects.filter(organization=organization, title=title).exists():
        raise ServiceError(f"There is already an exercise called “{title}”.")
    with transaction.atomic():
        exercise = Exercise.objects.create(
            organization=organization,
            title=title,
            instructions=instructions,
            kind=kind,
            scenario=scenario,
            created_by=person,
        )
        audit.record(organization, person, "practice.exercise_created", exercise)
    return exercise


def do_close_exercise(person: Person, exercise: Exercise) -> Exercise:
    """Stop offering an exercise; work already done for it keeps its grades."""
    require_mentor(person, exercise.organization)
    with transaction.atomic():
        if Exercise.objects.filter(pk=exercise.pk, is_active=True).update(is_active=False):
            audit.record(exercise.organization, person, "practice.exercise_closed", exercise)
    exercise.refresh_from_db(fields=["is_active"])
    return exercise


def _gradable(mentor: Person, message: Message) -> None:
    require_mentor(mentor, message.organization)
    if message.author != Author.LEARNER:
        raise ServiceError("Only a learner's own messages are graded.")
    if message.learner_id == mentor.pk:
        raise NotAllowed("Nobody grades their own practice.")


def _feedback_url(message: Message) -> str:
    return reverse("practice:index") + f"#message-{message.pk}"


def do_grade(
    mentor: Person,
    message: Message,
    *,
    outcome: str,
    score: int | None = None,
    feedback: str = "",
) -> Grade:
    """Grade a submitted message: pass or needs work, a score out of 100, written feedback.

    The last grade wins and earlier ones stay as history; the same grade given again (a
    double click, a retried request) changes nothing and tells the learner nothing twice.
    """
    _gradable(mentor, message)
    if outcome not in Outcome.values:
        raise ServiceError("Choose pass or needs work.")
    if score is not None and not 0 <= score <= 100:
        raise ServiceError("A score is between 0 and 100.")
    feedback = feedback.strip()
    if feedback:
        feedback = clean_text(feedback, what="Your feedback", limit=MAX_FEEDBACK)
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=message.pk)
        if locked.submitted_at is None:
            raise ServiceError("The learner has not asked for feedback on this yet.")
        current = Grade.objects.filter(message=locked, is_current=True).first()
        if current is not None and (
            current.mentor_id,
            current.outcome,
            current.score,
            current.feedback,
        ) == (mentor.pk, outcome, score, feedback):
            return current
        Grade.objects.filter(message=locked, is_current=True).update(is_current=False)
        grade = Grade.objects.create(
            message=locked, mentor=mentor, outcome=outcome, score=score, feedback=feedback
        )
        audit.record(
            locked.organization,
            mentor,
            "practice.graded",
            locked,
            outcome=outcome,
            score=score,
            regrade=current is not None,
        )
        label = Outcome(outcome).label.lower()
        notify(
            locked.learner,
            "practice_feedback",
            f"{mentor} graded your practice: {label}",
            feedback[:500],
            organization=locked.organization,
            url=_feedback_url(locked),
        )
    return grade


def do_comment_inline(
    mentor: Person, message: Message, *, start: int, end: int, comment: str
) -> InlineComment:
    """A mentor's comment on the span ``start:end`` (Python str offsets) of a learner's text."""
    _gradable(mentor, message)
    if not (isinstance(start, int) and isinstance(end, int)):
        raise ServiceError("Choose the words the comment is about.")
    if start < 0 or end > len(message.text) or start >= end:
        raise ServiceError(
            f"The words chosen ({start} to {end}) are not within the text "
            f"(0 to {len(message.text)}); choose them again.",
            code="bad_span",
        )
    comment = clean_text(comment, what="Your comment", limit=MAX_COMMENT)
    with transaction.atomic():
        existing = InlineComment.objects.filter(
            message=message, mentor=mentor, start=start, end=end, comment=comment
        ).first()
        if existing is not None:
            return existing
        inline = InlineComment.objects.create(
            message=message,
            mentor=mentor,
            start=start,
            end=end,
            quote=message.text[start:end],
            comment=comment,
        )
        audit.record(
            message.organization, mentor, "practice.commented", message, start=start, end=end
        )
        notify(
            message.learner,
            "practice_feedback",
            f"{mentor} commented on your practice",
            f"“{inline.quote[:120]}”: {comment[:400]}",
            organization=message.organization,
            url=_feedback_url(message),
        )
    return inline
