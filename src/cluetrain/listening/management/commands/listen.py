"""``cluetrain listen``: listen to every enabled source until stopped."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cluetrain.core.setup import settle
from cluetrain.listening import runner

log = logging.getLogger("cluetrain.listening")


class Command(BaseCommand):
    help = (
        "Listen to the organisations' sources (Bluesky, Mastodon, feeds) and take messages in. "
        "Stops cleanly on SIGTERM or Ctrl-C."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", default="", help="only this organisation (its slug)")
        parser.add_argument("--source", type=int, default=None, help="only this source (its id)")
        parser.add_argument(
            "--once", action="store_true", help="fetch what is new once and exit (for cron)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        chosen = runner.sources(options["org"], options["source"])
        if not chosen:
            raise CommandError(
                "No enabled source to listen to: add one under Settings → Listening."
            )
        if options["once"]:
            self._once(chosen)
            return
        settle()
        stop = threading.Event()

        def on_signal(number: int, frame: FrameType | None) -> None:
            log.info("Stopping (signal %s): finishing the batches in hand", number)
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        threads = runner.start(chosen, stop)
        self.stdout.write(f"Listening to {len(threads)} source(s). Ctrl-C stops.")
        self.stdout.flush()
        while any(thread.is_alive() for thread in threads) and not stop.wait(1.0):
            pass
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        self.stdout.write("Stopped.")

    def _once(self, chosen: list[Any]) -> None:
        failed = 0
        for source in chosen:
            try:
                new = runner.poll_once(source)
            except Exception as exc:
                failed += 1
                self.stderr.write(f"{source.name}: {runner.error_text(exc)}")
                continue
            self.stdout.write(f"{source.name}: {new} new")
        if failed:
            raise CommandError(f"{failed} of {len(chosen)} source(s) failed.")
