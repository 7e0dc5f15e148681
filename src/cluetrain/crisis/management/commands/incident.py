from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.crisis import scope, services, updates
from cluetrain.crisis.models import Incident
from cluetrain.organizations.models import Department, Organization, Person
from cluetrain.voices.models import Voice


class Command(BaseCommand):
    help = "Declare, update, end and list incidents (crisis mode) from the command line."

    def add_arguments(self, parser: CommandParser) -> None:
        verbs = parser.add_subparsers(dest="verb", required=True)
        declare = verbs.add_parser("declare", help="declare an incident and pause what it covers")
        declare.add_argument("--org", required=True, help="the organisation's slug")
        declare.add_argument("--as", dest="actor", required=True, help="your e-mail")
        declare.add_argument("--title", required=True)
        declare.add_argument("--severity", default="major", help="minor, major or critical")
        declare.add_argument("--summary", default="", help="the public summary")
        declare.add_argument("--department", action="append", default=[], help="a slug")
        declare.add_argument("--voice", action="append", default=[], help="a voice's handle")
        declare.add_argument("--network", action="append", default=[])
        update = verbs.add_parser("update", help="post a status update on an open incident")
        update.add_argument("incident", type=int)
        update.add_argument("--as", dest="actor", required=True)
        update.add_argument("--text", required=True)
        update.add_argument("--voice", action="append", default=[], help="a voice's handle")
        end = verbs.add_parser("end", help="end an incident and print the resume plan")
        end.add_argument("incident", type=int)
        end.add_argument("--as", dest="actor", required=True)
        end.add_argument("--note", default="")
        listing = verbs.add_parser("list", help="list an organisation's incidents")
        listing.add_argument("--org", required=True)
        listing.add_argument("--json", action="store_true")

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

    def _incident(self, pk: int) -> Incident:
        incident = Incident.objects.select_related("organization").filter(pk=pk).first()
        if incident is None:
            raise CommandError(f"No incident {pk}.")
        return incident

    def _voices(self, organization: Organization, handles: list[str]) -> list[Voice]:
        voices = []
        for handle in handles:
            voice = Voice.objects.filter(organization=organization, handle=handle).first()
            if voice is None:
                raise CommandError(f"{organization.name} has no voice {handle!r}.")
            voices.append(voice)
        return voices

    def _declare(self, options: dict[str, Any]) -> None:
        organization = self._organization(options["org"])
        person = self._person(options["actor"])
        departments = []
        for slug in options["department"]:
            department = Department.objects.filter(organization=organization, slug=slug).first()
            if department is None:
                raise CommandError(f"{organization.name} has no department {slug!r}.")
            departments.append(department)
        voices = self._voices(organization, options["voice"])
        narrowed = bool(departments or voices or options["network"])
        incident, paused = services.do_declare_incident(
            person,
            organization,
            services.Declaration(
                title=options["title"],
                severity=options["severity"],
                public_summary=options["summary"],
                whole_organization=not narrowed,
                departments=departments,
                voices=voices,
                networks=options["network"],
            ),
        )
        self.stdout.write(
            f"Incident {incident.pk} declared, covering {scope.describe(incident)}: "
            f"{paused.paused} paused, {paused.sent_before} already being sent.\n"
            f"Status page: {updates.status_page_url(incident)}"
        )

    def _update(self, options: dict[str, Any]) -> None:
        incident = self._incident(options["incident"])
        person = self._person(options["actor"])
        voices = self._voices(incident.organization, options["voice"])
        update = updates.do_post_update(person, incident, options["text"], voices)
        self.stdout.write(f"Update {update.pk} posted through {len(voices)} voice(s).")

    def _end(self, options: dict[str, Any]) -> None:
        incident = self._incident(options["incident"])
        plan = services.do_end_incident(self._person(options["actor"]), incident, options["note"])
        self.stdout.write(f"Incident {incident.pk} ended. Nothing resumes by itself.")
        for line in plan:
            delivery = line.pause.delivery
            moved = " (moved)" if line.moved else ""
            self.stdout.write(
                f"  resume {delivery.voice.handle} {line.at:%Y-%m-%d %H:%M} UTC{moved}: "
                f"{delivery.post.text[:60]}"
            )

    def _list(self, options: dict[str, Any]) -> None:
        organization = self._organization(options["org"])
        rows: list[dict[str, Any]] = [
            {
                "id": i.pk,
                "title": i.title,
                "severity": i.severity,
                "status": i.status,
                "declared_at": i.declared_at.isoformat(),
                "ended_at": i.ended_at.isoformat() if i.ended_at else None,
                "paused": i.paused_count,
            }
            for i in Incident.objects.filter(organization=organization).annotate(
                paused_count=Count("paused")
            )
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False))
            return
        for row in rows:
            self.stdout.write(
                f"{row['id']:>5}  {row['status']:<6} {row['severity']:<8} "
                f"{row['declared_at'][:16]}  {row['title']}  ({row['paused']} paused)"
            )
