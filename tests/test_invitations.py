"""Invitations by e-mail link, and every way a link can be wrong."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.core.models import AuditEvent
from cluetrain.organizations import services
from cluetrain.organizations.models import Invitation, Membership, Person
from cluetrain.organizations.roles import Role
from tests.conftest import PASSWORD, Cast


def invite(
    cast: Cast, email: str = "newcomer@example.com", roles: tuple[str, ...] = ("member",)
) -> str:
    _, link = services.do_invite(cast.coordinator, cast.acme, email, roles, departments=[cast.care])
    return link.split("/invitations/")[1].rstrip("/")


def test_an_invitation_is_sent_by_e_mail_with_a_working_link(cast: Cast, mailoutbox: list) -> None:  # type: ignore[type-arg]
    token = invite(cast)
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["newcomer@example.com"]
    assert token in mailoutbox[0].body
    # Only a hash is stored.
    assert not Invitation.objects.filter(token_hash=token).exists()

    client = Client()
    page = client.get(f"/invitations/{token}/")
    assert page.status_code == 200
    assert "Join Acme" in page.content.decode()
    response = client.post(
        f"/invitations/{token}/",
        {"full_name": "Nia Newcomer", "password": PASSWORD, "password_again": PASSWORD},
    )
    assert response.status_code == 302
    person = Person.objects.get(email="newcomer@example.com")
    membership = Membership.objects.get(person=person, organization=cast.acme)
    assert membership.role_names == ["member"]
    assert list(membership.departments.all()) == [cast.care]
    assert person.password.startswith("argon2")
    assert AuditEvent.objects.filter(verb="invitation.accepted", actor=person).exists()


def test_a_used_link_cannot_be_used_again(cast: Cast) -> None:
    token = invite(cast)
    services.do_accept_invitation(token, full_name="Nia Newcomer", password=PASSWORD)
    response = Client().get(f"/invitations/{token}/")
    assert response.status_code == 410
    assert "already been used" in response.content.decode()
    with pytest.raises(services.InvitationInvalid, match="already been used"):
        services.do_accept_invitation(token, full_name="Someone Else", password=PASSWORD)
    assert Person.objects.filter(email="newcomer@example.com").count() == 1


def test_an_expired_link_is_refused_and_changes_nothing(cast: Cast) -> None:
    token = invite(cast)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = Client().post(
        f"/invitations/{token}/",
        {"full_name": "Late Larry", "password": PASSWORD, "password_again": PASSWORD},
    )
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not Person.objects.filter(email="newcomer@example.com").exists()


@pytest.mark.parametrize("token", ["nonsense", "x" * 500, "%00", "<script>alert(1)</script>"])
def test_an_invalid_link_gets_a_clear_page(cast: Cast, token: str) -> None:
    response = Client().get(f"/invitations/{token}/")
    assert response.status_code in {404, 410}
    if response.status_code == 410:
        assert "not valid" in response.content.decode()
        assert "<script>alert" not in response.content.decode()


def test_a_withdrawn_invitation_cannot_be_accepted(cast: Cast) -> None:
    token = invite(cast)
    invitation = Invitation.objects.get(email="newcomer@example.com")
    services.do_revoke_invitation(cast.director, invitation)
    with pytest.raises(services.InvitationInvalid, match="withdrawn"):
        services.do_accept_invitation(token, full_name="Nia", password=PASSWORD)


def test_an_invitation_for_someone_else_is_refused(cast: Cast) -> None:
    token = invite(cast)
    with pytest.raises(services.InvitationInvalid, match=r"is for newcomer@example\.com"):
        services.do_accept_invitation(token, person=cast.outsider)
    assert not Membership.objects.filter(person=cast.outsider, organization=cast.acme).exists()


def test_an_existing_person_joins_a_second_organisation(cast: Cast) -> None:
    _, link = services.do_invite(cast.outsider, cast.globex, cast.mentor.email, ["mentor"])
    token = link.rsplit("/", 2)[1]
    client = cast.client(cast.mentor)
    assert client.post(f"/invitations/{token}/").status_code == 302
    assert Membership.objects.filter(person=cast.mentor, organization=cast.globex).exists()


def test_a_weak_password_is_refused_with_the_reason(cast: Cast) -> None:
    token = invite(cast)
    response = Client().post(
        f"/invitations/{token}/", {"full_name": "Nia", "password": "123", "password_again": "123"}
    )
    assert response.status_code == 200
    assert "too short" in response.content.decode()
    assert Invitation.objects.get(email="newcomer@example.com").accepted_at is None


def test_a_coordinator_cannot_invite_a_director(cast: Cast) -> None:
    with pytest.raises(NotAllowed, match="Director"):
        services.do_invite(cast.coordinator, cast.acme, "boss@example.com", ["director"])
    assert not Invitation.objects.filter(email="boss@example.com").exists()


def test_members_and_outsiders_cannot_invite(cast: Cast) -> None:
    for person in (cast.member, cast.outsider):
        with pytest.raises(NotAllowed):
            services.do_invite(person, cast.acme, "x@example.com", ["member"])


@pytest.mark.parametrize("email", ["", "not-an-address", "a@b", "x" * 300 + "@example.com"])
def test_a_bad_address_is_refused(cast: Cast, email: str) -> None:
    with pytest.raises(ServiceError, match="not a valid e-mail"):
        services.do_invite(cast.director, cast.acme, email, ["member"])


def test_an_unknown_role_is_refused(cast: Cast) -> None:
    with pytest.raises(ServiceError, match="not a role"):
        services.do_invite(cast.director, cast.acme, "x@example.com", ["persona"])


def test_the_settings_page_sends_an_invitation(cast: Cast, mailoutbox: list) -> None:  # type: ignore[type-arg]
    response = cast.client(cast.director).post(
        "/settings/", {"action": "invite", "email": "fresh@example.com", "roles": ["trainee"]}
    )
    assert response.status_code == 302
    assert re.search(r"/invitations/[\w-]+/", mailoutbox[0].body)


def test_roles_can_be_changed_but_the_last_lead_stays(cast: Cast) -> None:
    membership = Membership.objects.get(person=cast.member, organization=cast.acme)
    services.do_set_roles(cast.director, membership, ["member", "mentor"])
    assert membership.role_names == ["member", "mentor"]
    # Take away every lead but one, then try the last.
    Membership.objects.get(person=cast.admin, organization=cast.acme).role_grants.all().delete()
    director = Membership.objects.get(person=cast.director, organization=cast.acme)
    with pytest.raises(ServiceError, match="at least one administrator or director"):
        services.do_set_roles(cast.director, director, [Role.MEMBER])
