"""Helpers for the practice space's tests: a scenario to replay, submitted work, no network."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from cluetrain.organizations.models import Organization, Person
from cluetrain.practice import services
from cluetrain.practice.models import Message

# Three steps: a late train, a question about the app, thanks.
LATE_TRAIN = "rail-late-train-connection"
REAL_NETWORKS = ("bluesky", "mastodon", "feed", "webhook")


def submitted(learner: Person, organization: Organization, text: str = "") -> Message:
    """A practice post of ``learner``'s, submitted for feedback."""
    message = services.do_post(learner, organization, text or "Sorry for the delay this morning.")
    return services.do_submit(learner, message)


class NetworkCalled(AssertionError):
    """A practice flow reached a real network's connector or opened a socket."""


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every real connector raises when built, and no socket may connect anywhere.

    Returns the list of what was attempted, so a test can also assert it stayed empty.
    """
    import importlib

    attempts: list[str] = []

    def refuse(what: str) -> Any:
        def raiser(*args: Any, **kwargs: Any) -> Any:
            attempts.append(what)
            raise NetworkCalled(f"the practice space called {what}")

        return raiser

    for network in REAL_NETWORKS:
        module = importlib.import_module(f"cluetrain.networks.{network}")
        monkeypatch.setattr(module, "from_credential", refuse(f"the {network} connector"))
    # The test's own database and cache servers (PostgreSQL, Redis on loopback) stay reachable;
    # any other address is refused.
    allowed = _own_servers()
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex

    def guarded(original: Any, what: str) -> Any:
        def call(self: socket.socket, address: Any) -> Any:
            if isinstance(address, tuple) and tuple(address[:2]) in allowed:
                return original(self, address)
            attempts.append(f"{what} {address!r}")
            raise NetworkCalled(f"the practice space opened a connection to {address!r}")

        return call

    monkeypatch.setattr(socket.socket, "connect", guarded(connect, "socket.connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", guarded(connect_ex, "socket.connect_ex"))
    return attempts


def _own_servers() -> set[tuple[str, int]]:
    from urllib.parse import urlsplit

    from django.conf import settings

    servers: set[tuple[str, int]] = set()
    database = settings.DATABASES["default"]
    if database.get("HOST"):
        servers.add((str(database["HOST"]), int(database.get("PORT") or 5432)))
    for cache in settings.CACHES.values():
        location = cache.get("LOCATION", "")
        for url in [location] if isinstance(location, str) else list(location):
            if url.startswith("redis"):
                parts = urlsplit(url)
                servers.add((parts.hostname or "", parts.port or 6379))
    return servers
