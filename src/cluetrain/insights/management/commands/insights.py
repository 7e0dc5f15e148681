"""``cluetrain insights``: look after the insights roll-ups (``rebuild``, ``update``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cluetrain.insights.rollups import maintain
from cluetrain.organizations.models import Organization


class Command(BaseCommand):
    help = "Rebuild the insights roll-ups from scratch, or bring them up to date."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rebuild", "update"])
        parser.add_argument(
            "--organization", "--org", help="the organisation's slug (rebuild only; default: all)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "update":
            done = maintain.catch_up()
        else:
            organization_id = None
            slug = options.get("organization")
            if slug:
                found = Organization.objects.filter(slug=str(slug)[:100]).first()
                if found is None:
                    raise CommandError(f"No organisation {str(slug)[:100]!r}.")
                organization_id = found.pk
            done = maintain.rebuild(organization_id)
        self.stdout.write(" ".join(f"{key}={value}" for key, value in done.items()))
