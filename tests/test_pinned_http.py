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
