"""Refuse addresses that would make Cluetrain's server call into its own network.

People type addresses that the server then calls: a Bluesky server, a Mastodon instance, a
webhook. Without a check, anyone who may connect a voice could make the server call
``http://169.254.169.254/`` (a cloud's metadata service, which hands out credentials) or an
admin page on loopback, and read the answer back from an error message: a server-side request
forgery. ``check_public_url`` refuses such addresses unless ``settings.ALLOW_PRIVATE_URLS``
says this deployment talks to private hosts on purpose (tests, an intranet Mastodon).

The check is made when an address is given, and again before every call. The calls
themselves go through ``core.pinned_http`` (httpx clients, and ``GuardedSession`` for
Mastodon.py's requests), which checks the address each socket is opened to, so that a DNS
answer that changes between the check and the call cannot slip through; link previews pin
the checked address in the same spirit.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

from cluetrain.core.errors import ServiceError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Shared address space (RFC 6598): a provider's network, never a public server.
_CARRIER_GRADE_NAT = ipaddress.ip_network("100.64.0.0/10")
# NAT64 (RFC 6052, RFC 8215): a gateway turns these into the IPv4 address in the last 32 bits.
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address leads to (mapped, 6to4, NAT64, Teredo client)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if any(ip in network for network in _NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def refusal(ip: IPAddress) -> str:
    """What kind of non-public address ``ip`` is ("a loopback"), or "" when it is public."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            # Judged by where it leads: a DNS64 resolver answers 64:ff9b::<IPv4> for every
            # IPv4-only host, public ones included.
            return refusal(embedded)
    checks = (
        (ip.is_unspecified, "an unspecified"),
        (ip.is_loopback, "a loopback"),
        (ip.is_link_local, "a link-local"),
        (ip.is_multicast, "a multicast"),
        (ip in _CARRIER_GRADE_NAT, "a carrier-grade NAT"),
        (ip.is_reserved, "a reserved"),
        (ip.is_private, "a private"),
        (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local, "a site-local"),
        # Whatever else IANA lists as not globally reachable (benchmarking, documentation...).
        (not ip.is_global, "a non-public"),
    )
    return next((kind for refused, kind in checks if refused), "")


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` stands for (a literal address is itself); ``ServiceError`` if none."""
    try:
        return [ipaddress.ip_address(host)]  # a literal address needs no DNS
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ServiceError(f"{host} cannot be found: check the address.") from exc
    # A scoped IPv6 answer ("fe80::1%eth0") carries its interface after the address.
    found = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not found:
        raise ServiceError(f"{host} cannot be found: check the address.")
    return found


def check_public_url(
    url: str, *, allow_private: bool | None = None, unknown_host_ok: bool = False
) -> str:
    """``url``, stripped, if Cluetrain may call it; ``ServiceError`` saying why not otherwise.

    Only http and https, no user name or password in the address, and a host whose every
    address (all DNS answers: a name that also points inside is refused whole) is public.
    ``allow_private`` overrides ``settings.ALLOW_PRIVATE_URLS``; when private addresses are
    allowed the host is not looked up at all (the call itself will say if it cannot be found).
    ``unknown_host_ok`` lets a name that cannot be resolved pass, for checks made just before
    a library's own call (which then fails to find it, or is answered by a test's stand-in).
    """
    url = url.strip()
    parts = urlsplit(url)
    # Messages never repeat the whole address: for some webhooks the address is the secret.
    if parts.scheme.lower() not in ("http", "https"):
        if not parts.scheme:
            raise ServiceError("Give the whole address, starting with https://.")
        raise ServiceError(
            f"Only http:// and https:// addresses can be used here, not {parts.scheme}://."
        )
    if parts.username is not None or parts.password is not None:
        raise ServiceError(
            "The address must not contain a user name or password (user:password@…); "
            "give the secret in its own field."
        )
    host = parts.hostname
    if not host:
        raise ServiceError("The address names no host (https://host/…).")
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError as exc:
        raise ServiceError(f"The address of {host} has an invalid port.") from exc
    if settings.ALLOW_PRIVATE_URLS if allow_private is None else allow_private:
        return url
    try:
        addresses = resolve(host, port)
    except ServiceError:
        if unknown_host_ok:
            return url  # the call itself will fail to find it
        raise
    for ip in addresses:
        kind = refusal(ip)
        if kind:
            shown = host if host == str(ip) else f"{host} ({ip})"
            raise ServiceError(
                f"{shown} is {kind} address. Cluetrain only connects to public "
                "servers, so that nobody can make it call into its own network. "
                "An administrator can allow such addresses with CLUETRAIN_ALLOW_PRIVATE_URLS."
            )
    return url
