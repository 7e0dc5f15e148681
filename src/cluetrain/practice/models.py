"""The practice space: replayed customer threads, learners' practice messages, exercises,
mentors' grades and inline feedback.

Nothing here is ever sent to a network. A *thread* is one learner working through one
replayed customer conversation (a scenario, read from ``practice/scenarios/``); a *message* is
one post in the learner's practice feed: their own post, their reply, or a customer's turn
replayed into the thread. A learner *submits* one of their messages (often for an exercise);
mentors grade it and leave feedback anchored to a span of its text.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

MAX_TEXT = 2000  # a practice message; the practice network itself counts 500 graphemes a post
MAX_FEEDBACK = 5000
MAX_COMMENT = 1000
MAX_TITLE = 200
MAX_INSTRUCTIONS = 4000


class ExerciseKind(models.TextChoices):
    REPLY = "reply", "Reply to a customer"
    POST = "post", "Write a post"


class Exercise(models.Model):
    """A task a mentor sets in the practice space: answer a scenario, or write a post.

    "Reply to this complaint about a late train" names a scenario; "post about the new trains
    with the disclosure" names none. Learners submit their attempt; the guideline engine and
    a mentor grade it.
    """

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="practice_exercises"
    )
    title = models.CharField(max_length=MAX_TITLE)
    instructions = models.TextField(max_length=MAX_INSTRUCTIONS)
    kind = models.CharField(max_length=10, choices=ExerciseKind.choices)
    scenario = models.CharField(max_length=80, blank=True, help_text="A scenario's slug.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "title"], name="practice_exercise_title_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Thread(models.Model):
    """One learner working through one replayed customer conversation.

    ``next_turn`` is the index of the scenario's next customer turn still to arrive; it moves
    on when the learner replies (a conditional update, so two replies at once reveal a turn
    once). ``finished_at`` is set when the last turn was answered.
    """

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practice_threads"
    )
    scenario = models.CharField(max_length=80)
    exercise = models.ForeignKey(
        Exercise, null=True, blank=True, on_delete=models.SET_NULL, related_name="threads"
    )
    next_turn = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            # One open thread per learner and scenario: starting again resumes it.
            models.UniqueConstraint(
                fields=["organization", "learner", "scenario"],
                condition=Q(finished_at__isnull=True),
                name="practice_one_open_thread",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scenario} ({self.learner_id})"


class Author(models.TextChoices):
    LEARNER = "learner", "Learner"
    CUSTOMER = "customer", "Customer"


class Message(models.Model):
    """One item of a learner's practice feed: their post, their reply, or a replayed turn.

    Customer turns carry the pseudonymous handle they are shown under. A learner's message
    keeps the guideline check of its text (verdict, findings, rules version) as written, so a
    later change of rules does not rewrite the grade it got.
    """

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practice_messages"
    )
    thread = models.ForeignKey(
        Thread, null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    author = models.CharField(max_length=10, choices=Author.choices)
    handle = models.CharField(max_length=80, blank=True)
    text = models.TextField()
    turn = models.PositiveIntegerField(null=True, blank=True)
    exercise = models.ForeignKey(
        Exercise, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    verdict = models.CharField(max_length=10, blank=True)
    findings = models.JSONField(default=list, blank=True)
    check_version = models.CharField(max_length=80, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["organization", "learner", "-created_at"]),
            models.Index(
                fields=["organization", "submitted_at"],
                name="practice_message_submitted",
                condition=Q(submitted_at__isnull=False),
            ),
        ]
        constraints = [
            # A customer turn arrives once in its thread, however often a replay is asked for.
            models.UniqueConstraint(
                fields=["thread", "turn"],
                condition=Q(author="customer"),
                name="practice_turn_once",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def by_learner(self) -> bool:
        return self.author == Author.LEARNER


class Outcome(models.TextChoices):
    PASS = "pass", "Pass"
    NEEDS_WORK = "needs_work", "Needs work"


class Grade(models.Model):
    """A mentor's grade of a submitted practice message.

    Regrading adds a row and marks it current; earlier grades stay as history. At most one
    grade per message is current (a partial unique constraint).
    """

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="grades")
    mentor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    feedback = models.TextField(blank=True)
    is_current = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["message"], condition=Q(is_current=True), name="practice_one_current_grade"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__lte=100), name="practice_score_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} ({self.message_id})"


class InlineComment(models.Model):
    """A mentor's comment anchored to a span of a learner's message (Python str offsets).

    ``quote`` is the span's text when the comment was made, so the highlight can be checked.
    """

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="comments")
    mentor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    quote = models.TextField()
    comment = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="practice_span"),
        ]

    def __str__(self) -> str:
        return self.comment[:60]
