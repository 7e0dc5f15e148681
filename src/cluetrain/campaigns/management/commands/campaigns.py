"""``cluetrain campaigns``: objectives' progress and the cost of the effort, from the shell."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cluetrain.campaigns import cost_export, costs, progress
from cluetrain.campaigns.models import Objective
from cluetrain.core import audit
from cluetrain.core.errors import ServiceError
from cluetrain.organizations.models import Organization


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value[:40]!r} is not a date (YYYY-MM-DD).") from exc


class Command(BaseCommand):
    help = "Show objectives' progress and what the effort cost, for one organisation."

    def add_arguments(self, parser: CommandParser) -> None:
        verbs = parser.add_subparsers(dest="verb", required=True)
        objectives = verbs.add_parser("objectives", help="each active objective against its target")
        objectives.add_argument("--org", required=True, help="the organisation's slug")
        objectives.add_argument("--json", action="store_true")
        cost = verbs.add_parser("cost", help="hours and cost per activity and per outcome")
        cost.add_argument("--org", required=True, help="the organisation's slug")
        cost.add_argument("--from", dest="start", required=True, help="YYYY-MM-DD")
        cost.add_argument("--to", dest="end", required=True, help="YYYY-MM-DD")
        cost.add_argument("--csv", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"No organisation with the slug {options['org']!r}.")
        try:
            if options["verb"] == "objectives":
                self._objectives(organization, options["json"])
            else:
                self._cost(organization, options)
        except ServiceError as exc:
            raise CommandError(str(exc)) from exc

    def _objectives(self, organization: Organization, as_json: bool) -> None:
        rows = [
            progress.progress(o)
            for o in Objective.objects.filter(organization=organization, active=True)
        ]
        if as_json:
            self.stdout.write(
                json.dumps(
                    [
                        {
                            "id": r.objective.pk,
                            "name": r.objective.name,
                            "period": [r.span.start.isoformat(), r.span.end.isoformat()],
                            "value": r.value,
                            "target": r.objective.target,
                            "unit": r.metric.unit,
                            "status": r.status,
                        }
                        for r in rows
                    ],
                    indent=2,
                )
            )
            return
        for r in rows:
            value = "no data" if r.value is None else f"{r.value:g} {r.metric.unit}"
            self.stdout.write(
                f"{r.objective.name}: {value} of {r.objective.target:g} ({r.status}, "
                f"{r.span.label})"
            )

    def _cost(self, organization: Organization, options: dict[str, Any]) -> None:
        summary = costs.cost_summary(organization, _date(options["start"]), _date(options["end"]))
        if options["csv"]:
            self.stdout.write(cost_export.as_csv(summary), ending="")
        else:
            self._cost_table(summary)
        # The lines are the CSV's figures in words: printed either way, they have left.
        audit.record_export(
            organization,
            None,
            "campaigns.cost",
            via="cli",
            format="csv" if options["csv"] else "table",
            start=str(options["start"]),
            end=str(options["end"]),
        )

    def _cost_table(self, summary: costs.CostSummary) -> None:
        for item in summary.activities:
            self.stdout.write(f"{item.label}: {item.hours} h, {item.cost} {summary.currency}")
        self.stdout.write(f"Total: {summary.hours} h, {summary.cost} {summary.currency}")
        for name, value in (
            ("per published post", summary.per_post),
            ("per resolved conversation", summary.per_conversation),
            ("per month", summary.per_month),
            ("per 100 engagements", summary.per_100_engagements),
        ):
            self.stdout.write(f"Cost {name}: {'-' if value is None else value}")
