"""``cluetrain export``: a dashboard's table as CSV, the same file the page's CSV button gives."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cluetrain.core.errors import ServiceError
from cluetrain.insights import export
from cluetrain.insights.forms import DEFAULT_PRESET, check_span, parse_day, preset_range, today_in
from cluetrain.organizations.models import Department, Membership, Organization
from cluetrain.voices.models import Voice


class Command(BaseCommand):
    help = "Export an insights table (or the monthly report) as CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--organization", "--org", required=True, help="the organisation's slug"
        )
        parser.add_argument(
            "--table",
            required=True,
            help="the table's name; 'list' lists them, 'report' is the "
            "monthly report's key numbers (with --month)",
        )
        parser.add_argument("--from", dest="start", help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", help="last day, YYYY-MM-DD (default: today)")
        parser.add_argument("--month", help="the report's month, YYYY-MM")
        who = parser.add_mutually_exclusive_group()
        who.add_argument("--department", type=int, help="a department's id")
        who.add_argument("--voice", type=int, help="a voice's id")
        who.add_argument("--person", type=int, help="a person's id")
        parser.add_argument(
            "--time-zone", help="read days in this zone (default: the organisation's)"
        )
        parser.add_argument("--output", "-o", help="write to this file instead of standard output")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["table"] == "list":
            self.stdout.write("\n".join([*export.table_names(), "report"]))
            return
        organization = Organization.objects.filter(slug=options["organization"]).first()
        if organization is None:
            raise CommandError(f"No organisation with the slug {options['organization']!r}.")
        scope = self._scope(organization, options)
        try:
            text = self._csv(organization, scope, options)
        except ServiceError as exc:
            raise CommandError(str(exc)) from exc
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
            sys.stdout.flush()

    def _csv(
        self, organization: Organization, scope: dict[str, Any], options: dict[str, Any]
    ) -> str:
        zone = options["time_zone"] or organization.time_zone
        if options["table"] == "report":
            if not options["month"]:
                raise CommandError("The report needs --month YYYY-MM.")
            year, _, month = options["month"].partition("-")
            if not (year.isdigit() and month.isdigit() and len(year) == 4 and len(month) == 2):
                raise CommandError(f"{options['month'][:20]!r} is not a month: use YYYY-MM.")
            text = export.as_csv(
                export.month_report(organization, int(year), int(month), time_zone=zone, **scope)
            )
            start, end = export.month_span(int(year), int(month))
            month_of = export.Snapshot(organization, start, end, time_zone=zone, **scope)
            export.record_download(month_of, "report", None, via="cli")
            return text
        if options["table"] not in export.table_names():
            known = ", ".join(export.table_names())
            raise CommandError(f"There is no table {options['table'][:40]!r}. Tables: {known}.")
        start, end = self._days(options, zone)
        snapshot = export.Snapshot(organization, start, end, time_zone=zone, **scope)
        text = export.as_csv(export.build(snapshot, options["table"]))
        export.record_download(snapshot, options["table"], None, via="cli")
        return text

    def _days(self, options: dict[str, Any], zone: str) -> tuple[Any, Any]:
        try:
            end = parse_day(options["end"]) if options["end"] else today_in(zone)
            if options["start"]:
                start = parse_day(options["start"])
            else:
                start = preset_range(DEFAULT_PRESET, end).start
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        problem = check_span(start, end)
        if problem:
            raise CommandError(problem)
        return start, end

    def _scope(self, organization: Organization, options: dict[str, Any]) -> dict[str, Any]:
        if options["department"] is not None:
            department = Department.objects.filter(
                organization=organization, pk=options["department"]
            ).first()
            if department is None:
                raise CommandError(
                    f"{organization.name} has no department {options['department']}."
                )
            return {"department": department}
        if options["voice"] is not None:
            if not Voice.objects.filter(organization=organization, pk=options["voice"]).exists():
                raise CommandError(f"{organization.name} has no voice {options['voice']}.")
            return {"voice_id": options["voice"]}
        if options["person"] is not None:
            if not Membership.objects.filter(
                organization=organization, person_id=options["person"]
            ).exists():
                raise CommandError(f"{organization.name} has no member {options['person']}.")
            return {"person_id": options["person"]}
        return {}
