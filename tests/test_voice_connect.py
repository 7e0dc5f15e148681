"""Connecting voices from the Voices page: Bluesky, feeds, practice, and who may.

Bluesky runs against the real PDS on loopback (so those tests allow private addresses).
Mastodon and webhooks are in tests/test_voice_connect_mastodon.py and
tests/test_voice_connect_webhook.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
from atproto import Client, Session
from django.db import connection
from django.test import Client as WebClient
from django.test.utils import CaptureQueriesContext

from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.voices import connect, services
from cluetrain.voices.models import Network, Voice, VoiceKind, VoiceStatus
from tests.conftest import Cast
from tests.support.voices import SECRET, ciphertext, messages_of, page

# -- Bluesky, against the local PDS -----------------------------------------------------------

ACCOUNT_PASSWORD = "the-accounts-own-password"


@dataclass(frozen=True)
class BlueskyAccount:
    handle: str
    did: str
    app_password: str
    access_jwt: str

    def new_app_password(self, pds: str) -> str:
        return str(
            reader(pds)
            .com.atproto.server.create_app_password(
                {"name": f"cluetrain-{uuid.uuid4().hex[:6]}"},
                headers={"Authorization": f"Bearer {self.access_jwt}"},
            )
            .password
        )


@cache
def reader(pds: str) -> Client:
    return Client(base_url=f"{pds}/xrpc")


def bluesky_account(pds: str) -> BlueskyAccount:
    """A new account on the PDS, made as tests/test_bluesky.py does, with an app password."""
    handle = f"u{uuid.uuid4().hex[:10]}.test"
    made = reader(pds).com.atproto.server.create_account(
        {"handle": handle, "email": f"{handle}@example.com", "password": ACCOUNT_PASSWORD}
    )
    account = BlueskyAccount(handle, made.did, "", made.access_jwt)
    return BlueskyAccount(handle, made.did, account.new_app_password(pds), made.access_jwt)


def test_a_person_connects_their_own_bluesky_account(
    cast: Cast, pds: str, private_allowed: None
) -> None:
    account = bluesky_account(pds)
    client = cast.client(cast.trainee)

    response = client.post(
        "/voices/",
        {
            "action": "bluesky",
            "bluesky-handle": f"@{account.handle}",
            "bluesky-app_password": account.app_password,
            "bluesky-service": pds,
        },
        follow=True,
    )

    voice = Voice.objects.get(organization=cast.acme, network=Network.BLUESKY)
    assert (voice.kind, voice.owner, voice.handle) == (
        VoiceKind.PERSONAL,
        cast.trainee,
        account.handle,
    )
    assert f"Your Bluesky account {account.handle} is connected" in messages_of(response)[0]
    stored = ciphertext(voice)
    assert account.app_password not in stored
    assert account.handle not in stored
    credential = voice.get_credential()
    assert credential["app_password"] == account.app_password
    assert credential["service"] == pds
    assert credential["account_id"] == account.did
    assert credential["session"]  # the login's session: the first post needs no new login
    for shown in [response.content.decode(), page(client, f"/voices/{voice.pk}/")]:
        assert account.app_password not in shown
        assert credential["session"] not in shown


def test_a_wrong_password_is_refused_and_nothing_is_stored(
    cast: Cast, pds: str, private_allowed: None
) -> None:
    account = bluesky_account(pds)
    client = cast.client(cast.member)

    response = client.post(
        "/voices/",
        {
            "action": "bluesky",
            "bluesky-handle": account.handle,
            "bluesky-app_password": "wrong-pass-word-1234",
            "bluesky-service": pds,
        },
    )

    assert response.status_code == 200
    shown = response.content.decode()
    assert "Bluesky refused" in shown
    assert "use an app password from Settings → App passwords" in shown
    assert "wrong-pass-word-1234" not in shown
    assert not Voice.objects.filter(network=Network.BLUESKY).exists()


def test_the_accounts_own_password_is_refused(cast: Cast, pds: str, private_allowed: None) -> None:
    account = bluesky_account(pds)
    with pytest.raises(ServiceError, match="the account's own password"):
        connect.do_connect_bluesky(cast.member, cast.acme, account.handle, ACCOUNT_PASSWORD, pds)
    assert not Voice.objects.filter(network=Network.BLUESKY).exists()


def test_a_login_that_sends_the_account_inside_the_network_is_kept_nowhere(
    cast: Cast, pds: str, settings: Any
) -> None:
    settings.ALLOW_PRIVATE_URLS = True
    account = bluesky_account(pds)
    voice = connect.do_connect_bluesky(
        cast.member, cast.acme, account.handle, account.app_password, pds
    )
    # The server's answer names the account's own server, which later posts go to.
    session = Session.decode(voice.get_credential()["session"])
    assert session.pds_endpoint == f"{pds}/xrpc"
    moved = Session(
        session.handle,
        session.did,
        session.access_jwt,
        session.refresh_jwt,
        "http://169.254.169.254",
    ).encode()
    settings.ALLOW_PRIVATE_URLS = False
    with pytest.raises(
        ServiceError,
        match=r"placed this account on another server: 169\.254\.169\.254 is a link-local",
    ):
        connect._check_session(moved)


def test_a_bluesky_server_on_loopback_is_refused_unless_allowed(
    cast: Cast, pds: str, settings: Any
) -> None:
    settings.ALLOW_PRIVATE_URLS = False
    account = bluesky_account(pds)
    with pytest.raises(ServiceError, match="is a loopback address"):
        connect.do_connect_bluesky(
            cast.member, cast.acme, account.handle, account.app_password, pds
        )
    assert not Voice.objects.filter(network=Network.BLUESKY).exists()


def test_an_unreachable_bluesky_server_says_so(cast: Cast, private_allowed: None) -> None:
    with pytest.raises(ServiceError, match="Check the address, or try again"):
        connect.do_connect_bluesky(
            cast.member, cast.acme, "alice.test", "abcd-efgh-ijkl-mnop", "http://127.0.0.1:9"
        )
    assert not Voice.objects.filter(network=Network.BLUESKY).exists()


def test_only_the_owner_reconnects_a_bluesky_voice(
    cast: Cast, pds: str, private_allowed: None
) -> None:
    account = bluesky_account(pds)
    voice = connect.do_connect_bluesky(
        cast.member, cast.acme, account.handle, account.app_password, pds
    )
    Voice.objects.filter(pk=voice.pk).update(status=VoiceStatus.NEEDS_RECONNECT)
    before = ciphertext(voice)
    fresh = account.new_app_password(pds)

    # An administrator may not, not even with a working password: nothing is sent to Bluesky.
    with pytest.raises(NotAllowed, match="Only the owner"):
        connect.do_reconnect_bluesky(cast.admin, voice, fresh)
    response = cast.client(cast.admin).post(
        f"/voices/{voice.pk}/", {"action": "reconnect", "reconnect-app_password": fresh}
    )
    assert response.status_code == 403
    assert ciphertext(voice) == before

    response = cast.client(cast.member).post(
        f"/voices/{voice.pk}/", {"action": "reconnect", "reconnect-app_password": fresh}
    )
    assert response.status_code == 302
    voice.refresh_from_db()
    assert voice.status == VoiceStatus.CONNECTED
    assert voice.get_credential()["app_password"] == fresh
    assert fresh not in page(cast.client(cast.member), f"/voices/{voice.pk}/")


def test_a_manager_connects_an_official_bluesky_account(
    cast: Cast, pds: str, private_allowed: None
) -> None:
    account = bluesky_account(pds)
    voice = connect.do_connect_bluesky(
        cast.coordinator,
        cast.acme,
        account.handle,
        account.app_password,
        pds,
        official=True,
        department=cast.care,
    )
    assert (voice.kind, voice.owner, voice.name) == (VoiceKind.OFFICIAL, None, "Acme Customer care")
    # Every voice outside the practice space has a public feed of what it published.
    shown = page(cast.client(cast.mentor), f"/voices/{voice.pk}/")
    assert f"/feeds/acme/voices/{voice.pk}.atom" in shown
    assert f"/feeds/acme/voices/{voice.pk}.rss" in shown


# -- feeds and the practice space -------------------------------------------------------------


def test_a_feed_voice_shows_its_public_atom_and_rss_addresses(cast: Cast) -> None:
    client = cast.client(cast.coordinator)
    response = client.post(
        "/voices/",
        {"action": "feed", "feed-department": str(cast.care.pk), "feed-name": ""},
    )
    voice = Voice.objects.get(network=Network.FEED)
    assert response["Location"] == f"/voices/{voice.pk}/"
    assert (voice.handle, voice.name) == ("acme-customer-care", "Acme Customer care")
    shown = page(client, f"/voices/{voice.pk}/")
    for kind in ["atom", "rss"]:
        assert f"http://127.0.0.1:8000/feeds/acme/voices/{voice.pk}.{kind}" in shown
        assert WebClient().get(f"/feeds/acme/voices/{voice.pk}.{kind}").status_code == 200
    # A second feed for the same department gets a handle of its own.
    again = connect.do_create_feed_voice(
        cast.coordinator, cast.acme, department=cast.care, name="Acme Customer care news"
    )
    assert again.handle == "acme-customer-care-news"
    third = connect.do_create_feed_voice(cast.director, cast.acme, department=cast.care)
    assert third.handle == "acme-customer-care-2"


def test_a_person_opens_their_own_practice_space(cast: Cast) -> None:
    client = cast.client(cast.trainee)
    response = client.post("/voices/", {"action": "practice"}, follow=True)
    voice = Voice.objects.get(network=Network.PRACTICE, owner=cast.trainee)
    assert (voice.kind, voice.handle, voice.name) == (
        VoiceKind.PERSONAL,
        "tess-trainee",
        "Tess Trainee",
    )
    assert "Only you can post from it" in messages_of(response)[0]
    shown = page(client, f"/voices/{voice.pk}/")
    assert "/feeds/" not in shown
    assert "stay inside Cluetrain" in shown
    response = client.post("/voices/", {"action": "practice"})
    assert "You already have a practice voice here: Tess Trainee" in response.content.decode()
    assert Voice.objects.filter(network=Network.PRACTICE, owner=cast.trainee).count() == 1


# -- who may ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"action": "official-bluesky", "official-bluesky-handle": "acme.test"},
        {"action": "official-mastodon", "official-mastodon-instance": "mastodon.example"},
        {"action": "webhook", "webhook-url": "https://93.184.215.14/", "webhook-secret": SECRET},
        {"action": "feed"},
        {"action": "official-practice"},
    ],
)
def test_a_member_cannot_create_official_voices(cast: Cast, data: dict[str, str]) -> None:
    client = cast.client(cast.member)
    assert client.post("/voices/", data).status_code == 403
    assert "Create an official voice" not in page(client)
    assert not Voice.objects.exclude(pk__in=[cast.member_voice.pk, cast.care_voice.pk]).exists()


def test_the_services_refuse_official_voices_to_a_member(cast: Cast) -> None:
    member, acme = cast.member, cast.acme
    refused = [
        lambda: connect.do_connect_webhook(member, acme, "https://93.184.215.14/", SECRET),
        lambda: connect.do_create_feed_voice(member, acme),
        lambda: connect.do_create_practice_voice(member, acme, official=True),
        lambda: connect.do_connect_bluesky(member, acme, "acme.test", "pw", official=True),
        lambda: connect.start_mastodon(
            member, acme, "mastodon.example", connect.mastodon_redirect_uri(), official=True
        ),
        # Outsiders connect nothing, not even their own account, in an organisation not theirs.
        lambda: connect.do_create_practice_voice(cast.outsider, acme),
    ]
    for attempt in refused:
        with pytest.raises(NotAllowed):
            attempt()
    assert Voice.objects.filter(organization=acme).count() == 2


def test_a_personal_voice_is_reconnected_by_its_owner_only(cast: Cast) -> None:
    voice = cast.member_voice
    assert services.can_reconnect(cast.member, voice)
    for other in [cast.admin, cast.director, cast.coordinator, cast.trainee]:
        assert not services.can_reconnect(other, voice)
        with pytest.raises(NotAllowed, match="Only the owner"):
            services.check_can_reconnect(other, voice)
    assert services.can_reconnect(cast.coordinator, cast.care_voice)
    assert not services.can_reconnect(cast.mentor, cast.care_voice)  # may post, not manage


def test_the_voices_page_shows_health_with_a_constant_query_count(cast: Cast) -> None:
    client = cast.client(cast.director)
    client.get("/voices/")
    with CaptureQueriesContext(connection) as before:
        client.get("/voices/")
    for n in range(5):
        connect.do_create_feed_voice(cast.director, cast.acme, name=f"Acme feed {n}")
    Voice.objects.filter(network=Network.FEED).update(status=VoiceStatus.NEEDS_RECONNECT)
    with CaptureQueriesContext(connection) as after:
        shown = client.get("/voices/").content.decode()
    assert "Acme feed 4" in shown
    assert shown.count("Needs reconnecting") == 5
    assert len(after) == len(before)


def test_granting_and_withdrawing_access_still_work_beside_reconnecting(cast: Cast) -> None:
    client = cast.client(cast.coordinator)
    url = f"/voices/{cast.care_voice.pk}/"
    response = client.post(url, {"action": "grant", "person": str(cast.member.pk)})
    assert response.status_code == 302
    assert cast.care_voice.access.filter(person=cast.member).exists()
    client.post(url, {"action": "revoke", "person": str(cast.member.pk)})
    assert not cast.care_voice.access.filter(person=cast.member).exists()
    # A practice voice has nothing to reconnect; asking is a bad request, not a grant.
    assert (
        client.post(url, {"action": "reconnect", "person": str(cast.member.pk)}).status_code == 400
    )
    assert not cast.care_voice.access.filter(person=cast.member).exists()
