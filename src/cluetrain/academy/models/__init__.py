"""The academy's records: courses and versioned lessons, learners' work, assignments."""

from cluetrain.academy.models.assignments import Assignment, Reminder, ReminderKind
from cluetrain.academy.models.courses import Audience, Course, Lesson, LessonVersion
from cluetrain.academy.models.learning import (
    CourseCompletion,
    ExerciseAttempt,
    LessonCompletion,
    QuizAttempt,
)

__all__ = [
    "Assignment",
    "Audience",
    "Course",
    "CourseCompletion",
    "ExerciseAttempt",
    "Lesson",
    "LessonCompletion",
    "LessonVersion",
    "QuizAttempt",
    "Reminder",
    "ReminderKind",
]
