"""Connecting webhook voices from the Voices page, against a real receiver (pytest-httpserver)."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cluetrain.core.errors import ServiceError
from cluetrain.networks.webhook import verify_signature
from cluetrain.voices import connect
from cluetrain.voices.models import Network, Voice, VoiceKind
from tests.conftest import Cast
from tests.support.voices import SECRET, ciphertext, page

# -- webhooks, against a real receiver --------------------------------------------------------


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
