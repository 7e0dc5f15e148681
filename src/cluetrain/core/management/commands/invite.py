from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.organizations.models import Organization, Person
from cluetrain.organizations.services import do_invite


class Command(BaseCommand):
    help = "Invite a person to an organisation by e-mail."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("organization", help="the organisation's slug, e.g. acme-rail")
        parser.add_argument("email")
        parser.add_argument("--role", action="append", dest="roles", default=[], required=True)
        parser.add_argument("--as", dest="actor", required=True, help="e-mail of the inviter")

    def handle(self, *args: Any, **options: Any) -> None:
        organization = Organization.objects.filter(slug=options["organization"]).first()
        if organization is None:
            raise CommandError(f"No organisation with the slug {options['organization']!r}.")
        actor = Person.objects.filter(email__iexact=options["actor"]).first()
        if actor is None:
            raise CommandError(f"Nobody signs in as {options['actor']!r}.")
        try:
            _, link = do_invite(actor, organization, options["email"], options["roles"])
        except (ServiceError, NotAllowed) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Invitation sent. Link: {link}")
