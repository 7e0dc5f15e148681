from __future__ import annotations

from django.core.management import call_command

from cluetrain.core.demo import PEOPLE, load_demo
from cluetrain.organizations.models import Membership, Organization, Person, RoleGrant
from cluetrain.organizations.roles import Role
from cluetrain.publishing.models import Post
from cluetrain.voices.models import Voice, VoiceKind


def counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (Organization, Person, Membership, RoleGrant, Voice, Post)
    )


def test_the_demo_is_acme_rail_with_every_role(db: None) -> None:
    organization = load_demo()
    assert organization.name == "Acme Rail"
    assert sorted(organization.departments.values_list("name", flat=True)) == [
        "Customer care",
        "Engineering",
        "Marketing",
        "Operations",
    ]
    held = set(
        RoleGrant.objects.filter(membership__organization=organization).values_list(
            "role", flat=True
        )
    )
    assert held == set(Role.values)
    assert Membership.objects.filter(organization=organization).count() == len(PEOPLE) == 12
    assert Voice.objects.filter(organization=organization, kind=VoiceKind.PERSONAL).count() == 12
    # Four on the practice space, and the marketing team's public Atom feed.
    assert Voice.objects.filter(organization=organization, kind=VoiceKind.OFFICIAL).count() == 5


def test_the_demo_has_rules_and_a_post_waiting_for_review(db: None) -> None:
    from cluetrain.guidelines.services import check_text
    from cluetrain.reviews.models import Review

    organization = load_demo()
    result = check_text(organization, "The Coastline Express starts soon")
    assert result.verdict == "block"
    assert check_text(organization, "The Coastline Express Bus replaces trains").verdict == "ok"
    [review] = Review.objects.filter(organization=organization, status="pending")
    assert review.post.author.email == "sofia@acme-rail.example"


def test_running_the_demo_again_changes_nothing(db: None) -> None:
    load_demo()
    first = counts()
    call_command("demo", no_serve=True, verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert counts() == first


def test_the_agency_consultant_serves_two_organisations(db: None) -> None:
    load_demo()
    aisha = Person.objects.get(email="aisha@acme-rail.example")
    assert aisha.memberships.count() == 2


def test_the_demo_has_a_runbook_and_an_alert_to_declare_from(db: None) -> None:
    from cluetrain.crisis.models import Alert, Runbook

    organization = load_demo()
    runbook = Runbook.objects.get(organization=organization)
    assert {p.email for p in runbook.responders.all()} == {
        "olu@acme-rail.example",
        "grace@acme-rail.example",
    }
    assert sorted(v.handle for v in runbook.official_voices.all()) == [
        "@acmerail",
        "@acmerail.operations",
    ]
    assert runbook.paused_categories == ["marketing", "announcement"]
    [alert] = Alert.objects.filter(organization=organization, status="open")
    assert alert.evidence["message_ids"]  # the messages about Central behind it
    load_demo()
    assert Alert.objects.filter(organization=organization).count() == 1
