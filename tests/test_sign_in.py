"""Sign-in, throttling, password reset, and the organisation switcher."""

from __future__ import annotations

import re

from django.test import Client

from cluetrain.organizations.middleware import SESSION_KEY
from tests.conftest import PASSWORD, Cast


def test_a_person_signs_in_with_e_mail_and_password(cast: Cast) -> None:
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": cast.member.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_signing_in_is_throttled_after_repeated_failures(cast: Cast, settings: object) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):  # type: ignore[attr-defined]
        response = client.post(
            "/accounts/login/", {"username": cast.member.email, "password": "wrong"}
        )
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    # Even the right password is refused while locked out.
    response = client.post(
        "/accounts/login/", {"username": cast.member.email, "password": PASSWORD}
    )
    assert response.status_code == 429


def test_password_reset_by_e_mail(cast: Cast, mailoutbox: list) -> None:  # type: ignore[type-arg]
    client = Client()
    client.post("/accounts/password_reset/", {"email": cast.trainee.email})
    link = re.search(r"(/accounts/reset/\S+/)", mailoutbox[0].body)
    assert link
    response = client.get(link.group(1), follow=True)
    new = "a much better password 42"
    client.post(response.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    response = Client().post("/accounts/login/", {"username": cast.trainee.email, "password": new})
    assert response.status_code == 302


def test_a_reused_password_reset_link_is_refused(cast: Cast, mailoutbox: list) -> None:  # type: ignore[type-arg]
    client = Client()
    client.post("/accounts/password_reset/", {"email": cast.trainee.email})
    link = re.search(r"(/accounts/reset/\S+/)", mailoutbox[0].body).group(1)  # type: ignore[union-attr]
    page = client.get(link, follow=True)
    new = "a much better password 42"
    client.post(page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    again = Client().get(link, follow=True)
    assert "invalid or has already been used" in again.content.decode()


def test_the_switcher_moves_between_a_persons_organisations(cast: Cast) -> None:
    client = cast.client(cast.agency)
    response = client.post("/organizations/switch/", {"organization": cast.globex.pk})
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == cast.globex.pk
    assert "Globex" in client.get("/").content.decode()


def test_the_switcher_refuses_an_organisation_the_person_is_not_in(cast: Cast) -> None:
    client = cast.client(cast.member)
    for target in [cast.globex.pk, 999999, "nonsense"]:
        response = client.post("/organizations/switch/", {"organization": target})
        assert response.status_code == 403
    assert SESSION_KEY not in client.session


def test_an_outsider_sees_nothing_of_another_organisation(cast: Cast) -> None:
    client = cast.client(cast.outsider)
    client.post("/organizations/switch/", {"organization": cast.acme.pk})
    page = client.get("/people/").content.decode()
    assert "Milo Member" not in page
    response = client.get(f"/voices/{cast.member_voice.pk}/")
    assert response.status_code == 404


def test_pages_need_a_sign_in(cast: Cast) -> None:
    for url in ["/", "/publish/", "/people/", "/settings/", "/voices/", "/inbox/"]:
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_a_member_cannot_change_roles_or_settings(cast: Cast) -> None:
    client = cast.client(cast.member)
    response = client.post(
        "/settings/", {"action": "settings", "name": "Hacked", "time_zone": "UTC"}
    )
    assert response.status_code == 403
    cast.acme.refresh_from_db()
    assert cast.acme.name == "Acme"


def test_a_director_changes_the_disclosure_and_it_is_audited(cast: Cast) -> None:
    from cluetrain.core.models import AuditEvent

    response = cast.client(cast.director).post(
        "/settings/",
        {
            "action": "settings",
            "name": "Acme",
            "time_zone": "Europe/Paris",
            "disclosure_text": "#acmestaff",
            "disclosure_keywords": "",
        },
    )
    assert response.status_code == 302
    cast.acme.refresh_from_db()
    assert cast.acme.disclosure_text == "#acmestaff"
    event = AuditEvent.objects.get(verb="organization.updated")
    assert event.data["before"]["disclosure_text"] == "#iworkatacme"


def test_an_invalid_time_zone_is_refused_and_changes_nothing(cast: Cast) -> None:
    response = cast.client(cast.director).post(
        "/settings/",
        {"action": "settings", "name": "Acme", "time_zone": "Moon/Base", "disclosure_text": ""},
    )
    assert response.status_code == 200
    assert "not a known time zone" in response.content.decode()
    cast.acme.refresh_from_db()
    assert cast.acme.time_zone == "UTC"
