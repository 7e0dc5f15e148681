from __future__ import annotations

import logging
import threading
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connection

from cluetrain.core.jobs import enqueue_due_periodic_jobs, reclaim_stale_jobs

logger = logging.getLogger("cluetrain.worker")


def housekeeping(stop: threading.Event, every: float) -> None:
    """Recover jobs of dead workers and enqueue periodic jobs, until ``stop`` is set."""
    while not stop.is_set():
        try:
            reclaim_stale_jobs()
            enqueue_due_periodic_jobs()
        except Exception:  # keep the worker alive; the next round tries again
            logger.exception("worker housekeeping failed")
        finally:
            # A thread's connection is its own: close it or it leaks (one per round).
            connection.close()
        stop.wait(every)


class Command(BaseCommand):
    help = "Run background jobs; several workers may run at once on PostgreSQL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queues", default="*", help="comma-separated queues (default: all)")
        parser.add_argument("--interval", type=float, default=0.2, help="idle poll, seconds")
        parser.add_argument("--batch", action="store_true", help="run what is due, then exit")
        parser.add_argument("--max-tasks", type=int, default=None)
        parser.add_argument(
            "--no-housekeeping",
            action="store_true",
            help="do not recover stale jobs or enqueue periodic ones from this worker",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        if not options["no_housekeeping"]:
            if options["batch"]:
                reclaim_stale_jobs()
                enqueue_due_periodic_jobs()
                close_old_connections()
            else:
                threading.Thread(
                    target=housekeeping, args=(stop, 5.0), name="housekeeping", daemon=True
                ).start()
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
