from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from cluetrain.core.jobs import job, periodic


@periodic(seconds=6 * 3600)
@job(priority=-10)
def prune_finished_jobs(keep_days: int = 14) -> int:
    """Delete finished job records older than ``keep_days`` so the table stays small."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - timedelta(days=keep_days)
    deleted, _ = DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED], finished_at__lt=cutoff
    ).delete()
    return deleted


@job()
def ping(sent_at: float) -> float:
    """Answer how long the job waited in the queue: for health checks and the worker benchmark."""
    import time

    return time.time() - sent_at
