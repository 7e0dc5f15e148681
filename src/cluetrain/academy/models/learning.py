"""What learners did: lessons done, quiz attempts, exercises, courses finished."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class LessonCompletion(models.Model):
    """A person finished a lesson, in the version they took."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_completions"
    )
    lesson = models.ForeignKey(
        "academy.Lesson", on_delete=models.CASCADE, related_name="completions"
    )
    version = models.ForeignKey(
        "academy.LessonVersion", on_delete=models.PROTECT, related_name="completions"
    )
    completed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "lesson"], name="academy_lesson_done_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person} finished {self.lesson} (version {self.version.number})"


class QuizAttempt(models.Model):
    """One go at a lesson's quiz: the answers given, and the score in per cent."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    lesson = models.ForeignKey(
        "academy.Lesson", on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    version = models.ForeignKey(
        "academy.LessonVersion", on_delete=models.PROTECT, related_name="quiz_attempts"
    )
    # question index (as text) -> the chosen choice indexes
    answers = models.JSONField(default=dict)
    score = models.PositiveSmallIntegerField()
    pass_mark = models.PositiveSmallIntegerField()
    passed = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.person}: {self.score} % in the quiz of {self.lesson}"


class ExerciseAttempt(models.Model):
    """A draft written in a lesson's live guideline exercise, with the engine's verdict."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exercise_attempts"
    )
    lesson = models.ForeignKey(
        "academy.Lesson", on_delete=models.CASCADE, related_name="exercise_attempts"
    )
    version = models.ForeignKey(
        "academy.LessonVersion", on_delete=models.PROTECT, related_name="exercise_attempts"
    )
    text = models.TextField(max_length=2000)
    verdict = models.CharField(max_length=12)
    passed = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.person}: exercise of {self.lesson} ({self.verdict})"


class CourseCompletion(models.Model):
    """A person finished a course: every lesson done and every quiz passed."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="course_completions"
    )
    course = models.ForeignKey(
        "academy.Course", on_delete=models.CASCADE, related_name="completions"
    )
    completed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "course"], name="academy_course_done_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person} finished {self.course}"
