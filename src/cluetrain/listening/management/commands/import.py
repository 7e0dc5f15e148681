# ruff: noqa: N999 - the module is named after the verb: `cluetrain import`.
"""``cluetrain import FILE --org SLUG``: past messages from a CSV or JSON Lines file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cluetrain.listening.importer import FORMATS, ImportFailed, import_file
from cluetrain.organizations.models import Organization

# Bad rows listed one by one up to this many; the rest are counted.
SHOWN_BAD = 20


class Command(BaseCommand):
    help = (
        "Import past messages from a CSV or JSONL file (incl. Kaggle's Customer Support on "
        "Twitter). Importing a file again stores nothing twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--org", required=True, help="the organisation's slug, e.g. acme-rail")
        parser.add_argument("--format", choices=FORMATS, default="auto", dest="fmt")
        parser.add_argument("--source-name", default="", help="name of the import (default: file)")
        parser.add_argument(
            "--progress",
            action="store_true",
            default=None,
            help="show a progress bar even when stderr is not a terminal",
        )
        parser.add_argument("--no-progress", action="store_false", dest="progress")

    def handle(self, *args: Any, **options: Any) -> None:
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"No organisation with the slug {options['org']!r}.")
        progress = options["progress"]
        if progress is None:
            progress = sys.stderr.isatty()
        try:
            report = import_file(
                organization,
                options["file"],
                fmt=options["fmt"],
                source_name=options["source_name"],
                progress=progress,
            )
        except ImportFailed as exc:
            raise CommandError(str(exc)) from exc
        for line, why in report.bad[:SHOWN_BAD]:
            self.stderr.write(f"line {line}: {why}")
        if len(report.bad) > SHOWN_BAD:
            self.stderr.write(f"… and {len(report.bad) - SHOWN_BAD} more bad rows")
        self.stdout.write(
            f"Read {report.read} rows: {report.stored} new messages, "
            f"{report.duplicates} already stored, {len(report.bad)} bad."
        )
