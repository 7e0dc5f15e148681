from __future__ import annotations

from django.conf import settings
from django.db import models


class AppendOnly(Exception):
    """An audit event was about to be changed or deleted."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: object) -> int:
        raise AppendOnly("Audit events are never changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnly("Audit events are never deleted.")


class AuditEvent(models.Model):
    """Something a person did that the organisation may need to account for later.

    Invitations, role changes, voice access grants, overrides of blocked
    findings: one row each, never edited, kept with the actor and a snapshot of
    what changed. The model refuses updates and deletes, and so does the database (triggers
    in migration 0003): only the actor may become empty, when a person is deleted.
    """

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verb = models.CharField(max_length=64)
    target = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.verb} {self.target}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise AppendOnly("Audit events are never changed.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise AppendOnly("Audit events are never deleted.")


class PeriodicJob(models.Model):
    """A background job that runs on a fixed interval (engagement fetches, SLA sweeps…).

    Workers enqueue a due job by advancing ``next_run_at`` with a conditional
    UPDATE, so with several workers exactly one of them enqueues each run.
    """

    task_path = models.CharField(max_length=200, unique=True)
    interval_seconds = models.PositiveIntegerField()
    next_run_at = models.DateTimeField()
    last_enqueued_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.task_path} every {self.interval_seconds}s"
