"""``cluetrain token``: personal API tokens, from the operator's shell."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from cluetrain.api.commands import PlainErrorsCommand, bad_input, refused
from cluetrain.api.models import ApiToken
from cluetrain.api.services import do_create_token, do_revoke_token, parse_scope
from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.organizations.models import Organization, Person


class Command(PlainErrorsCommand):
    help = (
        "Create, list and revoke personal API tokens for `cluetrain post` and the REST API. "
        "An operator command: create a token at set-up for a person's own use and hand the "
        "secret to that person only; it acts as them, with their roles, in one organisation."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="create|list|revoke")
        create = actions.add_parser("create", help="make a token and print its secret once")
        create.add_argument("--email", required=True, help="the person the token acts as")
        create.add_argument("--org", required=True, help="the organisation's slug")
        create.add_argument("--name", required=True, help="what it is for, e.g. 'release bot'")
        create.add_argument("--days", type=int, help="expire after this many days (default never)")
        create.add_argument(
            "--scope",
            default="all",
            help="what it may do: 'all' (the person's roles, the default), 'read' (reading "
            "only), role names such as 'member,mentor' (only those of the person's roles), or "
            "both, e.g. 'read,member'",
        )
        listing = actions.add_parser("list", help="list tokens (never their secrets)")
        listing.add_argument("--email", help="only this person's tokens")
        listing.add_argument("--org", help="only this organisation's tokens")
        revoke = actions.add_parser("revoke", help="revoke a token for good")
        revoke.add_argument("id", type=int, help="the token's id, as `token list` shows it")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "create":
                self._create(options)
            elif options["action"] == "list":
                self._list(options)
            else:
                self._revoke(options["id"])
        except NotAllowed as exc:
            raise refused(exc.message) from exc
        except ServiceError as exc:
            raise bad_input(exc.message) from exc

    def _create(self, options: dict[str, Any]) -> None:
        person = _person(options["email"])
        organization = _organization(options["org"])
        read_only, roles = parse_scope(options["scope"])
        token, secret = do_create_token(
            person, organization, options["name"], options["days"], read_only=read_only, roles=roles
        )
        expires = f"expires {token.expires_at:%Y-%m-%d %H:%M} UTC" if token.expires_at else ""
        self.stdout.write(
            f"Token {token.pk} ({token.name}) acts as {person.full_name} <{person.email}> in "
            f"{organization.name} with scope {token.scope}; "
            f"{expires or 'it does not expire'}.\n"
            "Its secret is shown only now; give it to that person alone:"
        )
        self.stdout.write(secret)

    def _list(self, options: dict[str, Any]) -> None:
        tokens = ApiToken.objects.select_related("person", "organization").order_by("pk")
        if options["email"]:
            tokens = tokens.filter(person=_person(options["email"]))
        if options["org"]:
            tokens = tokens.filter(organization=_organization(options["org"]))
        rows = [
            (
                str(token.pk),
                f"{token.prefix}…",
                token.person.email,
                token.organization.slug,
                token.state,
                token.scope,
                f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never",
                token.name,
            )
            for token in tokens
        ]
        if not rows:
            self.stdout.write("No tokens.")
            return
        header = ("ID", "PREFIX", "PERSON", "ORG", "STATE", "SCOPE", "LAST USED (UTC)", "NAME")
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            self.stdout.write(
                "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            )

    def _revoke(self, pk: int) -> None:
        token = ApiToken.objects.select_related("organization").filter(pk=pk).first()
        if token is None:
            raise bad_input(f"There is no token {pk}.")
        do_revoke_token(None, token)
        self.stdout.write(f"Token {pk} ({token.name}) is revoked.")


def _person(email: str) -> Person:
    person = Person.objects.filter(email__iexact=email.strip()).first()
    if person is None:
        raise bad_input(f"Nobody signs in as {email!r}.")
    return person


def _organization(slug: str) -> Organization:
    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        raise bad_input(f"There is no organisation with the slug {slug!r}.")
    return organization
