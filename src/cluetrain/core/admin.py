from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from cluetrain.core.jobs import retry_now
from cluetrain.core.models import AuditEvent, PeriodicJob


class JobAdmin(DBTaskResultAdmin):
    """The jobs page: failures with their tracebacks, and a way to retry them."""

    actions = ["retry_selected"]

    @admin.action(description="Retry the selected failed jobs now")
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[DBTaskResult]) -> None:
        count = retry_now(queryset)
        self.message_user(
            request, f"{count} failed job(s) put back in the queue.", messages.SUCCESS
        )


admin.site.unregister(DBTaskResult)
admin.site.register(DBTaskResult, JobAdmin)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "organization", "actor", "verb", "target")
    list_filter = ("verb", "organization")
    readonly_fields = ("organization", "actor", "verb", "target", "data", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(PeriodicJob)
class PeriodicJobAdmin(admin.ModelAdmin):
    list_display = ("task_path", "interval_seconds", "next_run_at", "last_enqueued_at")
