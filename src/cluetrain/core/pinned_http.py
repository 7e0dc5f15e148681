"""HTTP clients whose connections go only to addresses the SSRF guard has just accepted.

``core.urlguard.check_public_url`` looks a host name up and refuses private answers, but the
HTTP client then looks the name up again when it connects. A name whose DNS answer changes in
between (DNS rebinding: public for the check, 127.0.0.1 a millisecond later) would slip
through. Here the check moves into the connection itself: the network backend of httpx's
connection pool resolves the name once, refuses the whole name if any answer is private, and
opens the socket to an address from that same answer. TLS still verifies the certificate
against the host name, since httpcore hands the name, not the address, to the handshake.

``GuardedSession`` does the same for ``requests`` (Mastodon.py's HTTP stack): its connections
are urllib3 ones whose socket is opened the same way.

``pinned_socket`` is the same for clients that take a connected socket (WebSockets).

Through an outgoing proxy (``HTTPS_PROXY``), the socket goes to the proxy, which then does
the name lookup; the address check before each request still applies, the pinning cannot.
"""

from __future__ import annotations

import ipaddress
import socket
import typing
from typing import Any

import httpcore
import httpx
import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util.connection import create_connection

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


def pinned_socket(
    host: str,
    port: int,
    timeout: float | None,
    *,
    source_address: tuple[str, int] | None = None,
    socket_options: Any = None,
) -> socket.socket:
    """A TCP socket to an address of ``host`` that ``checked_addresses`` accepted, trying the
    name's addresses in turn; for urllib3's connections and for clients that take a connected
    socket (the WebSocket one). Raises ``AddressRefused`` or the last ``OSError``."""
    failure: OSError | None = None
    for address in checked_addresses(host, port):
        try:
            return create_connection(
                (address, port),
                timeout,
                source_address=source_address,
                socket_options=socket_options,
            )
        except OSError as exc:
            failure = exc
    assert failure is not None  # checked_addresses never returns an empty list
    raise failure


# What httpx.Client hands its default transport; a client given its own transport ignores them.
_TRANSPORT_OPTIONS = ("verify", "cert", "trust_env", "http1", "http2", "limits")


def pinned_transport(**options: Any) -> httpx.HTTPTransport:
    """An httpx transport (connection pool, ``httpx.HTTPTransport`` options) whose every
    connection is checked and pinned."""
    transport = httpx.HTTPTransport(**options)
    # httpx has no public hook for name resolution; its connection pool takes a network
    # backend, the one place where the name becomes a socket. httpx is pinned in the lock
    # files and tests/test_pinned_http.py fails if this attribute stops being used.
    transport._pool._network_backend = _PinnedBackend()
    return transport


def pinned_client(**options: Any) -> httpx.Client:
    """An ``httpx.Client`` (same options) whose every connection is checked and pinned."""
    wanted = {name: options[name] for name in _TRANSPORT_OPTIONS if name in options}
    return httpx.Client(transport=pinned_transport(**wanted), **options)


def refused_address(exc: BaseException) -> str | None:
    """The refusal message when ``exc`` came from ``AddressRefused``; None otherwise.

    The refusal may sit a few errors deep: httpx raises its own error from it, atproto its
    own from httpx's, and requests wraps urllib3's ``MaxRetryError``, whose ``reason`` is the
    connection error raised from the refusal.
    """
    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None or isinstance(seen, AddressRefused):
            break
        reason = getattr(seen, "reason", None)
        wrapped = seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else None
        seen = seen.__cause__ or (reason if isinstance(reason, BaseException) else wrapped)
    return str(seen) if isinstance(seen, AddressRefused) else None


class _PinnedConnection(HTTPConnection):
    """A urllib3 connection whose socket goes to an address ``checked_addresses`` accepted."""

    def _new_conn(self) -> socket.socket:
        # urllib3's own _new_conn, with the one name lookup replaced by the checked one.
        try:
            return pinned_socket(
                self._dns_host,
                self.port,
                self.timeout,
                source_address=self.source_address,
                socket_options=self.socket_options,
            )
        except httpcore.ConnectError as exc:  # refused, or the name did not resolve
            raise NewConnectionError(self, str(exc)) from exc
        except TimeoutError as exc:
            raise ConnectTimeoutError(
                self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
            ) from exc
        except OSError as exc:
            raise NewConnectionError(self, f"Failed to establish a new connection: {exc}") from exc


class _PinnedTLSConnection(_PinnedConnection, HTTPSConnection):
    """HTTPS: ``connect`` wraps the pinned socket and verifies the certificate for ``host``."""


class _PinnedPool(HTTPConnectionPool):
    ConnectionCls = _PinnedConnection


class _PinnedTLSPool(HTTPSConnectionPool):
    ConnectionCls = _PinnedTLSConnection


class _PinnedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _PinnedPool, "https": _PinnedTLSPool}


class GuardedSession(requests.Session):
    """A ``requests`` session that checks every address it calls, redirects included, and
    opens each connection to an address it has just checked.

    For libraries that make their own calls to addresses a remote server hands them: Mastodon.py
    takes the token endpoint from an instance's OAuth metadata, so an instance could point it
    at ``http://169.254.169.254/``. Refusals are ``ServiceError``s, before or at the connection.
    """

    def __init__(self) -> None:
        super().__init__()
        self.mount("http://", _PinnedAdapter())
        self.mount("https://", _PinnedAdapter())

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        urlguard.check_public_url(str(request.url or ""), unknown_host_ok=True)
        try:
            return super().send(request, **kwargs)
        except requests.ConnectionError as exc:
            refused = refused_address(exc)
            if refused:
                raise ServiceError(refused) from exc
            raise
