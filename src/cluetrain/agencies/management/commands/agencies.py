"""``cluetrain agencies``: the self-sufficiency index, shadow pairings and shadows' notices."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from cluetrain.agencies import index, notices, services
from cluetrain.agencies.models import Shadowing
from cluetrain.core import audit
from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.organizations.models import Department, Organization, Person


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date like 2026-01-31.") from exc


class Command(BaseCommand):
    help = "Agencies in the open: the self-sufficiency index, shadow pairings, shadows' notices."

    def add_arguments(self, parser: CommandParser) -> None:
        verbs = parser.add_subparsers(dest="verb", required=True)
        shown = verbs.add_parser("index", help="print the self-sufficiency index by month")
        shown.add_argument("--org", required=True, help="the organisation's slug")
        shown.add_argument("--from", dest="start", default="", help="first day, e.g. 2026-01-01")
        shown.add_argument("--to", dest="end", default="", help="last day (default: today)")
        shown.add_argument("--department", default="", help="a department's slug")
        shown.add_argument("--csv", action="store_true", help="print CSV instead of a table")
        pair = verbs.add_parser("pair", help="pair an in-house shadow with agency staff")
        pair.add_argument("--org", required=True)
        pair.add_argument("--as", dest="actor", required=True, help="your e-mail")
        pair.add_argument("--agency-person", required=True, help="their e-mail")
        pair.add_argument("--shadow", required=True, help="the shadow's e-mail")
        unpair = verbs.add_parser("unpair", help="end a shadow pairing")
        unpair.add_argument("--org", required=True)
        unpair.add_argument("--as", dest="actor", required=True)
        unpair.add_argument("--agency-person", required=True)
        unpair.add_argument("--shadow", required=True)
        verbs.add_parser("notify-shadows", help="tell shadows what their partners published")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, "_" + options["verb"].replace("-", "_"))(options)
        except (ServiceError, NotAllowed) as exc:
            raise CommandError(str(exc)) from exc

    def _organization(self, slug: str) -> Organization:
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise CommandError(f"No organisation with the slug {slug!r}.")
        return organization

    def _person(self, email: str) -> Person:
        person = Person.objects.filter(email__iexact=email.strip(), is_active=True).first()
        if person is None:
            raise CommandError(f"Nobody signs in as {email!r}.")
        return person

    def _index(self, options: dict[str, Any]) -> None:
        organization = self._organization(options["org"])
        end = _date(options["end"]) if options["end"] else timezone.now().date()
        start = _date(options["start"]) if options["start"] else end - timedelta(days=335)
        department = None
        if options["department"]:
            department = Department.objects.filter(
                organization=organization, slug=options["department"]
            ).first()
            if department is None:
                raise CommandError(
                    f"{organization.name} has no department {options['department']!r}."
                )
        result = index.self_sufficiency(organization, start, end, department=department)
        if options["csv"]:
            self.stdout.write(index.as_csv(result), ending="")
        else:
            self._index_table(result)
        # The table is the CSV's figures in columns: printed either way, they have left.
        audit.record_export(
            organization,
            None,
            "agencies.self_sufficiency",
            via="cli",
            format="csv" if options["csv"] else "table",
            start=start.isoformat(),
            end=end.isoformat(),
            department_id=department.pk if department else None,
        )

    def _index_table(self, result: index.IndexResult) -> None:
        self.stdout.write(f"{'month':<8} {'in-house':>8} {'agency':>7} {'share':>7}")
        for month in result.months:
            share = "—" if month.tally.share is None else f"{month.tally.share:.1f} %"
            self.stdout.write(
                f"{month.label:<8} {month.tally.in_house:>8} {month.tally.agency:>7} {share:>7}"
            )
        overall = "—" if result.overall.share is None else f"{result.overall.share:.1f} %"
        self.stdout.write(
            f"{'all':<8} {result.overall.in_house:>8} {result.overall.agency:>7} {overall:>7}"
        )
        self.stdout.write(result.trend_words)

    def _pair(self, options: dict[str, Any]) -> None:
        organization = self._organization(options["org"])
        pairing = services.do_pair(
            self._person(options["actor"]),
            organization,
            self._person(options["agency_person"]),
            self._person(options["shadow"]),
        )
        self.stdout.write(f"{pairing.shadow} now shadows {pairing.agency_person}.")

    def _unpair(self, options: dict[str, Any]) -> None:
        organization = self._organization(options["org"])
        pairing = Shadowing.objects.filter(
            organization=organization,
            agency_person=self._person(options["agency_person"]),
            shadow=self._person(options["shadow"]),
        ).first()
        if pairing is None:
            raise CommandError("There is no such pairing.")
        services.do_unpair(self._person(options["actor"]), pairing)
        self.stdout.write("Pairing ended.")

    def _notify_shadows(self, options: dict[str, Any]) -> None:
        self.stdout.write(f"{notices.notify_shadows()} notice(s) sent.")
