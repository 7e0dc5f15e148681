"""``cluetrain cohort``: list cohorts, show one, plan its rota from the command line."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count, Q

from cluetrain.cohorts import reading, shifts
from cluetrain.cohorts.models import Cohort, MemberStatus
from cluetrain.cohorts.services import may_view_cohort
from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.organizations.models import Organization, Person


class Command(BaseCommand):
    help = "List, show and plan the rota of engagement-centre cohorts from the command line."

    def add_arguments(self, parser: CommandParser) -> None:
        verbs = parser.add_subparsers(dest="verb", required=True)
        listing = verbs.add_parser("list", help="list an organisation's cohorts")
        listing.add_argument("--org", required=True, help="the organisation's slug")
        listing.add_argument("--json", action="store_true")
        show = verbs.add_parser("show", help="a cohort's members, placements and activity")
        show.add_argument("cohort", type=int)
        show.add_argument("--as", dest="actor", required=True, help="your e-mail")
        rota = verbs.add_parser("rota", help="plan shifts over the coming weeks (idempotent)")
        rota.add_argument("cohort", type=int)
        rota.add_argument("--as", dest="actor", required=True, help="your e-mail")
        rota.add_argument("--weeks", type=int, default=2)
        rota.add_argument("--per-day", type=int, default=1)
        rota.add_argument("--from", dest="starts", default="09:00", help="HH:MM, local time")
        rota.add_argument("--to", dest="ends", default="13:00", help="HH:MM, local time")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['verb']}")(options)
        except (ServiceError, NotAllowed) as exc:
            raise CommandError(str(exc)) from exc

    def _person(self, email: str) -> Person:
        person = Person.objects.filter(email__iexact=email, is_active=True).first()
        if person is None:
            raise CommandError(f"Nobody has the e-mail address {email}.")
        return person

    def _cohort(self, pk: int) -> Cohort:
        cohort = Cohort.objects.select_related("organization", "centre").filter(pk=pk).first()
        if cohort is None:
            raise CommandError(f"There is no cohort {pk}.")
        return cohort

    def _list(self, options: dict[str, Any]) -> None:
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"There is no organisation {options['org']!r}.")
        cohorts = (
            Cohort.objects.filter(organization=organization)
            .select_related("centre")
            .annotate(
                immersed=Count("members", filter=Q(members__status=MemberStatus.IMMERSED)),
                placed=Count("members", filter=Q(members__status=MemberStatus.PLACED)),
            )
        )
        rows = [
            {
                "id": c.pk,
                "name": c.name,
                "centre": c.centre.name,
                "starts_on": c.starts_on.isoformat(),
                "ends_on": c.ends_on.isoformat(),
                "status": c.status,
                "immersed": c.immersed,
                "placed": c.placed,
            }
            for c in cohorts
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        for r in rows:
            self.stdout.write(
                f"{r['id']:>4}  {r['name']}  ({r['centre']}, {r['starts_on']} to {r['ends_on']}, "
                f"{r['status']}): {r['immersed']} immersed, {r['placed']} placed"
            )

    def _show(self, options: dict[str, Any]) -> None:
        cohort = self._cohort(options["cohort"])
        person = self._person(options["actor"])
        if not may_view_cohort(person, cohort.organization):
            raise CommandError("Coordinators, directors and mentors follow cohorts.")
        view = reading.overview(cohort)
        self.stdout.write(
            f"{cohort.name}: {cohort.centre.name}, {cohort.starts_on} to {cohort.ends_on}"
        )
        for row in view.rows:
            m = row.member
            placed = (
                f"-> {m.placement_department.name} from {m.placement_on}"
                if m.placement_department
                else "not placed yet"
            )
            self.stdout.write(
                f"  {m.membership.person.full_name}: {m.get_status_display()}, {placed}; "
                f"{row.shifts_this_week} shifts this week, {row.activity.resolved} resolved, "
                f"{row.activity.replies} replies"
            )

    def _rota(self, options: dict[str, Any]) -> None:
        cohort = self._cohort(options["cohort"])
        person = self._person(options["actor"])
        try:
            starts = dt.time.fromisoformat(options["starts"])
            ends = dt.time.fromisoformat(options["ends"])
        except ValueError as exc:
            raise CommandError("Give times as HH:MM.") from exc
        done = shifts.do_generate_rota(
            person,
            cohort,
            weeks=options["weeks"],
            per_day=options["per_day"],
            day_starts=starts,
            day_ends=ends,
        )
        self.stdout.write(f"{done.created} shifts planned, {done.skipped} already there.")
