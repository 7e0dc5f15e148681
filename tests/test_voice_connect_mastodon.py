"""Connecting Mastodon voices from the Voices page, through both OAuth steps.

Against answers shaped like the recordings in tests/recordings/mastodon/ (served by
``responses`` under Mastodon.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from django.test import Client as WebClient

from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.voices import connect
from cluetrain.voices.models import Network, Voice, VoiceKind, VoiceStatus
from cluetrain.voices.views import MASTODON_PENDING
from tests.conftest import Cast
from tests.support.voices import ciphertext, messages_of, page

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
