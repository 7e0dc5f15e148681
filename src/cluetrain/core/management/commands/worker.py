from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connection

from cluetrain.core.jobs import enqueue_due_periodic_jobs, reclaim_stale_jobs
from cluetrain.core.setup import settle
from cluetrain.publishing.dispatch import dispatcher
from cluetrain.publishing.recovery import reclaim_stale as reclaim_stale_deliveries

logger = logging.getLogger("cluetrain.worker")


def housekeeping(stop: threading.Event, every: float) -> None:
    """Recover jobs of dead workers and enqueue periodic jobs, until ``stop`` is set."""
    while not stop.is_set():
        try:
            reclaim_stale_jobs()
            reclaim_stale_deliveries()
            enqueue_due_periodic_jobs()
        except Exception:  # keep the worker alive; the next round tries again
            logger.exception("worker housekeeping failed")
        finally:
            # A thread's connection is its own: close it or it leaks (one per round).
            connection.close()
        stop.wait(every)


class Command(BaseCommand):
    help = (
        "Publish due posts and run background jobs; several workers may run at once on PostgreSQL."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queues", default="*", help="comma-separated queues (default: all)")
        parser.add_argument("--interval", type=float, default=0.2, help="idle poll, seconds")
        parser.add_argument("--batch", action="store_true", help="run what is due, then exit")
        parser.add_argument("--max-tasks", type=int, default=None)
        parser.add_argument(
            "--publish-threads",
            type=int,
            default=None,
            help="publishing threads (default: CLUETRAIN_PUBLISH_THREADS); 0 publishes nothing",
        )
        parser.add_argument(
            "--no-housekeeping",
            action="store_true",
            help="do not recover stale jobs or enqueue periodic ones from this worker",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        settle()
        stop = threading.Event()
        if not options["no_housekeeping"]:
            if options["batch"]:
                reclaim_stale_jobs()
                reclaim_stale_deliveries()
                enqueue_due_periodic_jobs()
                close_old_connections()
            else:
                threading.Thread(
                    target=housekeeping, args=(stop, 5.0), name="housekeeping", daemon=True
                ).start()
        publishers: list[threading.Thread] = []
        threads = options["publish_threads"]
        threads = settings.PUBLISH_THREADS if threads is None else max(0, threads)
        if options["batch"]:
            from cluetrain.publishing.dispatch import run_due

            run_due()
            close_old_connections()
        else:
            for number in range(threads):
                thread = threading.Thread(
                    target=dispatcher, args=(stop,), name=f"publish-{number}", daemon=True
                )
                thread.start()
                publishers.append(thread)
        worker_options: dict[str, Any] = {
            "queue_name": options["queues"],
            "interval": options["interval"],
            "batch": options["batch"],
            "reload": False,
            "startup_delay": False,
            "verbosity": options["verbosity"],
        }
        if options["max_tasks"]:
            worker_options["max_tasks"] = options["max_tasks"]
        try:
            call_command("db_worker", **worker_options)
        finally:
            stop.set()
            # Let a post being sent finish and be recorded rather than leave it to the lease.
            for thread in publishers:
                thread.join(timeout=30)
