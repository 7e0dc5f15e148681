"""HTTP clients whose connections go only to addresses the SSRF guard has just accepted.

``core.urlguard.check_public_url`` looks a host name up and refuses private answers, but the
HTTP client then looks the name up again when it connects. A name whose DNS answer changes in
between (DNS rebinding: public for the check, 127.0.0.1 a millisecond later) would slip
through. Here the check moves into the connection itself: the network backend of httpx's
connection pool resolves the name once, refuses the whole name if any answer is private, and
opens the socket to an address from that same answer. TLS still verifies the certificate
against the host name, since httpcore hands the name, not the address, to the handshake.
"""

from __future__ import annotations

import ipaddress
import typing
from typing import Any

import httpcore
import httpx
from django.conf import settings

from cluetrain.core import urlguard
from cluetrain.core.errors import ServiceError


class AddressRefused(httpcore.ConnectError):
    """The host resolved, as the connection was opened, to an address Cluetrain must not call.

    httpx reports it as an ``httpx.ConnectError`` whose ``__cause__`` is this exception; use
    ``refused_address`` to tell it from an ordinary connection failure.
    """


class _PinnedBackend(httpcore.SyncBackend):
    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        failure: Exception | None = None
        for address in checked_addresses(host, port):
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:  # try the name's next address, as browsers do
                failure = exc
        assert failure is not None  # checked_addresses never returns an empty list
        raise failure


def checked_addresses(host: str, port: int) -> list[str]:
    """The addresses of ``host`` to connect to, IPv4 first; ``AddressRefused`` if any is private.

    Every answer must be public (unless ``settings.ALLOW_PRIVATE_URLS``): a name that also
    points inside is refused whole, as ``check_public_url`` does.
    """
    try:
        found = urlguard.resolve(host, port)
    except ServiceError as exc:
        raise httpcore.ConnectError(exc.message) from exc
    if not settings.ALLOW_PRIVATE_URLS:
        for ip in found:
            kind = urlguard.refusal(ip)
            if kind:
                shown = host if host == str(ip) else f"{host} ({ip})"
                raise AddressRefused(
                    f"{shown} is {kind} address: Cluetrain only connects to public servers "
                    "(CLUETRAIN_ALLOW_PRIVATE_URLS allows private ones)."
                )
    # IPv4 first: "localhost" answers ::1 first on many systems, where servers often do not.
    ordered = sorted(dict.fromkeys(found), key=lambda ip: isinstance(ip, ipaddress.IPv6Address))
    return [str(ip) for ip in ordered]


def pinned_client(**options: Any) -> httpx.Client:
    """An ``httpx.Client`` (same options) whose every connection is checked and pinned."""
    transport = httpx.HTTPTransport()
    # httpx has no public hook for name resolution; its connection pool takes a network
    # backend, the one place where the name becomes a socket. httpx is pinned in the lock
    # files and tests/test_pinned_http.py fails if this attribute stops being used.
    transport._pool._network_backend = _PinnedBackend()
    return httpx.Client(transport=transport, **options)


def refused_address(exc: BaseException) -> str | None:
    """The refusal message when an httpx error came from ``AddressRefused``; None otherwise."""
    cause = exc.__cause__
    return str(cause) if isinstance(cause, AddressRefused) else None
