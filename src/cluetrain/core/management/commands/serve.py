from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cluetrain.core.setup import prepare


def run_server(host: str, port: int, threads: int) -> None:
    from waitress import serve

    from cluetrain.wsgi import application

    serve(application, host=host, port=port, threads=threads, ident="Cluetrain")


class Command(BaseCommand):
    help = "Run the web server (migrates and collects static files first)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--no-migrate", action="store_true", help="skip migrations")

    def handle(self, *args: Any, **options: Any) -> None:
        if not 0 < options["port"] < 65536:
            raise CommandError(f"--port: {options['port']} is not a TCP port")
        if not options["no_migrate"]:
            prepare()
        self.stdout.write(f"Cluetrain is listening on http://{options['host']}:{options['port']}/")
        run_server(options["host"], options["port"], options["threads"])
