from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.knowledge import reviews, services
from cluetrain.knowledge.models import Fact
from cluetrain.knowledge.search import search
from cluetrain.organizations.models import Organization, Person


class Command(BaseCommand):
    help = "Search, add, review and retire facts, and send due review reminders."

    def add_arguments(self, parser: CommandParser) -> None:
        verbs = parser.add_subparsers(dest="verb", required=True)
        listing = verbs.add_parser("list", help="search an organisation's verified facts")
        listing.add_argument("--org", required=True, help="the organisation's slug")
        listing.add_argument("--q", default="", help="words the facts must hold")
        listing.add_argument("--stale", action="store_true", help="only facts due for review")
        listing.add_argument("--json", action="store_true")
        add = verbs.add_parser("add", help="write a fact (a draft unless --verify)")
        add.add_argument("--org", required=True)
        add.add_argument("--as", dest="actor", required=True, help="your e-mail")
        add.add_argument("--statement", required=True)
        add.add_argument("--source", action="append", default=[])
        add.add_argument("--topic", action="append", default=[])
        add.add_argument("--owner", default="", help="the owner's e-mail (default: you)")
        add.add_argument("--review-days", type=int, default=None)
        add.add_argument("--verify", action="store_true")
        for name, text in (("reviewed", "mark a fact reviewed"), ("retire", "retire a fact")):
            verb = verbs.add_parser(name, help=text)
            verb.add_argument("fact", type=int)
            verb.add_argument("--as", dest="actor", required=True)
        verbs.add_parser("remind", help="send the review reminders that are due now")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['verb']}")(options)
        except (ServiceError, NotAllowed) as exc:
            raise CommandError(str(exc)) from exc

    def _organization(self, slug: str) -> Organization:
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise CommandError(f"No organisation called {slug}.")
        return organization

    def _person(self, email: str) -> Person:
        person = Person.objects.filter(email__iexact=email).first()
        if person is None:
            raise CommandError(f"Nobody signs in as {email}.")
        return person

    def _fact(self, pk: int) -> Fact:
        fact = Fact.objects.select_related("organization").filter(pk=pk).first()
        if fact is None:
            raise CommandError(f"No fact {pk}.")
        return fact

    def _list(self, options: dict[str, Any]) -> None:
        organization = self._organization(options["org"])
        today = services.today_in(organization)
        hits = search(organization, options["q"], today=today, limit=200)
        if options["stale"]:
            hits = [hit for hit in hits if hit.stale]
        rows = [
            {
                "id": hit.fact.pk,
                "statement": hit.fact.statement,
                "sources": hit.fact.sources,
                "owner": hit.fact.owner.email if hit.fact.owner else None,
                "review_by": hit.fact.review_by.isoformat(),
                "stale": hit.stale,
            }
            for hit in hits
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for row in rows:
            mark = " [review overdue]" if row["stale"] else ""
            self.stdout.write(f"{row['id']:>6}  {row['review_by']}  {row['statement']}{mark}")

    def _add(self, options: dict[str, Any]) -> None:
        organization = self._organization(options["org"])
        fact = services.do_create_fact(
            self._person(options["actor"]),
            organization,
            options["statement"],
            sources=options["source"],
            topics=options["topic"],
            owner=self._person(options["owner"]) if options["owner"] else None,
            review_interval_days=options["review_days"],
            verify=options["verify"],
        )
        self.stdout.write(f"Fact {fact.pk} ({fact.get_status_display().lower()}).")

    def _reviewed(self, options: dict[str, Any]) -> None:
        fact = services.do_mark_reviewed(
            self._person(options["actor"]), self._fact(options["fact"])
        )
        self.stdout.write(f"Fact {fact.pk}: next review by {fact.review_by.isoformat()}.")

    def _retire(self, options: dict[str, Any]) -> None:
        waiting = services.do_retire_fact(
            self._person(options["actor"]), self._fact(options["fact"])
        )
        self.stdout.write(f"Retired. Posts not yet out that cite it: {waiting or 'none'}.")

    def _remind(self, options: dict[str, Any]) -> None:
        run = reviews.remind_all()
        self.stdout.write(
            f"Reminders sent: {run.soon} due soon, {run.overdue} overdue, "
            f"{run.orphaned} without an owner."
        )
