"""Connecting voices from the Voices page: Bluesky, Mastodon, webhooks, feeds, practice.

Bluesky runs against the real PDS on loopback (so those tests allow private addresses),
Mastodon against answers shaped like the recordings in tests/recordings/mastodon/ (served by
``responses`` under Mastodon.py), webhooks against a real HTTP receiver (pytest-httpserver).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from atproto import Client, Session
from django.db import connection
from django.test import Client as WebClient
from django.test.utils import CaptureQueriesContext
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.networks.webhook import verify_signature
from cluetrain.voices import connect, services
from cluetrain.voices.models import Network, Voice, VoiceKind, VoiceStatus
from cluetrain.voices.views import MASTODON_PENDING
from tests.conftest import Cast

# -- helpers ----------------------------------------------------------------------------------


def ciphertext(voice: Voice) -> str:
    """The credential column exactly as the database holds it."""
    return Voice.objects.filter(pk=voice.pk).values_list("credential_ciphertext", flat=True)[0]


def page(client: WebClient, url: str = "/voices/") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


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


@pytest.fixture
def private_allowed(settings: Any) -> None:
    # The PDS and the webhook receiver listen on loopback.
    settings.ALLOW_PRIVATE_URLS = True


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


# -- Mastodon, through both OAuth steps ---------------------------------------------------------

BASE = "https://mastodon.example"
TOKEN = "ZA-Yj3aBD8U8Cm7lKUp-lm9O9BmDgdhHzDeqsY8tlL0"
CLIENT_ID = "TWhM-tNSuncnqN7DBJmoyeLnk6K3iJJ71KKXxgL1hPM"
CLIENT_SECRET = "ZEaFUFmF0umgBX1qKJDjaU99Q31lDkOU8NutzTOoliw"
# The parts of the recorded answers (application.json, token.json, instance_v2.json,
# account.json) that connecting reads.
APPLICATION = {
    "id": "563419",
    "name": "Cluetrain",
    "website": None,
    "scopes": ["read", "write"],
    "redirect_uri": "http://127.0.0.1:8000/voices/mastodon/callback/",
    "client_id": CLIENT_ID,
    "client_secret": CLIENT_SECRET,
    "client_secret_expires_at": 0,
}
TOKEN_ANSWER = {
    "access_token": TOKEN,
    "token_type": "Bearer",
    "scope": "read write",
    "created_at": 1714642200,
}
INSTANCE = {
    "domain": "example.org",
    "title": "Mastodon Example",
    "version": "4.2.8",
    "configuration": {
        "statuses": {
            "max_characters": 640,
            "max_media_attachments": 6,
            "characters_reserved_per_url": 23,
        }
    },
}
ACCOUNT = {
    "id": "109348214906548270",
    "username": "alice",
    "acct": "alice",
    "display_name": "Alice at Acme",
    "url": "https://mastodon.example/@alice",
}


@pytest.fixture
def mastodon(private_allowed: None) -> Iterator[responses.RequestsMock]:
    # mastodon.example resolves nowhere here; the guard's refusals are tested on their own.
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, f"{BASE}/api/v1/apps", json=APPLICATION)
        mock.add(responses.GET, f"{BASE}/.well-known/oauth-authorization-server", status=404)
        mock.add(responses.POST, f"{BASE}/oauth/token", json=TOKEN_ANSWER)
        mock.add(responses.GET, f"{BASE}/api/v2/instance/", json=INSTANCE)
        mock.add(responses.GET, f"{BASE}/api/v1/accounts/verify_credentials", json=ACCOUNT)
        yield mock


def calls(mock: responses.RequestsMock, method: str, path: str) -> list[Any]:
    return [
        c.request
        for c in mock.calls
        if c.request.method == method and urlsplit(c.request.url or "").path == path
    ]


def leave_for_mastodon(client: WebClient, data: dict[str, str]) -> str:
    """Post the form; return the state in the authorize URL the person is sent to."""
    response = client.post("/voices/", data)
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert (target.scheme, target.netloc, target.path) == (
        "https",
        "mastodon.example",
        "/oauth/authorize",
    )
    query = parse_qs(target.query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == ["http://127.0.0.1:8000/voices/mastodon/callback/"]
    assert CLIENT_SECRET not in response["Location"]
    # Kept in the person's session, encrypted: not even the session table holds the secret.
    assert CLIENT_SECRET not in str(client.session[MASTODON_PENDING])
    return query["state"][0]


def test_a_person_connects_their_own_mastodon_account(
    cast: Cast, mastodon: responses.RequestsMock
) -> None:
    client = cast.client(cast.trainee)
    state = leave_for_mastodon(
        client, {"action": "mastodon", "mastodon-instance": "mastodon.example"}
    )

    response = client.get(
        "/voices/mastodon/callback/", {"code": "the-code", "state": state}, follow=True
    )

    voice = Voice.objects.get(organization=cast.acme, network=Network.MASTODON)
    assert (voice.kind, voice.owner, voice.handle) == (
        VoiceKind.PERSONAL,
        cast.trainee,
        "@alice@example.org",
    )
    assert "Your Mastodon account @alice@example.org is connected" in messages_of(response)[0]
    [token_request] = calls(mastodon, "POST", "/oauth/token")
    sent = parse_qs(str(token_request.body))
    assert sent["code"] == ["the-code"]
    assert sent["redirect_uri"] == ["http://127.0.0.1:8000/voices/mastodon/callback/"]
    credential = voice.get_credential()
    assert credential["access_token"] == TOKEN
    assert credential["max_characters"] == 640
    assert TOKEN not in ciphertext(voice)
    assert CLIENT_SECRET not in ciphertext(voice)
    for shown in [response.content.decode(), page(client, f"/voices/{voice.pk}/")]:
        assert TOKEN not in shown
        assert CLIENT_SECRET not in shown
    assert MASTODON_PENDING not in client.session


def test_a_wrong_state_is_refused_and_the_code_never_used(
    cast: Cast, mastodon: responses.RequestsMock
) -> None:
    client = cast.client(cast.trainee)
    state = leave_for_mastodon(
        client, {"action": "mastodon", "mastodon-instance": "mastodon.example"}
    )

    response = client.get(
        "/voices/mastodon/callback/", {"code": "slipped-in", "state": state[:-1] + "x"}, follow=True
    )

    assert "does not belong to the connection you started" in messages_of(response)[0]
    assert not calls(mastodon, "POST", "/oauth/token")
    assert not Voice.objects.filter(network=Network.MASTODON).exists()
    # The state is used once: the right one afterwards finds nothing waiting.
    response = client.get(
        "/voices/mastodon/callback/", {"code": "the-code", "state": state}, follow=True
    )
    assert "No Mastodon connection was waiting" in messages_of(response)[0]
    assert not Voice.objects.filter(network=Network.MASTODON).exists()


def test_a_refusal_on_the_instance_connects_nothing(
    cast: Cast, mastodon: responses.RequestsMock
) -> None:
    client = cast.client(cast.trainee)
    leave_for_mastodon(client, {"action": "mastodon", "mastodon-instance": "mastodon.example"})
    response = client.get(
        "/voices/mastodon/callback/",
        {"error": "access_denied", "error_description": "The resource owner denied the request."},
        follow=True,
    )
    [message] = messages_of(response)
    assert (
        message == "Cluetrain was not let in on Mastodon: you did not approve it. Nothing changed."
    )
    assert not calls(mastodon, "POST", "/oauth/token")
    assert not Voice.objects.filter(network=Network.MASTODON).exists()


def test_nobody_finishes_someone_elses_mastodon_connection(
    cast: Cast, mastodon: responses.RequestsMock
) -> None:
    start = connect.start_mastodon(
        cast.trainee, cast.acme, "mastodon.example", connect.mastodon_redirect_uri()
    )
    state = parse_qs(urlsplit(start.authorize_url).query)["state"][0]
    with pytest.raises(NotAllowed, match="started by someone else"):
        connect.finish_mastodon(cast.member, cast.acme, start.pending, "the-code", state)
    assert not calls(mastodon, "POST", "/oauth/token")
    assert not Voice.objects.filter(network=Network.MASTODON).exists()


def test_a_manager_connects_an_official_mastodon_account_and_reconnects_it(
    cast: Cast, mastodon: responses.RequestsMock
) -> None:
    client = cast.client(cast.coordinator)
    state = leave_for_mastodon(
        client,
        {
            "action": "official-mastodon",
            "official-mastodon-instance": "https://Mastodon.Example/",
            "official-mastodon-department": str(cast.care.pk),
        },
    )
    client.get("/voices/mastodon/callback/", {"code": "the-code", "state": state})
    voice = Voice.objects.get(network=Network.MASTODON)
    assert (voice.kind, voice.name, voice.department) == (
        VoiceKind.OFFICIAL,
        "Acme Customer care",
        cast.care,
    )

    # The instance revoked the token: the page says so, and a manager sends it through OAuth.
    Voice.objects.filter(pk=voice.pk).update(status=VoiceStatus.NEEDS_RECONNECT)
    assert "Needs reconnecting" in page(client)
    assert f'href="/voices/{voice.pk}/#reconnect"' in page(client)
    assert f'href="/voices/{voice.pk}/#reconnect"' not in page(cast.client(cast.mentor))
    assert (
        cast.client(cast.mentor).post(f"/voices/{voice.pk}/", {"action": "reconnect"}).status_code
        == 403
    )
    response = client.post(f"/voices/{voice.pk}/", {"action": "reconnect"})
    state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
    response = client.get("/voices/mastodon/callback/", {"code": "new-code", "state": state})
    assert response["Location"] == f"/voices/{voice.pk}/"
    voice.refresh_from_db()
    assert voice.status == VoiceStatus.CONNECTED
    assert len(calls(mastodon, "POST", "/oauth/token")) == 2


def test_a_mastodon_instance_inside_the_network_is_refused(cast: Cast, settings: Any) -> None:
    settings.ALLOW_PRIVATE_URLS = False
    with responses.RequestsMock() as mock:
        for instance in ["127.0.0.1", "http://169.254.169.254", "[::1]:3000"]:
            with pytest.raises(ServiceError, match="Cluetrain only connects to public servers"):
                connect.start_mastodon(
                    cast.member, cast.acme, instance, connect.mastodon_redirect_uri()
                )
        assert len(mock.calls) == 0


# -- webhooks, against a real receiver --------------------------------------------------------

SECRET = "a-webhook-secret-of-some-length"


def receiver(httpserver: HTTPServer, secret: str = SECRET) -> None:
    """A receiver that accepts only deliveries signed with ``secret``, as a real one would."""

    def handle(request: Request) -> Response:
        signed = verify_signature(
            secret,
            request.headers.get("X-Cluetrain-Timestamp", ""),
            request.get_data(),
            request.headers.get("X-Cluetrain-Signature", ""),
        )
        return Response("ok" if signed else "bad signature", status=200 if signed else 401)

    httpserver.expect_request("/hook", method="POST").respond_with_handler(handle)


def test_a_manager_connects_a_webhook_verified_by_a_signed_ping(
    cast: Cast, httpserver: HTTPServer, private_allowed: None
) -> None:
    receiver(httpserver)
    url = httpserver.url_for("/hook?channel=care-room")
    client = cast.client(cast.coordinator)

    response = client.post(
        "/voices/",
        {
            "action": "webhook",
            "webhook-url": url,
            "webhook-secret": SECRET,
            "webhook-format": "json",
            "webhook-department": str(cast.care.pk),
        },
    )

    assert response.status_code == 302
    [(ping, _)] = httpserver.log
    assert ping.get_json() == {"event": "ping"}
    voice = Voice.objects.get(network=Network.WEBHOOK)
    assert (voice.kind, voice.name) == (VoiceKind.OFFICIAL, "Acme Customer care")
    assert voice.get_credential() == {"url": url, "secret": SECRET, "format": "json"}
    assert SECRET not in ciphertext(voice)
    assert "care-room" not in ciphertext(voice)
    host = f"{httpserver.host}:{httpserver.port}"
    assert voice.handle.startswith(f"{host}#")
    for shown in [page(client), page(client, f"/voices/{voice.pk}/")]:
        assert SECRET not in shown
        assert "care-room" not in shown
    assert f"receiver at <strong>{host}</strong>" in page(client, f"/voices/{voice.pk}/")


def test_a_receiver_that_refuses_the_ping_connects_nothing(
    cast: Cast, httpserver: HTTPServer, private_allowed: None
) -> None:
    receiver(httpserver, secret="the-receivers-own-other-secret")
    client = cast.client(cast.coordinator)

    response = client.post(
        "/voices/",
        {
            "action": "webhook",
            "webhook-url": httpserver.url_for("/hook"),
            "webhook-secret": SECRET,
            "webhook-format": "json",
        },
    )

    assert response.status_code == 200
    shown = response.content.decode()
    assert "refused the delivery (HTTP 401)" in shown
    assert SECRET not in shown
    assert len(httpserver.log) == 1
    assert not Voice.objects.filter(network=Network.WEBHOOK).exists()


def test_a_webhook_needs_a_real_secret_and_a_public_address(
    cast: Cast, httpserver: HTTPServer, settings: Any
) -> None:
    receiver(httpserver)
    settings.ALLOW_PRIVATE_URLS = True
    with pytest.raises(ServiceError, match="at least 16 characters"):
        connect.do_connect_webhook(
            cast.coordinator, cast.acme, httpserver.url_for("/hook"), "short"
        )
    settings.ALLOW_PRIVATE_URLS = False
    with pytest.raises(ServiceError, match="is a loopback address"):
        connect.do_connect_webhook(cast.coordinator, cast.acme, httpserver.url_for("/hook"), SECRET)
    with pytest.raises(ServiceError, match="user name or password"):
        connect.do_connect_webhook(
            cast.coordinator, cast.acme, "https://me:pw@93.184.215.14/hook", SECRET
        )
    assert len(httpserver.log) == 0
    assert not Voice.objects.filter(network=Network.WEBHOOK).exists()


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
