from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cluetrain.academy.assignments import send_reminders
from cluetrain.academy.curriculum import do_install_curriculum, shipped_courses
from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.organizations.models import Organization


class Command(BaseCommand):
    help = "The academy: install the default curriculum, list it, send due reminders."

    def add_arguments(self, parser: CommandParser) -> None:
        verbs = parser.add_subparsers(dest="verb", required=True)
        install = verbs.add_parser(
            "install-curriculum",
            help="install the default curriculum into an organisation (safe to run again)",
        )
        install.add_argument("--organization", "--org", required=True, help="its slug")
        verbs.add_parser("curriculum", help="list the shipped curriculum's courses and lessons")
        verbs.add_parser("remind", help="send the reminders that are due now (as the job does)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["verb"] == "install-curriculum":
                slug = options["organization"]
                organization = Organization.objects.filter(slug=slug).first()
                if organization is None:
                    raise CommandError(f"No organisation with the slug {slug!r}.")
                done = do_install_curriculum(None, organization)
                self.stdout.write(f"{organization.name}: {done}.")
            elif options["verb"] == "curriculum":
                for course in shipped_courses():
                    self.stdout.write(f"{course['title']} ({course.get('audience', 'everyone')})")
                    for lesson in course.get("lessons", []):
                        self.stdout.write(f"  - {lesson['title']} ({lesson.get('minutes', 7)} min)")
            else:
                self.stdout.write(f"{send_reminders()} reminder(s) sent.")
        except (ServiceError, NotAllowed) as exc:
            raise CommandError(str(exc)) from exc
