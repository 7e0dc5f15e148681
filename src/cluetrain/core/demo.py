"""The Acme Rail demo organisation: a rail operator whose feed must stay useful when trains stop.

``load_demo`` is idempotent: running it again finds what exists and adds only
what is missing, so ``cluetrain demo`` can be run on every start.
"""

from __future__ import annotations

import functools
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from importlib import import_module

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from cluetrain.core import demo_inbox
from cluetrain.organizations.models import Department, Membership, Organization, Person
from cluetrain.organizations.roles import Role
from cluetrain.organizations.services import do_add_member
from cluetrain.publishing.dispatch import run_due
from cluetrain.publishing.drafts import Draft
from cluetrain.publishing.models import Category, Post, QueueSlot
from cluetrain.publishing.queues import do_set_queue
from cluetrain.publishing.scheduling import Schedule, When
from cluetrain.publishing.services import do_create_post
from cluetrain.voices.models import Network, Voice, VoiceAccess, VoiceKind

DEMO_PASSWORD = "acme-rail-demo"  # noqa: S105 - printed on purpose for the demo logins
DOMAIN = "acme-rail.example"

DEPARTMENTS = ["Customer care", "Operations", "Marketing", "Engineering"]
# Areas that add their own demo content, in this order (later ones build on earlier ones:
# the practice space on the academy's courses, campaigns on the sample posts).
AREAS = ("academy", "practice", "cohorts", "agencies", "knowledge", "campaigns")

# (days from today, hour in the organisation's time zone, voice, category, text)
PLANNED_POSTS = [
    (
        1,
        10,
        "Acme Rail Marketing",
        Category.MARKETING,
        "Autumn saver fares are back: travel off-peak on the coast line from £9. "
        "https://acme-rail.example/saver",
    ),
    (
        2,
        8,
        "Acme Rail Operations",
        Category.OPERATIONAL,
        "Engineering works this weekend between Harbour and Westgate: replacement buses "
        "run every 15 minutes. Plan ahead: https://acme-rail.example/works",
    ),
    (
        3,
        12,
        "Acme Rail Customer care",
        Category.CUSTOMER_CARE,
        "Lost something on a train? Our lost property team answers here and at "
        "https://acme-rail.example/lost",
    ),
    (
        6,
        9,
        "Acme Rail",
        Category.ANNOUNCEMENT,
        "We are hiring drivers and engineers across the network. Ask our people what it is "
        "like to work here!",
    ),
]


@dataclass(frozen=True)
class DemoPerson:
    first: str
    last: str
    title: str
    roles: tuple[Role, ...]
    departments: tuple[str, ...] = ()

    @property
    def email(self) -> str:
        return f"{self.first.lower()}@{DOMAIN}"


PEOPLE = [
    DemoPerson("Dana", "Okafor", "Director of social media", (Role.DIRECTOR,)),
    DemoPerson("Adrian", "Baxter", "IT administrator", (Role.ADMIN,)),
    DemoPerson(
        "Carla", "Mendes", "Engagement centre lead", (Role.COORDINATOR,), ("Customer care",)
    ),
    DemoPerson(
        "Miguel",
        "Santos",
        "Senior customer care agent",
        (Role.MENTOR, Role.MEMBER),
        ("Customer care",),
    ),
    DemoPerson("Tom", "Fischer", "Customer care trainee", (Role.TRAINEE,), ("Customer care",)),
    DemoPerson("Priya", "Raman", "Rolling stock engineer", (Role.MEMBER,), ("Engineering",)),
    DemoPerson(
        "Lena", "Kowalski", "Signalling engineer", (Role.MEMBER, Role.MENTOR), ("Engineering",)
    ),
    DemoPerson(
        "Olu", "Adeyemi", "Network control duty manager", (Role.OPERATIONS,), ("Operations",)
    ),
    DemoPerson(
        "Grace", "Liu", "Station operations", (Role.OPERATIONS, Role.MEMBER), ("Operations",)
    ),
    DemoPerson("Marek", "Novak", "Head of marketing", (Role.MANAGER,), ("Marketing",)),
    DemoPerson("Sofia", "Rossi", "Marketing executive", (Role.MEMBER,), ("Marketing",)),
    DemoPerson("Aisha", "Karim", "Agency social media consultant", (Role.AGENCY,), ("Marketing",)),
]

# (name suffix or "" for the organisation, department, people allowed to post)
OFFICIAL_VOICES = [
    ("", None, ("dana", "carla")),
    ("Customer care", "Customer care", ("carla", "miguel", "tom")),
    ("Operations", "Operations", ("olu", "grace")),
    ("Marketing", "Marketing", ("sofia", "aisha")),
]

SAMPLE_POSTS = [
    (
        "priya",
        "New trains for the coast line are in testing at our depot this month. "
        "Happy to answer questions about how we test them! #iworkatacmerail",
    ),
    (
        "grace",
        "Lifts at Central are back in service after this morning's repair. "
        "Thanks for your patience. #iworkatacmerail",
    ),
]


@functools.cache
def _demo_password_hash() -> str:
    # Every demo person has the same, published password: one Argon2 hash (slow on purpose,
    # about 0.2 s) serves them all, instead of thirteen.
    return make_password(DEMO_PASSWORD)


def _person(spec: DemoPerson) -> Person:
    person = Person.objects.filter(email=spec.email).first()
    if person is None:
        person = Person.objects.create_user(
            spec.email, None, full_name=f"{spec.first} {spec.last}", time_zone="Europe/London"
        )
        person.password = _demo_password_hash()
        person.save(update_fields=["password"])
    if Role.ADMIN in spec.roles and not person.is_staff:
        # The instance operator of the demo may open the Django admin.
        person.is_staff = person.is_superuser = True
        person.save(update_fields=["is_staff", "is_superuser"])
    return person


@transaction.atomic
def load_demo() -> Organization:
    organization, _ = Organization.objects.get_or_create(
        slug="acme-rail",
        defaults={
            "name": "Acme Rail",
            "time_zone": "Europe/London",
            "disclosure_text": "#iworkatacmerail",
            "disclosure_keywords": "Acme, AcmeRail",
        },
    )
    departments = {
        name: Department.objects.get_or_create(
            organization=organization, slug=name.lower().replace(" ", "-"), defaults={"name": name}
        )[0]
        for name in DEPARTMENTS
    }
    people: dict[str, Person] = {}
    for spec in PEOPLE:
        person = _person(spec)
        people[spec.first.lower()] = person
        do_add_member(
            organization,
            person,
            spec.roles,
            departments=[departments[name] for name in spec.departments],
            title=spec.title,
        )
        Voice.objects.get_or_create(
            organization=organization,
            network=Network.PRACTICE,
            handle=f"@{spec.first.lower()}.{spec.last.lower()}",
            defaults={"kind": VoiceKind.PERSONAL, "name": person.full_name, "owner": person},
        )
    for suffix, department_name, allowed in OFFICIAL_VOICES:
        department = departments[department_name] if department_name else None
        voice, _ = Voice.objects.get_or_create(
            organization=organization,
            network=Network.PRACTICE,
            handle="@acmerail" + (f".{department.slug}" if department else ""),
            defaults={
                "kind": VoiceKind.OFFICIAL,
                "name": f"Acme Rail {suffix}".strip(),
                "department": department,
            },
        )
        for key in allowed:
            VoiceAccess.objects.get_or_create(voice=voice, person=people[key])
    _guidelines(organization, people["dana"])
    _sample_posts(organization, people)
    _news_feed_and_a_review(organization, departments["Marketing"], people)
    _second_client(people["aisha"])
    demo_inbox.load(organization)
    _runbook(organization, people)
    for area in AREAS:
        import_module(f"cluetrain.{area}.demo").load(organization, people)
    return organization


UPDATE_TEMPLATES = [
    {
        "name": "Disruption",
        "text": "{title}: {summary} We will update you here every 30 minutes. {status_page}",
    },
    {
        "name": "Service restored",
        "text": "Trains are running again after {title}. Thank you for your patience. "
        "Delay Repay claims: acme-rail.example/delay-repay",
    },
]
HOLDING_STATEMENTS = [
    {
        "name": "We know",
        "text": "We know about the problem on our network and are working on it. "
        "Next update within 30 minutes. {status_page}",
    },
]


def _runbook(organization: Organization, people: dict[str, Person]) -> None:
    """Acme Rail's runbook, prepared in calm times, and this morning's alert from the stream
    (customers stuck outside Central), so the demo shows "Declare incident" at work."""
    from cluetrain.crisis.models import Alert
    from cluetrain.crisis.runbooks import RunbookFields, do_save_runbook
    from cluetrain.crisis.services import do_raise_alert
    from cluetrain.listening.models import Message

    voices = list(
        Voice.objects.filter(
            organization=organization, handle__in=["@acmerail", "@acmerail.operations"]
        )
    )
    do_save_runbook(
        people["dana"],
        organization,
        RunbookFields(
            paged_people=[people[key].pk for key in ("dana", "olu", "carla")],
            responders=[people[key].pk for key in ("olu", "grace")],
            official_voices=voices,
            paused_categories=[Category.MARKETING, Category.ANNOUNCEMENT],
            update_templates=UPDATE_TEMPLATES,
            holding_statements=HOLDING_STATEMENTS,
            review_rules="During an incident operations updates go out without review; "
            "anything about causes or compensation is checked by Dana first.",
        ),
    )
    if Alert.objects.filter(organization=organization).exists():
        return
    behind = list(
        Message.objects.filter(organization=organization, text__icontains="Central")
        .order_by("created_at")
        .values_list("pk", flat=True)[:20]
    )
    do_raise_alert(
        organization,
        kind="term",
        headline="possible incident: 'central' +700 % in 10 minutes, 80 % negative",
        topic="delay",
        evidence={"window_minutes": 10, "messages": len(behind), "message_ids": behind},
    )


DEMO_RULES = r"""
rules:
  - name: coastline-express
    kind: term
    terms: ["Coastline Express", "Project Gull"]
    exceptions: ["Coastline Express Bus"]
    severity: block
    explanation: The new coast service is not announced yet.
    suggestion: Say "new services on the coast".
  - name: results
    kind: pattern
    pattern: '\b(Q[1-4]|half-year|annual) (results|revenue|profit)\b'
    severity: review
    explanation: Results are announced by Investor Relations first.
  - name: timetable-embargo
    kind: embargo
    terms: ["December timetable"]
    until: "2027-01-10T09:00:00+00:00"
    severity: block
    explanation: The December timetable is announced on 10 January.
  - name: intranet
    kind: detector
    detector: internal_url
    options: {domains: ["intranet.acme-rail.example"]}
    severity: review
"""


def _guidelines(organization: Organization, director: Person) -> None:
    """A few of Acme Rail's own rules, beside the built-in detectors."""
    from cluetrain.guidelines.services import do_import_yaml, rule_set_of

    if rule_set_of(organization) is None:
        do_import_yaml(director, organization, DEMO_RULES, note="The demo's rules.")


def _news_feed_and_a_review(
    organization: Organization, marketing: Department, people: dict[str, Person]
) -> None:
    """A public Atom feed for marketing news, and a post on it waiting for a mentor's review."""
    voice, created = Voice.objects.get_or_create(
        organization=organization,
        network=Network.FEED,
        handle="acme-rail-marketing-news",
        defaults={
            "kind": VoiceKind.OFFICIAL,
            "name": "Acme Rail Marketing news",
            "department": marketing,
        },
    )
    if not created:
        return
    VoiceAccess.objects.get_or_create(voice=voice, person=people["sofia"])
    # Sofia is supervised (the default for members): her public posts wait for a mentor.
    do_create_post(
        people["sofia"],
        organization,
        Draft(
            text="Family saver tickets are back for the school holidays: kids travel free "
            "with every adult fare. https://acme-rail.example/family",
            voices=[voice],
            category=Category.MARKETING,
            title="Family saver tickets are back",
        ),
        Schedule(When.NOW),
    )


def _sample_posts(organization: Organization, people: dict[str, Person]) -> None:
    """Published posts on personal voices, and next week's plan on the official ones."""
    for key, text in SAMPLE_POSTS:
        if Post.objects.filter(organization=organization, author=people[key], text=text).exists():
            continue
        voice = Voice.objects.get(organization=organization, owner=people[key])
        do_create_post(
            people[key], organization, Draft(text=text, voices=[voice]), Schedule(When.NOW)
        )
    run_due()
    tz = organization.time_zone
    start = timezone.now().astimezone(zoneinfo.ZoneInfo(tz)).date()
    for days, hour, voice_name, category, text in PLANNED_POSTS:
        voice = Voice.objects.get(organization=organization, name=voice_name)
        author = voice.access.order_by("pk").first()
        if author is None or Post.objects.filter(organization=organization, text=text).exists():
            continue
        when = datetime.combine(start + timedelta(days=days), time(hour, 0))
        do_create_post(
            author.person,
            organization,
            Draft(text=text, voices=[voice], category=category),
            Schedule(When.AT, when, tz),
        )
        if not QueueSlot.objects.filter(voice=voice).exists():
            do_set_queue(author.person, voice, [(day, time(9, 30)) for day in range(5)])


def _second_client(agency_person: Person) -> None:
    """A second organisation the agency consultant also serves, to show the switcher."""
    ferries, _ = Organization.objects.get_or_create(
        slug="northwind-ferries",
        defaults={"name": "Northwind Ferries", "time_zone": "Europe/Oslo"},
    )
    if not Membership.objects.filter(person=agency_person, organization=ferries).exists():
        do_add_member(ferries, agency_person, [Role.AGENCY], title="Agency consultant")
        do_add_member(
            ferries,
            _person(DemoPerson("Ingrid", "Berg", "Communications director", (Role.DIRECTOR,))),
            [Role.DIRECTOR],
        )


def demo_logins() -> list[tuple[str, str, str]]:
    return [
        (spec.email, ", ".join(role.label for role in spec.roles), spec.title) for spec in PEOPLE
    ]
