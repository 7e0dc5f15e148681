"""Single sign-on through a real OpenID Connect provider on loopback, with just-in-time
membership by e-mail domain, the refusals, and the administrators' settings page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings as django_settings
from django.test import Client

from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.core.models import AuditEvent
from cluetrain.organizations.models import Membership, Organization, Person
from cluetrain.organizations.roles import Role
from cluetrain.sso import services
from cluetrain.sso.models import SignOnIdentity, SignOnProvider
from tests.conftest import Cast
from tests.support.oidc import running_provider, sign_in_at_provider

CLIENTS = {"acme": ("acme-client", "acme-secret-1"), "globex": ("globex-client", "globex-secret-1")}
USERS = [
    {"username": "alice", "email": "alice@example.com", "first_name": "Alice", "last_name": "New"},
    {"username": "una", "email": "una@example.com", "first_name": "Una", "last_name": "Unverified"},
    {"username": "fred", "email": "fred@foreign.test", "first_name": "Fred", "last_name": "Far"},
    {"username": "milo", "email": "member@example.com", "first_name": "Milo", "last_name": "M"},
    {"username": "root", "email": "admin@example.com", "first_name": "Ann", "last_name": "Admin"},
    {"username": "tess", "email": "trainee@example.com", "first_name": "Tess", "last_name": "T"},
]


@pytest.fixture(scope="session")
def issuer() -> Iterator[str]:
    clients = [
        {
            "client_id": client_id,
            "client_secret": secret,
            "redirect_uris": [f"{django_settings.BASE_URL}/accounts/sso/{slug}/callback/"],
        }
        for slug, (client_id, secret) in CLIENTS.items()
    ]
    with running_provider(USERS, clients) as running:
        yield running


@pytest.fixture
def private_allowed(settings: Any) -> None:
    settings.ALLOW_PRIVATE_URLS = True  # the provider is on loopback


def _configure(
    cast: Cast, organization: Organization, issuer: str, role: str = Role.MEMBER, **changes: Any
) -> SignOnProvider:
    client_id, secret = CLIENTS[organization.slug]
    admin = cast.admin if organization == cast.acme else _globex_admin(cast)
    wanted = {
        "name": f"{organization.name} ID",
        "issuer": issuer,
        "client_id": client_id,
        "client_secret": secret,
        "allowed_domains": ["example.com"],
        "default_role": role,
        "is_enabled": True,
    } | changes
    return services.do_save_provider(admin, organization, services.ProviderSettings(**wanted))


def _globex_admin(cast: Cast) -> Person:
    from cluetrain.organizations.services import do_add_member

    do_add_member(cast.globex, cast.outsider, [Role.ADMIN])
    return cast.outsider


def _sign_in(client: Client, slug: str, username: str) -> Any:
    """The whole authorisation-code flow; Cluetrain's answer to the provider's redirect."""
    start = client.get(f"/accounts/sso/{slug}/")
    assert start.status_code == 302
    back = urlsplit(sign_in_at_provider(start["Location"], username))
    assert back.path == f"/accounts/sso/{slug}/callback/"
    return client.get(f"{back.path}?{back.query}")


def _signed_in_as(client: Client) -> str | None:
    user_id = client.session.get("_auth_user_id")
    return Person.objects.get(pk=user_id).email if user_id else None


def _roles(person: Person, organization: Organization) -> list[str]:
    return Membership.objects.get(person=person, organization=organization).role_names


def test_a_new_person_with_a_verified_address_in_the_domain_becomes_a_member(
    cast: Cast, issuer: str, private_allowed: None
) -> None:
    _configure(cast, cast.acme, issuer)
    client = Client()
    response = _sign_in(client, "acme", "alice")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert _signed_in_as(client) == "alice@example.com"
    alice = Person.objects.get(email="alice@example.com")
    assert alice.full_name == "Alice New"
    assert not alice.has_usable_password()
    assert _roles(alice, cast.acme) == [Role.MEMBER]
    assert client.get("/").status_code == 200
    verbs = set(AuditEvent.objects.filter(organization=cast.acme).values_list("verb", flat=True))
    assert {"sso.configured", "sso.person created", "sso.member joined"} <= verbs


def test_signing_in_again_finds_the_same_person_without_a_second_membership(
    cast: Cast, issuer: str, private_allowed: None
) -> None:
    _configure(cast, cast.acme, issuer)
    _sign_in(Client(), "acme", "alice")
    client = Client()
    assert _sign_in(client, "acme", "alice").status_code == 302
    assert _signed_in_as(client) == "alice@example.com"
    assert SignOnIdentity.objects.filter(person__email="alice@example.com").count() == 1
    assert Membership.objects.filter(person__email="alice@example.com").count() == 1


def test_an_existing_member_with_a_verified_address_is_linked_and_keeps_their_roles(
    cast: Cast, issuer: str, private_allowed: None
) -> None:
    _configure(cast, cast.acme, issuer)
    client = Client()
    assert _sign_in(client, "acme", "milo").status_code == 302
    assert _signed_in_as(client) == cast.member.email
    assert SignOnIdentity.objects.get(person=cast.member).issuer == issuer
    assert _roles(cast.member, cast.acme) == [Role.MEMBER]
    assert AuditEvent.objects.filter(verb="sso.linked", actor=cast.member).exists()


def test_the_default_role_is_given_and_an_admin_role_cannot_be_the_default(
    cast: Cast, issuer: str, private_allowed: None
) -> None:
    with pytest.raises(ServiceError, match="members or trainees"):
        _configure(cast, cast.acme, issuer, role=Role.ADMIN)
    with pytest.raises(ServiceError, match="members or trainees"):
        _configure(cast, cast.acme, issuer, role=Role.DIRECTOR)
    _configure(cast, cast.acme, issuer, role=Role.TRAINEE)
    _sign_in(Client(), "acme", "alice")
    assert _roles(Person.objects.get(email="alice@example.com"), cast.acme) == [Role.TRAINEE]


def test_an_unverified_address_is_refused_with_a_clear_message(
    cast: Cast, issuer: str, private_allowed: None
) -> None:
    _configure(cast, cast.acme, issuer)
    client = Client()
    response = _sign_in(client, "acme", "una")
    assert response.status_code == 403
    assert "has not verified una@example.com" in response.content.decode()
    assert _signed_in_as(client) is None
    assert not Person.objects.filter(email="una@example.com").exists()
    refusal = AuditEvent.objects.get(organization=cast.acme, verb="sso.refused")
    assert refusal.data == {"reason": "e-mail not verified"}


def test_an_address_outside_the_allowed_domains_is_refused(
    cast: Cast, issuer: str, private_allowed: None
) -> None:
    _configure(cast, cast.acme, issuer)
    client = Client()
    response = _sign_in(client, "acme", "fred")
    assert response.status_code == 403
    page = response.content.decode()
    assert "only addresses at example.com" in page
    assert "fred@foreign.test" in page
    assert _signed_in_as(client) is None
    assert not Person.objects.filter(email="fred@foreign.test").exists()


def test_an_instance_operators_account_is_never_taken_over_by_a_provider(
    cast: Cast, issuer: str, private_allowed: None
) -> None:
    _configure(cast, cast.acme, issuer)
    client = Client()
    response = _sign_in(client, "acme", "root")
    assert response.status_code == 403
    assert "sign in with their password" in response.content.decode()
    assert not SignOnIdentity.objects.filter(person=cast.admin).exists()


def test_someone_whose_membership_ended_is_not_let_back_in(
    cast: Cast, issuer: str, private_allowed: None
) -> None:
    _configure(cast, cast.acme, issuer)
    Membership.objects.filter(person=cast.trainee, organization=cast.acme).update(is_active=False)
    client = Client()
    response = _sign_in(client, "acme", "tess")
    assert response.status_code == 403
    assert "membership of Acme has ended" in response.content.decode()
    assert _signed_in_as(client) is None
    assert not Membership.objects.get(person=cast.trainee, organization=cast.acme).is_active


def test_a_wrong_or_reused_state_is_refused(cast: Cast, issuer: str, private_allowed: None) -> None:
    _configure(cast, cast.acme, issuer)
    client = Client()
    start = client.get("/accounts/sso/acme/")
    back = urlsplit(sign_in_at_provider(start["Location"], "alice"))
    code = parse_qs(back.query)["code"][0]
    forged = client.get(f"{back.path}?code={code}&state=forged")
    assert forged.status_code == 400
    assert "(state)" in forged.content.decode()
    # Another browser cannot finish this sign-in: the state lives in the starter's session.
    assert Client().get(f"{back.path}?{back.query}").status_code == 400
    assert client.get(f"{back.path}?{back.query}").status_code == 302
    # Used once.
    assert Client().get(f"{back.path}?{back.query}").status_code == 400
    assert client.get(f"{back.path}?{back.query}").status_code == 400


def test_a_state_from_one_organisation_cannot_finish_at_another(
    cast: Cast, issuer: str, private_allowed: None
) -> None:
    _configure(cast, cast.acme, issuer)
    _configure(cast, cast.globex, issuer)
    client = Client()
    start = client.get("/accounts/sso/acme/")
    back = urlsplit(sign_in_at_provider(start["Location"], "alice"))
    response = client.get(f"/accounts/sso/globex/callback/?{back.query}")
    assert response.status_code == 400
    assert _signed_in_as(client) is None


def test_disabled_sign_on_neither_starts_nor_finishes(
    cast: Cast, issuer: str, private_allowed: None
) -> None:
    assert Client().get("/accounts/sso/acme/").status_code == 404  # never configured
    _configure(cast, cast.acme, issuer)
    client = Client()
    start = client.get("/accounts/sso/acme/")
    back = urlsplit(sign_in_at_provider(start["Location"], "alice"))
    _configure(cast, cast.acme, issuer, is_enabled=False, client_secret="")
    response = client.get(f"{back.path}?{back.query}")
    assert response.status_code == 403
    assert "not switched on" in response.content.decode()
    assert _signed_in_as(client) is None
    assert Client().get("/accounts/sso/acme/").status_code == 404


def test_the_same_address_in_two_organisations_maps_to_one_person_with_each_role(
    cast: Cast, issuer: str, private_allowed: None
) -> None:
    _configure(cast, cast.acme, issuer, role=Role.MEMBER)
    _configure(cast, cast.globex, issuer, role=Role.TRAINEE)
    _sign_in(Client(), "acme", "alice")
    alice = Person.objects.get(email="alice@example.com")
    assert not Membership.objects.filter(person=alice, organization=cast.globex).exists()
    client = Client()
    assert _sign_in(client, "globex", "alice").status_code == 302
    assert _roles(alice, cast.acme) == [Role.MEMBER]
    assert _roles(alice, cast.globex) == [Role.TRAINEE]
    assert Person.objects.filter(email__iexact="alice@example.com").count() == 1
    assert client.session["cluetrain_organization_id"] == cast.globex.pk
    joined = AuditEvent.objects.filter(verb="sso.member joined", actor=alice)
    assert sorted(joined.values_list("organization__slug", flat=True)) == ["acme", "globex"]


def test_the_client_secret_is_stored_encrypted_and_kept_when_left_empty(
    cast: Cast, issuer: str, private_allowed: None
) -> None:
    provider = _configure(cast, cast.acme, issuer)
    assert "acme-secret-1" not in provider.client_secret_encrypted
    _configure(cast, cast.acme, issuer, client_secret="")
    # The kept secret still works at the provider.
    assert _sign_in(Client(), "acme", "alice").status_code == 302


def test_discovery_of_a_loopback_issuer_is_refused_unless_allowed(cast: Cast, issuer: str) -> None:
    with pytest.raises(ServiceError, match="loopback"):
        _configure(cast, cast.acme, issuer)
    assert not SignOnProvider.objects.exists()


def test_a_wrong_issuer_or_unreachable_discovery_is_refused(
    cast: Cast, issuer: str, private_allowed: None
) -> None:
    with pytest.raises(ServiceError, match=r"cannot be read|answered 404"):
        _configure(cast, cast.acme, issuer + "/nowhere")
    with pytest.raises(ServiceError, match="https://"):
        _configure(cast, cast.acme, "ftp://example.com/")


def test_only_administrators_configure_sign_on(
    cast: Cast, issuer: str, private_allowed: None
) -> None:
    for person in (cast.director, cast.coordinator, cast.member):
        with pytest.raises(NotAllowed):
            services.provider_of(person, cast.acme)
        assert cast.client(person).get("/settings/sign-on/").status_code == 403
    page = cast.client(cast.admin).get("/settings/sign-on/")
    assert page.status_code == 200
    assert "/accounts/sso/acme/callback/" in page.content.decode()


def test_the_settings_page_saves_a_provider_after_reading_its_discovery(
    cast: Cast, issuer: str, private_allowed: None
) -> None:
    client = cast.client(cast.admin)
    form = {
        "is_enabled": "on",
        "name": "Acme Keycloak",
        "issuer": issuer + "/",
        "client_id": "acme-client",
        "client_secret": "acme-secret-1",
        "allowed_domains": "Example.com, @example.org",
        "default_role": "member",
    }
    assert client.post("/settings/sign-on/", form).status_code == 302
    provider = SignOnProvider.objects.get(organization=cast.acme)
    assert provider.issuer == issuer
    assert provider.allowed_domains == ["example.com", "example.org"]
    assert provider.token_endpoint.startswith(issuer)
    bad = client.post("/settings/sign-on/", form | {"allowed_domains": "not a domain!"})
    assert bad.status_code == 200
    assert "is not a domain name" in bad.content.decode()
    admin_role = client.post("/settings/sign-on/", form | {"default_role": "admin"})
    assert admin_role.status_code == 200
    assert SignOnProvider.objects.get(organization=cast.acme).default_role == "member"


def test_the_sign_in_page_offers_the_organisations_provider_and_passwords_still_work(
    cast: Cast, issuer: str, private_allowed: None
) -> None:
    _configure(cast, cast.acme, issuer)
    page = Client().get("/accounts/login/?organization=acme").content.decode()
    assert "Sign in with Acme ID" in page
    assert 'href="/accounts/sso/acme/"' in page
    plain = Client().get("/accounts/login/").content.decode()
    assert "Acme ID" not in plain
    assert "/accounts/sso/" in plain
    from tests.conftest import PASSWORD

    client = Client()
    client.post("/accounts/login/", {"username": cast.member.email, "password": PASSWORD})
    assert _signed_in_as(client) == cast.member.email


def test_finding_the_provider_by_work_e_mail(
    cast: Cast, issuer: str, private_allowed: None
) -> None:
    _configure(cast, cast.acme, issuer)
    response = Client().post("/accounts/sso/", {"email": "alice@example.com"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/sso/acme/?login_hint=alice@example.com"
    unknown = Client().post("/accounts/sso/", {"email": "x@elsewhere.test"})
    assert "No organisation signs in this address" in unknown.content.decode()


def test_nobody_can_register_themselves(cast: Cast) -> None:
    for path in ("/accounts/signup/", "/accounts/register/", "/accounts/sso/signup/"):
        assert Client().get(path).status_code == 404
