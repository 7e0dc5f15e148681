"""The shared cast and fixtures.

Acme is the organisation under test; Globex is another organisation, home of
the outsider. Each person holds the roles their name says.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import pytest
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.test import Client

from cluetrain.organizations.models import Department, Organization, Person
from cluetrain.organizations.roles import Role
from cluetrain.organizations.services import do_add_member
from cluetrain.voices.models import Network, Voice, VoiceAccess, VoiceKind

# The local Bluesky server (a real PDS on loopback) for connector tests.
pytest_plugins = [
    "tests.support.pds",
    "tests.support.faults",
    "tests.support.mastodon",
    "tests.support.voices",
    "tests.support.inbox_ui",
]

PASSWORD = "correct horse battery staple"

CAST: dict[str, tuple[str, tuple[Role, ...]]] = {
    # key: (full name, roles in Acme)
    "director": ("Diane Director", (Role.DIRECTOR,)),
    "admin": ("Arno Admin", (Role.ADMIN,)),
    "coordinator": ("Cora Coordinator", (Role.COORDINATOR,)),
    "mentor": ("Mona Mentor", (Role.MENTOR, Role.MEMBER)),
    "member": ("Milo Member", (Role.MEMBER,)),
    "trainee": ("Tess Trainee", (Role.TRAINEE,)),
    "operations": ("Otto Operations", (Role.OPERATIONS,)),
    "agency": ("Ada Agency", (Role.AGENCY,)),
}


@dataclass
class Cast:
    acme: Organization
    globex: Organization
    care: Department
    director: Person
    admin: Person
    coordinator: Person
    mentor: Person
    member: Person
    trainee: Person
    operations: Person
    agency: Person
    outsider: Person
    member_voice: Voice
    care_voice: Voice

    def client(self, person: Person) -> Client:
        client = Client()
        client.force_login(person)
        return client


@functools.cache
def _password_hash() -> str:
    # The whole cast shares PASSWORD: hash it (Argon2, about 0.2 s) once per test process,
    # not once per person each time a flushed database gets its cast back.
    return make_password(PASSWORD)


def _person(key: str, full_name: str) -> Person:
    email = f"{key}@example.com"
    return Person.objects.filter(email=email).first() or Person.objects.create(
        email=email, password=_password_hash(), full_name=full_name
    )


def build_cast() -> Cast:
    acme, _ = Organization.objects.get_or_create(
        slug="acme", defaults={"name": "Acme", "disclosure_text": "#iworkatacme"}
    )
    globex, _ = Organization.objects.get_or_create(slug="globex", defaults={"name": "Globex"})
    care, _ = Department.objects.get_or_create(
        organization=acme, slug="customer-care", defaults={"name": "Customer care"}
    )
    people = {}
    for key, (full_name, roles) in CAST.items():
        people[key] = _person(key, full_name)
        do_add_member(acme, people[key], roles, departments=[care] if key == "mentor" else [])
    people["admin"].is_staff = people["admin"].is_superuser = True
    people["admin"].save(update_fields=["is_staff", "is_superuser"])
    outsider = _person("outsider", "Oscar Outsider")
    do_add_member(globex, outsider, [Role.DIRECTOR])
    do_add_member(globex, people["agency"], [Role.AGENCY])
    member_voice, _ = Voice.objects.get_or_create(
        organization=acme,
        network=Network.PRACTICE,
        handle="@milo",
        defaults={"kind": VoiceKind.PERSONAL, "name": "Milo Member", "owner": people["member"]},
    )
    care_voice, _ = Voice.objects.get_or_create(
        organization=acme,
        network=Network.PRACTICE,
        handle="@acme.care",
        defaults={"kind": VoiceKind.OFFICIAL, "name": "Acme Customer care", "department": care},
    )
    VoiceAccess.objects.get_or_create(voice=care_voice, person=people["mentor"])
    return Cast(
        acme=acme,
        globex=globex,
        care=care,
        outsider=outsider,
        member_voice=member_voice,
        care_voice=care_voice,
        **people,
    )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> None:
    """Build the cast once; each test runs in a transaction that is rolled back."""
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        build_cast()


@pytest.fixture
def cast(db: None) -> Cast:
    # Idempotent: cheap lookups when the cast exists, a rebuild after a
    # transactional test flushed the database.
    return build_cast()


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> None:
    """API rate-limit counts live in process memory without Redis: each test starts at zero."""
    from django.core.cache import caches

    caches["ratelimit"].clear()


@pytest.fixture(scope="session", autouse=True)
def collected_static(django_db_blocker: pytest.FixtureRequest) -> None:
    """Serve static files as production does: collected, hashed, compressed."""
    call_command("collectstatic", interactive=False, verbosity=0)
