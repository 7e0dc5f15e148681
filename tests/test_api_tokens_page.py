"""Settings → API tokens: a person lists, creates (the secret shown once) and revokes their own
tokens; scopes beyond their roles are refused; the settings page links it and the webhooks."""

from __future__ import annotations

import re
from datetime import timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cluetrain.api.models import ApiToken
from cluetrain.api.services import authenticate, do_create_token
from cluetrain.core.audit import AuditEvent
from cluetrain.organizations.models import Person
from tests.conftest import Cast
from tests.test_security_headers import assert_secure_headers

PAGE = "/settings/tokens/"
SECRET = re.compile(r"ct_[A-Za-z0-9_-]{43}")


def _create(client: Client, cast: Cast, **data: object) -> tuple[int, str]:
    body = {"name": "nightly export", "organization": cast.acme.pk, **data}
    response = client.post(PAGE, body)
    return response.status_code, response.content.decode()


def test_it_lists_my_tokens_without_their_secrets(cast: Cast) -> None:
    mine, secret = do_create_token(cast.member, cast.acme, "nightly export", read_only=True)
    do_create_token(cast.director, cast.acme, "director's own")
    response = cast.client(cast.member).get(PAGE)
    assert response.status_code == 200
    assert_secure_headers(response, PAGE)
    html = response.content.decode()
    assert "nightly export" in html
    assert f"{mine.prefix}…" in html
    assert "reading only" in html
    assert "Acme" in html
    assert "never" in html  # not used yet, does not expire
    assert secret not in html
    assert not SECRET.search(html)
    assert "director&#x27;s own" not in html
    assert "director's own" not in html


def test_a_member_creates_a_token_and_sees_its_secret_only_once(cast: Cast) -> None:
    client = cast.client(cast.member)
    status, html = _create(client, cast, roles=["member"], days="30")
    assert status == 201, html
    found = SECRET.search(html)
    assert found is not None
    assert authenticate(found.group()) == (cast.member, cast.acme)
    token = ApiToken.objects.get(person=cast.member)
    assert (token.name, token.scope, token.read_only) == ("nightly export", "member", False)
    assert token.expires_at is not None
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    assert AuditEvent.objects.filter(
        organization=cast.acme, actor=cast.member, verb="api_token.created"
    ).exists()
    again = client.get(PAGE).content.decode()
    assert "nightly export" in again
    assert found.group() not in again


def test_the_answer_with_the_secret_is_not_cached_and_sends_the_security_headers(
    cast: Cast,
) -> None:
    response = cast.client(cast.member).post(PAGE, {"name": "x", "organization": cast.acme.pk})
    assert response.status_code == 201
    assert "no-store" in response.headers["Cache-Control"]
    assert_secure_headers(response, PAGE)
    assert not re.search(r"<script(?![^>]*\bsrc=)", response.content.decode())


def test_a_scope_beyond_my_roles_is_refused_with_a_clear_message(cast: Cast) -> None:
    client = cast.client(cast.member)
    page = client.get(PAGE).content.decode()
    # Only the member's own roles are offered.
    assert 'value="member"' in page
    assert 'value="director"' not in page
    status, html = _create(client, cast, roles=["member", "director"])
    assert status == 400
    assert "you do not hold director" in html
    assert not SECRET.search(html)
    assert not ApiToken.objects.filter(person=cast.member).exists()


def test_a_bad_name_or_lifetime_is_refused_with_the_services_message(cast: Cast) -> None:
    client = cast.client(cast.member)
    status, html = _create(client, cast, days="0")
    assert status == 400
    assert "A token lasts from 1 to" in html
    status, html = _create(client, cast, name="   ")
    assert status == 400
    assert not ApiToken.objects.filter(person=cast.member).exists()


def test_it_makes_tokens_in_any_of_my_organisations_but_no_other(cast: Cast) -> None:
    agency = cast.client(cast.agency)
    status, html = _create(agency, cast, organization=cast.globex.pk, read_only="on")
    assert status == 201, html
    assert ApiToken.objects.get(person=cast.agency).organization == cast.globex
    status, html = _create(cast.client(cast.member), cast, organization=cast.globex.pk)
    assert status == 400
    assert not ApiToken.objects.filter(person=cast.member).exists()


def test_a_token_name_stays_text(cast: Cast) -> None:
    client = cast.client(cast.member)
    name = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    status, created = _create(client, cast, name=name)
    assert status == 201
    listed = client.get(PAGE).content.decode()
    for html in (created, listed):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<script>alert" not in html
        assert "<img src=x" not in html


def test_i_revoke_my_token(cast: Cast) -> None:
    token, secret = do_create_token(cast.member, cast.acme, "old script")
    client = cast.client(cast.member)
    response = client.post(f"{PAGE}{token.pk}/revoke/", follow=True)
    assert response.redirect_chain == [(PAGE, 302)]
    assert "is revoked" in response.content.decode()
    token.refresh_from_db()
    assert token.state == "revoked"
    assert authenticate(secret) is None
    assert AuditEvent.objects.filter(actor=cast.member, verb="api_token.revoked").count() == 1
    # Revoked, it is still listed, with no button to revoke it again.
    assert f"{PAGE}{token.pk}/revoke/" not in client.get(PAGE).content.decode()
    assert client.get(f"{PAGE}{token.pk}/revoke/").status_code == 405


def test_another_persons_token_cannot_be_revoked_here(cast: Cast) -> None:
    token, secret = do_create_token(cast.member, cast.acme, "milo's")
    # Not even by a lead of the organisation: this page is one's own tokens only.
    for person in (cast.director, cast.outsider, cast.trainee):
        assert cast.client(person).post(f"{PAGE}{token.pk}/revoke/").status_code == 404
    assert authenticate(secret) == (cast.member, cast.acme)


def test_an_outsider_does_not_see_it(cast: Cast) -> None:
    token, _ = do_create_token(cast.member, cast.acme, "nightly export")
    html = cast.client(cast.outsider).get(PAGE).content.decode()
    assert "nightly export" not in html
    assert token.prefix not in html
    assert "no API tokens yet" in html
    anonymous = Client().get(PAGE)
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]
    nobody = Person.objects.create_user("nobody@example.com", "x" * 20, full_name="No Body")
    client = Client()
    client.force_login(nobody)
    assert client.get(PAGE).status_code == 403


def test_the_list_costs_the_same_queries_for_few_and_many_tokens(cast: Cast) -> None:
    client = cast.client(cast.agency)
    counts = []
    for how_many in (1, 8):
        for n in range(how_many):
            do_create_token(cast.agency, cast.globex if n % 2 else cast.acme, f"t{n}")
        with CaptureQueriesContext(connection) as captured:
            assert client.get(PAGE).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts


def test_the_settings_page_links_the_tokens_for_everyone_and_the_webhooks_for_leads(
    cast: Cast,
) -> None:
    for person in (cast.director, cast.admin):
        html = cast.client(person).get("/settings/").content.decode()
        assert 'href="/settings/webhooks/"' in html, person
        assert f'href="{PAGE}"' in html, person
        assert cast.client(person).get("/settings/webhooks/").status_code == 200
    for person in (cast.coordinator, cast.mentor, cast.member, cast.trainee, cast.agency):
        html = cast.client(person).get("/settings/").content.decode()
        assert 'href="/settings/webhooks/"' not in html, person
        assert f'href="{PAGE}"' in html, person
        assert cast.client(person).get(PAGE).status_code == 200
        assert cast.client(person).get("/settings/webhooks/").status_code == 403
