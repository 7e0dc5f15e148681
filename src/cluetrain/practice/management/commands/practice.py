"""``cluetrain practice``: the practice space from the command line."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.organizations.models import Organization, Person
from cluetrain.practice import reading, scenarios, services
from cluetrain.practice.models import Author, Message


class Command(BaseCommand):
    help = "List scenarios, show learners' practice progress and grade practice work."

    def add_arguments(self, parser: CommandParser) -> None:
        verbs = parser.add_subparsers(dest="verb", required=True)
        verbs.add_parser("scenarios", help="list the scenarios the practice space replays")
        progress = verbs.add_parser("progress", help="the learners you follow and their numbers")
        progress.add_argument("--org", required=True, help="the organisation's slug")
        progress.add_argument("--as", dest="actor", required=True, help="your e-mail")
        progress.add_argument("--json", action="store_true")
        waiting = verbs.add_parser("waiting", help="submitted work waiting for feedback")
        waiting.add_argument("--org", required=True)
        waiting.add_argument("--as", dest="actor", required=True)
        grade = verbs.add_parser("grade", help="grade a submitted practice message")
        grade.add_argument("message", type=int)
        grade.add_argument("--as", dest="actor", required=True)
        grade.add_argument("--outcome", required=True, help="pass or needs_work")
        grade.add_argument("--score", type=int, default=None)
        grade.add_argument("--feedback", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['verb']}")(options)
        except (ServiceError, NotAllowed) as exc:
            raise CommandError(str(exc)) from exc

    def _organization(self, slug: str) -> Organization:
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise CommandError(f"No organisation with the slug {slug!r}.")
        return organization

    def _person(self, email: str) -> Person:
        person = Person.objects.filter(email__iexact=email, is_active=True).first()
        if person is None:
            raise CommandError(f"Nobody signs in as {email!r}.")
        return person

    def _scenarios(self, options: dict[str, Any]) -> None:
        for scenario in scenarios.catalogue().values():
            self.stdout.write(f"{scenario.slug}\t{len(scenario.steps)}\t{scenario.title}")

    def _progress(self, options: dict[str, Any]) -> None:
        organization = self._organization(options["org"])
        rows = reading.learners_to_follow(self._person(options["actor"]), organization)
        if options["json"]:
            data = [{"email": row.person.email, **vars(row.record)} for row in rows]
            self.stdout.write(json.dumps(data, indent=2))
            return
        self.stdout.write("learner\tsubmitted\tgraded\tpassed\twaiting")
        for row in rows:
            record = row.record
            self.stdout.write(
                f"{row.person.email}\t{record.submitted}\t{record.graded}\t{record.passed}\t"
                f"{record.awaiting_feedback}"
            )

    def _waiting(self, options: dict[str, Any]) -> None:
        organization = self._organization(options["org"])
        for message in reading.to_give(self._person(options["actor"]), organization):
            text = message.text.replace("\n", " ")[:80]
            self.stdout.write(f"{message.pk}\t{message.learner.email}\t{message.verdict}\t{text}")

    def _grade(self, options: dict[str, Any]) -> None:
        message = Message.objects.filter(pk=options["message"], author=Author.LEARNER).first()
        if message is None:
            raise CommandError(f"No practice message {options['message']}.")
        grade = services.do_grade(
            self._person(options["actor"]),
            message,
            outcome=options["outcome"],
            score=options["score"],
            feedback=options["feedback"],
        )
        self.stdout.write(f"Graded {message.pk}: {grade.get_outcome_display()}.")
