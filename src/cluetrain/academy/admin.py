from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from cluetrain.academy.models import Assignment, Course, LessonVersion, QuizAttempt


class ReadOnly(admin.ModelAdmin):
    # Read-only: writing lessons, assigning and answering go through the academy's own pages,
    # which keep versions, check permissions and write the audit log.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Course)
class CourseAdmin(ReadOnly):
    list_display = ("title", "organization", "audience", "is_module", "pass_mark")
    list_filter = ("audience", "is_module")


@admin.register(LessonVersion)
class LessonVersionAdmin(ReadOnly):
    list_display = ("title", "lesson", "number", "author", "created_at")


@admin.register(Assignment)
class AssignmentAdmin(ReadOnly):
    list_display = ("course", "organization", "person", "department", "role", "due_on")


@admin.register(QuizAttempt)
class QuizAttemptAdmin(ReadOnly):
    list_display = ("person", "lesson", "score", "passed", "created_at")
    list_filter = ("passed",)
