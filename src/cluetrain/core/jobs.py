"""Background jobs: Django's Tasks API with retries, periodic runs and stale-claim recovery.

Every job must be safe to run twice (claim its work with a conditional UPDATE
or a row lock), because a job whose worker died is put back in the queue.
"""

from __future__ import annotations

import functools
import logging
import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any, ParamSpec, TypeVar, cast

from django.conf import settings
from django.utils import timezone
from django_tasks import task
from django_tasks.base import Task

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

# task path -> interval in seconds, filled by @periodic at import time.
PERIODIC: dict[str, int] = {}
# Periodic jobs whose row this process has made sure of.
_registered: set[str] = set()


class PermanentFailure(Exception):
    """A failure that retrying cannot fix (bad input, revoked access): do not retry."""


def job(
    *,
    queue_name: str = "default",
    priority: int = 0,
    max_attempts: int | None = None,
    backoff_seconds: float = 30.0,
) -> Callable[[Callable[P, T]], Task[P, T]]:
    """Declare a background job that is retried with exponential back-off when it fails.

    Each failed attempt stays visible as a failed job (with its traceback) in the
    jobs admin; the next attempt is a new job due after ``backoff_seconds * 2**n``
    (with jitter so a burst of failures does not retry in lock-step).
    """

    def decorate(func: Callable[P, T]) -> Task[P, T]:
        @functools.wraps(func)
        def run(*args: Any, _attempt: int = 1, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except PermanentFailure:
                raise
            except Exception:
                limit = max_attempts or settings.JOB_MAX_ATTEMPTS
                if _attempt < limit:
                    delay = backoff_seconds * 2 ** (_attempt - 1) * random.uniform(0.8, 1.2)
                    logger.warning(
                        "job %s failed (attempt %d of %d); retrying in %.0fs",
                        func.__qualname__,
                        _attempt,
                        limit,
                        delay,
                    )
                    retry = cast(
                        "Task[..., Any]",
                        wrapped.using(run_after=timezone.now() + timedelta(seconds=delay)),
                    )
                    retry.enqueue(*args, _attempt=_attempt + 1, **kwargs)
                raise

        wrapped: Task[P, T] = task(queue_name=queue_name, priority=priority)(run)  # type: ignore[arg-type]
        return wrapped

    return decorate


def periodic(seconds: int) -> Callable[[Task[P, T]], Task[P, T]]:
    """Run a job (taking no arguments) every ``seconds``; apply above ``@job``."""

    def register(wrapped: Task[P, T]) -> Task[P, T]:
        PERIODIC[wrapped.module_path] = seconds
        return wrapped

    return register


def reclaim_stale_jobs() -> int:
    """Put back jobs claimed by a worker that stopped before finishing them."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - timedelta(seconds=settings.JOB_STALE_AFTER)
    count = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=cutoff
    ).update(status=TaskResultStatus.READY, started_at=None)
    if count:
        logger.warning("put back %d job(s) whose worker stopped mid-way", count)
    return count


def enqueue_due_periodic_jobs() -> int:
    """Enqueue each periodic job that is due, once, whatever the number of workers."""
    from django.utils.module_loading import import_string

    from cluetrain.core.models import PeriodicJob

    now = timezone.now()
    if _registered != set(PERIODIC):
        for path, seconds in PERIODIC.items():
            PeriodicJob.objects.get_or_create(
                task_path=path, defaults={"interval_seconds": seconds, "next_run_at": now}
            )
        _registered.update(PERIODIC)
    enqueued = 0
    for periodic_job in PeriodicJob.objects.filter(next_run_at__lte=now, task_path__in=PERIODIC):
        interval = PERIODIC[periodic_job.task_path]
        won = PeriodicJob.objects.filter(
            pk=periodic_job.pk, next_run_at=periodic_job.next_run_at
        ).update(
            next_run_at=now + timedelta(seconds=interval),
            interval_seconds=interval,
            last_enqueued_at=now,
        )
        if won != 1:
            # Another worker advanced this row first and enqueued the run.
            continue
        import_string(periodic_job.task_path).enqueue()
        enqueued += 1
    return enqueued


def retry_now(queryset: Any) -> int:
    """Put failed jobs back in the queue at once (from the jobs admin)."""
    from django_tasks.base import TaskResultStatus

    return int(
        queryset.filter(status=TaskResultStatus.FAILED).update(
            status=TaskResultStatus.READY,
            run_after=timezone.now(),
            finished_at=None,
        )
    )
