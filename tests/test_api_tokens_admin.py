"""Settings → API tokens → every token: an organisation's leads see all its tokens (never a
secret) and revoke any of them; nobody else sees or revokes another person's token."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cluetrain.api.models import ApiToken
from cluetrain.api.services import (
    authenticate,
    do_create_token,
    do_revoke_token,
    organization_tokens,
)
from cluetrain.core.errors import NotAllowed
from cluetrain.core.models import AuditEvent
from cluetrain.organizations.models import Person
from tests.conftest import Cast

PAGE = "/settings/tokens/all/"
SECRET = re.compile(r"ct_[A-Za-z0-9_-]{43}")
NOT_LEADS = ("coordinator", "mentor", "member", "trainee", "operations", "agency")


def revoke_url(token: ApiToken) -> str:
    return f"{PAGE}{token.pk}/revoke/"


def api_status(secret: str) -> int:
    return Client().get("/api/voices", headers={"Authorization": f"Bearer {secret}"}).status_code


def test_a_lead_sees_every_token_of_the_organisation_but_no_secret(cast: Cast) -> None:
    milo, milo_secret = do_create_token(cast.member, cast.acme, "milo's bot", read_only=True)
    mona, mona_secret = do_create_token(cast.mentor, cast.acme, "review bot", roles=["mentor"])
    do_revoke_token(cast.mentor, mona)
    own, own_secret = do_create_token(cast.admin, cast.acme, "admin's own")

    for lead in (cast.admin, cast.director):
        response = cast.client(lead).get(PAGE)
        assert response.status_code == 200, lead
        assert "no-store" in response.headers["Cache-Control"]
        html = response.content.decode()
        for token, owner in ((milo, cast.member), (mona, cast.mentor), (own, cast.admin)):
            assert f"{token.prefix}…" in html
            assert owner.email in html
            assert f'action="{revoke_url(token)}"' in html or token == mona
        assert "reading only" in html
        assert '<span class="chip">mentor</span>' in html
        # A revoked token is listed with its state, and offers no second revocation.
        assert "revoked" in html
        assert f'action="{revoke_url(mona)}"' not in html
        assert not SECRET.search(html)
        for secret in (milo_secret, mona_secret, own_secret):
            assert secret not in html


def test_a_lead_sees_no_other_organisations_tokens(cast: Cast) -> None:
    theirs, _ = do_create_token(cast.outsider, cast.globex, "globex pipeline")
    agency_there, _ = do_create_token(cast.agency, cast.globex, "agency in globex")
    agency_here, _ = do_create_token(cast.agency, cast.acme, "agency in acme")

    assert list(organization_tokens(cast.admin, cast.acme)) == [agency_here]
    html = cast.client(cast.admin).get(PAGE).content.decode()
    assert "agency in acme" in html
    for token in (theirs, agency_there):
        assert token.name not in html
        assert token.prefix not in html
    # Globex's director sees Globex's, and none of Acme's.
    assert set(organization_tokens(cast.outsider, cast.globex)) == {theirs, agency_there}


def test_a_lead_revokes_a_colleagues_token_and_it_stops_working(cast: Cast) -> None:
    token, secret = do_create_token(cast.member, cast.acme, "nightly export")
    assert api_status(secret) == 200

    response = cast.client(cast.admin).post(revoke_url(token), follow=True)

    assert response.redirect_chain == [(PAGE, 302)]
    assert "Milo Member&#x27;s token “nightly export” is revoked" in response.content.decode()
    token.refresh_from_db()
    assert token.state == "revoked"
    assert authenticate(secret) is None
    assert api_status(secret) == 401
    [event] = AuditEvent.objects.filter(verb="api_token.revoked")
    assert (event.organization, event.actor) == (cast.acme, cast.admin)
    assert event.target == str(token)
    assert event.data == {"owner": cast.member.email}
    # The owner sees it revoked on their own page.
    own_page = cast.client(cast.member).get("/settings/tokens/").content.decode()
    assert f"/settings/tokens/{token.pk}/revoke/" not in own_page


def test_revoking_twice_keeps_one_event(cast: Cast) -> None:
    token, _ = do_create_token(cast.member, cast.acme, "bot")
    client = cast.client(cast.director)
    assert client.post(revoke_url(token)).status_code == 302
    assert client.post(revoke_url(token)).status_code == 302
    assert AuditEvent.objects.filter(verb="api_token.revoked").count() == 1


@pytest.mark.parametrize("role", NOT_LEADS)
def test_nobody_else_sees_or_revokes_anothers_token_in_the_service(cast: Cast, role: str) -> None:
    person = getattr(cast, role)
    token, secret = do_create_token(cast.director, cast.acme, "director's bot")
    with pytest.raises(NotAllowed, match="directors and administrators"):
        organization_tokens(person, cast.acme)
    with pytest.raises(NotAllowed, match="owner or the organisation's leads"):
        do_revoke_token(person, token)
    assert authenticate(secret) == (cast.director, cast.acme)
    assert not AuditEvent.objects.filter(verb="api_token.revoked").exists()


@pytest.mark.parametrize("role", NOT_LEADS)
def test_nobody_else_sees_or_revokes_anothers_token_through_the_pages(
    cast: Cast, role: str
) -> None:
    token, secret = do_create_token(cast.director, cast.acme, "director's bot")
    client = cast.client(getattr(cast, role))
    listing = client.get(PAGE)
    assert listing.status_code == 403
    assert "director&#x27;s bot" not in listing.content.decode()
    # Refused before the lookup: a real id and an unknown one get the same answer.
    assert client.post(revoke_url(token)).status_code == 403
    assert client.post(f"{PAGE}999999/revoke/").status_code == 403
    # Their own page links no list of everyone's tokens.
    assert f'href="{PAGE}"' not in client.get("/settings/tokens/").content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None
    assert authenticate(secret) == (cast.director, cast.acme)


def test_another_organisations_lead_cannot_revoke_here(cast: Cast) -> None:
    token, secret = do_create_token(cast.member, cast.acme, "milo's bot")
    # The outsider leads Globex: Acme's tokens are not theirs to find, nor to revoke.
    assert cast.client(cast.outsider).post(revoke_url(token)).status_code == 404
    with pytest.raises(NotAllowed):
        do_revoke_token(cast.outsider, token)
    # Nor does Acme's admin reach Globex's tokens from Acme.
    theirs, their_secret = do_create_token(cast.outsider, cast.globex, "globex bot")
    assert cast.client(cast.admin).post(revoke_url(theirs)).status_code == 404
    assert authenticate(secret) == (cast.member, cast.acme)
    assert authenticate(their_secret) == (cast.outsider, cast.globex)


def test_signed_out_people_and_people_without_an_organisation_are_refused(cast: Cast) -> None:
    token, _ = do_create_token(cast.member, cast.acme, "bot")
    anonymous = Client()
    assert "/accounts/login/" in anonymous.get(PAGE)["Location"]
    assert "/accounts/login/" in anonymous.post(revoke_url(token))["Location"]
    nobody = Person.objects.create_user("nobody@example.com", "x" * 20, full_name="No Body")
    client = Client()
    client.force_login(nobody)
    assert client.get(PAGE).status_code == 403
    assert client.post(revoke_url(token)).status_code == 403
    assert client.get(revoke_url(token)).status_code in (403, 405)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_hostile_token_and_owner_names_stay_text(cast: Cast) -> None:
    name = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    cast.member.full_name = "<b onmouseover=alert(3)>Milo</b>"
    cast.member.save(update_fields=["full_name"])
    token, _ = do_create_token(cast.member, cast.acme, name)
    client = cast.client(cast.admin)

    listed = client.get(PAGE).content.decode()
    revoked = client.post(revoke_url(token), follow=True).content.decode()

    for html in (listed, revoked):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "&lt;b onmouseover=alert(3)&gt;Milo&lt;/b&gt;" in html
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "<b onmouseover" not in html


def test_leads_find_the_list_from_the_settings_and_their_own_tokens(cast: Cast) -> None:
    for lead in (cast.admin, cast.director):
        client = cast.client(lead)
        assert f'href="{PAGE}"' in client.get("/settings/").content.decode()
        assert f'href="{PAGE}"' in client.get("/settings/tokens/").content.decode()
    for role in NOT_LEADS:
        html = cast.client(getattr(cast, role)).get("/settings/").content.decode()
        assert f'href="{PAGE}"' not in html, role


def test_the_list_costs_the_same_queries_for_few_and_many_tokens(cast: Cast) -> None:
    client = cast.client(cast.admin)
    people = [cast.member, cast.mentor, cast.trainee, cast.agency]
    counts = []
    for how_many in (1, 8):
        for n in range(how_many):
            do_create_token(people[n % len(people)], cast.acme, f"t{how_many}-{n}")
        with CaptureQueriesContext(connection) as captured:
            assert client.get(PAGE).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts
