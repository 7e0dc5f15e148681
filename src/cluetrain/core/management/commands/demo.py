from __future__ import annotations

import signal
import subprocess
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cluetrain.core.demo import DEMO_PASSWORD, demo_logins, load_demo
from cluetrain.core.management.commands.serve import run_server
from cluetrain.core.setup import prepare


class Command(BaseCommand):
    help = "Set up the database, load the Acme Rail demo and run web server and worker together."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--no-serve", action="store_true", help="only set up the database and the demo data"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("Preparing the database…")
        prepare()
        organization = load_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo organisation ready: {organization.name}"))
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        for email, roles, title in demo_logins():
            self.stdout.write(f"  {email:<28} {roles:<36} {title}")
        if options["no_serve"]:
            return
        address = f"http://{options['host']}:{options['port']}/"
        worker = subprocess.Popen([sys.executable, "-m", "cluetrain", "worker", "-v", "0"])
        self.stdout.write(self.style.SUCCESS(f"\nCluetrain is running at {address}"))
        self.stdout.write("Sign in as dana@acme-rail.example to start. Press Ctrl+C to stop.\n")
        # Stopped by SIGTERM (a service manager, `timeout`) as by Ctrl+C: stop the worker too.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            run_server(options["host"], options["port"], threads=8)
        except KeyboardInterrupt:
            pass
        finally:
            worker.terminate()
            worker.wait(timeout=10)
