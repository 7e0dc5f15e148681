"""Connections of webhooks and outgoing hooks go only to the address just checked.

A name that resolves to a public address for the check and to loopback a moment later (DNS
rebinding) must not reach the loopback server. The DNS answers are the one thing faked here
(there is no DNS server to steer); the server and the connections are real.
"""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer

from cluetrain.core.pinned_http import checked_addresses, pinned_client, refused_address
from cluetrain.networks.registry import Context, build
from cluetrain.networks.webhook import WebhookConnector
from cluetrain.networks.webhook.connector import AddressRefused

PUBLIC = "93.184.216.34"  # example.com's long-standing address: public, never called here


def rebinding(monkeypatch: pytest.MonkeyPatch, name: str, answers: list[str]) -> list[str]:
    """Make ``name`` resolve to each of ``answers`` in turn (the last one from then on)."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != name:
            return real(host, port, *args, **kwargs)
        address = answers[min(len(asked), len(answers) - 1)]
        asked.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 80)))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def test_a_loopback_connection_is_refused_at_the_socket(
    httpserver: HTTPServer, settings: Any
) -> None:
    settings.ALLOW_PRIVATE_URLS = False
    httpserver.expect_request("/").respond_with_data("inside")
    with pinned_client(timeout=2) as client, pytest.raises(httpx.ConnectError) as caught:
        client.get(httpserver.url_for("/"))
    assert "loopback" in (refused_address(caught.value) or "")
    assert httpserver.log == []


def test_private_addresses_connect_when_the_settings_allow_them(
    httpserver: HTTPServer, settings: Any
) -> None:
    settings.ALLOW_PRIVATE_URLS = True
    httpserver.expect_request("/").respond_with_data("inside")
    with pinned_client(timeout=2) as client:
        assert client.get(httpserver.url_for("/")).text == "inside"


def test_a_name_with_one_private_answer_is_refused_whole(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.ALLOW_PRIVATE_URLS = False
    real = socket.getaddrinfo

    def two_answers(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "split.example":
            return real(host, port, *args, **kwargs)
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC, port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", two_answers)
    with pytest.raises(Exception, match="a private address"):
        checked_addresses("split.example", 443)


def test_a_webhook_name_rebound_to_loopback_after_the_check_sends_nothing(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.ALLOW_PRIVATE_URLS = False
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    connector = build(
        "webhook",
        {"url": f"http://rebind.example:{httpserver.port}/hook", "secret": "rebinding-test-secret"},
        Context(timeout=2),
    )
    assert isinstance(connector, WebhookConnector)
    # Public for the delivery's own check, loopback when the socket is opened.
    asked = rebinding(monkeypatch, "rebind.example", [PUBLIC, "127.0.0.1"])
    with pytest.raises(AddressRefused, match="loopback"):
        connector.verify()
    assert asked == [PUBLIC, "127.0.0.1"]
    assert httpserver.log == []


def test_a_feed_name_rebound_to_loopback_after_the_check_is_not_read(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    from cluetrain.listening.streams.base import ListenError, fetch

    settings.ALLOW_PRIVATE_URLS = False
    httpserver.expect_request("/feed.xml").respond_with_data("<rss/>")
    asked = rebinding(monkeypatch, "feed.example", [PUBLIC, "127.0.0.1"])
    with pytest.raises(ListenError, match="loopback"):
        fetch(f"http://feed.example:{httpserver.port}/feed.xml")
    assert asked == [PUBLIC, "127.0.0.1"]
    assert httpserver.log == []


def test_a_sign_on_providers_name_rebound_to_loopback_is_not_asked(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    from cluetrain.core.errors import ServiceError
    from cluetrain.sso import oidc

    settings.ALLOW_PRIVATE_URLS = False
    httpserver.expect_request("/.well-known/openid-configuration").respond_with_json({})
    # Checked as the issuer, checked as the document's address, then the socket.
    asked = rebinding(monkeypatch, "idp.example", [PUBLIC, PUBLIC, "127.0.0.1"])
    with pytest.raises(ServiceError, match="loopback"):
        oidc.discover(f"http://idp.example:{httpserver.port}")
    assert asked == [PUBLIC, PUBLIC, "127.0.0.1"]
    assert httpserver.log == []


def test_a_did_documents_server_rebound_to_loopback_is_not_asked(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    from cluetrain.listening.streams.bluesky import HandleResolver

    settings.ALLOW_PRIVATE_URLS = False
    httpserver.expect_request("/xrpc/com.atproto.repo.describeRepo").respond_with_json({})
    asked = rebinding(monkeypatch, "pds.example", [PUBLIC, "127.0.0.1"])
    resolver = HandleResolver("https://bsky.network.example")
    try:
        found = resolver._get_json(
            f"http://pds.example:{httpserver.port}/xrpc/com.atproto.repo.describeRepo",
            guard=True,
            repo="did:plc:abc",
        )
    finally:
        resolver.close()
    assert found is None
    assert asked == [PUBLIC, "127.0.0.1"]
    assert httpserver.log == []


def test_a_mastodon_call_rebound_to_loopback_after_the_check_sends_nothing(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    from cluetrain.core.errors import ServiceError
    from cluetrain.core.pinned_http import GuardedSession

    settings.ALLOW_PRIVATE_URLS = False
    httpserver.expect_request("/api/v1/instance").respond_with_json({})
    asked = rebinding(monkeypatch, "social.example", [PUBLIC, "127.0.0.1"])
    with GuardedSession() as session, pytest.raises(ServiceError, match="loopback"):
        session.get(f"http://social.example:{httpserver.port}/api/v1/instance", timeout=2)
    assert asked == [PUBLIC, "127.0.0.1"]
    assert httpserver.log == []


def test_the_mastodon_session_still_reaches_allowed_servers(
    httpserver: HTTPServer, settings: Any
) -> None:
    from cluetrain.core.pinned_http import GuardedSession

    settings.ALLOW_PRIVATE_URLS = True
    httpserver.expect_request("/api/v1/instance").respond_with_json({"uri": "here"})
    with GuardedSession() as session:
        answer = session.get(httpserver.url_for("/api/v1/instance"), timeout=2)
    assert answer.json() == {"uri": "here"}


@pytest.fixture
def tls_server(tmp_path: Any) -> Any:
    """An HTTPS test server whose certificate names ``tls.example`` only, and its CA file."""
    import datetime
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tls.example")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("tls.example")]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    server.start()
    try:
        yield server, str(cert_file)
    finally:
        server.clear()
        server.stop()


def test_tls_through_a_pinned_address_is_verified_against_the_name(
    tls_server: Any, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    import ssl

    import requests

    from cluetrain.core.pinned_http import GuardedSession

    server, ca_file = tls_server
    settings.ALLOW_PRIVATE_URLS = True
    server.expect_request("/").respond_with_data("secure")
    rebinding(monkeypatch, "tls.example", ["127.0.0.1"])
    url = f"https://tls.example:{server.port}/"
    with GuardedSession() as session:
        assert session.get(url, verify=ca_file, timeout=5).text == "secure"
    with pinned_client(timeout=5, verify=ssl.create_default_context(cafile=ca_file)) as client:
        assert client.get(url).text == "secure"
    # The same server under another name: the certificate does not match, so no answer.
    rebinding(monkeypatch, "other.example", ["127.0.0.1"])
    other = f"https://other.example:{server.port}/"
    with GuardedSession() as session, pytest.raises(requests.exceptions.SSLError):
        session.get(other, verify=ca_file, timeout=5)
    with (
        pinned_client(timeout=5, verify=ssl.create_default_context(cafile=ca_file)) as client,
        pytest.raises(httpx.ConnectError, match="certificate"),
    ):
        client.get(other)


def test_a_bluesky_server_rebound_to_loopback_is_refused_for_good(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    from django.utils import timezone

    from cluetrain.networks import ConnectorError, NetworkError, Outgoing
    from cluetrain.networks.bluesky import BlueskyConnector
    from cluetrain.networks.bluesky.errors import may_have_landed

    settings.ALLOW_PRIVATE_URLS = False
    httpserver.expect_request("/xrpc/com.atproto.server.createSession").respond_with_json({})
    # Checked when the voice was connected; the name points inside by the time it posts.
    asked = rebinding(monkeypatch, "pds.example", ["127.0.0.1"])
    connector = BlueskyConnector(
        "someone.example", "app-password", service=f"http://pds.example:{httpserver.port}"
    )
    with pytest.raises(ConnectorError, match="loopback") as refused:
        connector.publish(Outgoing(parts=("hello",), key="rebind-1", created_at=timezone.now()))
    # Not a network failure to retry: nothing was sent, and a new address is needed.
    assert not isinstance(refused.value, NetworkError)
    assert refused.value.__cause__ is not None
    assert not may_have_landed(refused.value.__cause__)
    assert asked == ["127.0.0.1"]
    assert httpserver.log == []


@pytest.mark.django_db
def test_a_firehose_rebound_to_loopback_is_not_opened(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, settings: Any, cast: Any
) -> None:
    from cluetrain.listening.streams.base import ListenError
    from cluetrain.listening.streams.bluesky import BlueskyListener
    from tests.test_listening_bluesky import bluesky_source

    settings.ALLOW_PRIVATE_URLS = False
    listener = BlueskyListener(bluesky_source(cast, f"http://relay.example:{httpserver.port}"))
    asked = rebinding(monkeypatch, "relay.example", ["127.0.0.1"])
    try:
        with pytest.raises(ListenError, match="loopback"):
            listener._connect()
    finally:
        listener.close()
    assert asked == ["127.0.0.1"]
    assert httpserver.log == []
