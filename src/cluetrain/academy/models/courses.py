"""Courses and their lessons; every edit of a lesson is a new, immutable version."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

MIN_MINUTES, MAX_MINUTES = 1, 15


class Audience(models.TextChoices):
    """Who a course is written for."""

    EVERYONE = "everyone", "Everyone"
    LEADERS = "leaders", "Managers and decision-makers"


class ExerciseKind(models.TextChoices):
    """How a lesson's exercise is done."""

    # The learner does it on their own (or in the practice space) and marks the lesson done.
    REFLECT = "reflect", "On your own"
    # The learner writes a draft that the organisation's guideline engine checks live.
    GUIDELINES = "guidelines", "Checked by the guidelines"


class Course(models.Model):
    """A course of the organisation's academy: a few short lessons on one subject.

    A course that is a *module* counts towards the autonomy evidence once a person has
    finished it (every lesson done, every quiz passed).
    """

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="courses"
    )
    slug = models.SlugField(max_length=60)
    title = models.CharField(max_length=120)
    summary = models.TextField(max_length=1000, blank=True)
    audience = models.CharField(max_length=12, choices=Audience.choices, default=Audience.EVERYONE)
    is_module = models.BooleanField(
        default=True, help_text="Finishing it counts towards the autonomy evidence."
    )
    pass_mark = models.PositiveSmallIntegerField(
        default=80,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="The quiz score, in per cent, a learner needs to pass a lesson's quiz.",
    )
    position = models.PositiveIntegerField(default=0)
    # The key of the shipped curriculum course this one was installed from ("" when written here).
    source_key = models.CharField(max_length=60, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "title"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="academy_course_slug"),
            models.CheckConstraint(condition=Q(pass_mark__lte=100), name="academy_pass_mark"),
        ]

    def __str__(self) -> str:
        return self.title


class Lesson(models.Model):
    """A lesson of 5 to 10 minutes in a course; its text lives in versions, ``current`` is shown."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    slug = models.SlugField(max_length=60)
    position = models.PositiveIntegerField(default=0)
    exercise_kind = models.CharField(
        max_length=12, choices=ExerciseKind.choices, default=ExerciseKind.REFLECT
    )
    # The version learners see now; null only for the moment between creating and first saving.
    current = models.ForeignKey(
        "LessonVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_key = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["course", "slug"], name="academy_lesson_slug"),
        ]

    def __str__(self) -> str:
        return self.current.title if self.current else self.slug


class LessonVersion(models.Model):
    """One saved state of a lesson, never changed afterwards.

    A learner's completion and quiz attempts point at the version they took, so editing a
    lesson never rewrites what somebody learnt. The quiz is a snapshot in ``quiz``: a list of
    ``{"prompt", "multiple", "choices": [{"text", "correct", "explanation"}]}``.
    """

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=120)
    minutes = models.PositiveSmallIntegerField(
        default=7, validators=[MinValueValidator(MIN_MINUTES), MaxValueValidator(MAX_MINUTES)]
    )
    body = models.TextField()
    examples = models.TextField(blank=True)
    exercise = models.TextField(blank=True)
    quiz = models.JSONField(default=list, blank=True)
    note = models.CharField(max_length=200, blank=True, help_text="What changed, in a line.")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["lesson", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["lesson", "number"], name="academy_version_number"),
            models.CheckConstraint(
                condition=Q(minutes__gte=MIN_MINUTES, minutes__lte=MAX_MINUTES),
                name="academy_version_minutes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (version {self.number})"

    @property
    def questions(self) -> list[dict[str, Any]]:
        return list(self.quiz or [])
