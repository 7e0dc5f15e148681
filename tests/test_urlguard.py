"""The server-side request forgery guard: only public http(s) addresses, unless allowed."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from cluetrain.core.errors import ServiceError
from cluetrain.core.urlguard import check_public_url


@pytest.fixture(autouse=True)
def private_addresses_refused(settings: Any) -> None:
    settings.ALLOW_PRIVATE_URLS = False


@pytest.fixture
def no_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a literal address was looked up in the DNS")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://127.0.0.1/", "loopback"),
        ("https://127.0.0.1:8443/admin", "loopback"),
        ("http://[::1]:8000/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://10.1.2.3/", "private"),
        ("http://192.168.0.10/", "private"),
        ("http://172.16.5.4/", "private"),
        ("http://[fd00::1]/", "private"),
        ("http://100.64.1.1/", "carrier-grade NAT"),
        ("http://224.0.0.1/", "multicast"),
        ("http://[ff02::1]/", "multicast"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://[::]/", "unspecified"),
        ("http://240.0.0.1/", "reserved"),
        # IPv6 addresses that lead to a private IPv4 one: 6to4 and NAT64.
        ("http://[2002:a00:1::]/", "private"),
        ("http://[64:ff9b::a9fe:a9fe]/", "link-local"),
    ],
)
def test_it_refuses_addresses_inside_the_network(url: str, kind: str, no_dns: None) -> None:
    with pytest.raises(ServiceError, match=f"is an? {kind} address") as refused:
        check_public_url(url)
    assert "CLUETRAIN_ALLOW_PRIVATE_URLS" in refused.value.message


def test_it_refuses_a_name_that_resolves_to_loopback() -> None:
    # localhost comes from /etc/hosts: no DNS server is asked.
    with pytest.raises(ServiceError, match=r"localhost \((127\.0\.0\.1|::1)\) is a loopback"):
        check_public_url("http://localhost:3000/")


def test_it_refuses_other_spellings_of_loopback() -> None:
    for url in ["http://127.1/", "http://2130706433/", "http://0x7f000001/"]:
        with pytest.raises(ServiceError, match=r"\(127\.0\.0\.1\) is a loopback"):
            check_public_url(url)


def test_it_accepts_a_public_address_without_asking_the_dns(no_dns: None) -> None:
    assert check_public_url(" https://93.184.215.14/hook?x=1 ") == "https://93.184.215.14/hook?x=1"
    assert check_public_url("http://[2606:4700:4700::1111]/") == "http://[2606:4700:4700::1111]/"
    # A NAT64 address of a public IPv4 host is what DNS64 answers for any IPv4-only server.
    assert check_public_url("https://[64:ff9b::5db8:d70e]/") == "https://[64:ff9b::5db8:d70e]/"


def test_every_answer_of_a_name_must_be_public(monkeypatch: pytest.MonkeyPatch) -> None:
    # No DNS server runs here, so the resolver's answer is given: one public, one inside.
    def answer(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        assert (host, port) == ("mixed.example", 443)
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", answer)
    with pytest.raises(ServiceError, match=r"mixed\.example \(10\.0\.0\.5\) is a private"):
        check_public_url("https://mixed.example/")


def test_a_name_that_cannot_be_found_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def unknown(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", unknown)
    with pytest.raises(ServiceError, match=r"nowhere\.example cannot be found"):
        check_public_url("https://nowhere.example/")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://93.184.215.14/", "not ftp://"),
        ("file:///etc/passwd", "not file://"),
        ("gopher://93.184.215.14:70/", "not gopher://"),
        ("javascript:alert(1)", "not javascript://"),
        ("mastodon.social", "starting with https://"),
        ("https:///path-only", "names no host"),
        ("https://93.184.215.14:99999/", "invalid port"),
    ],
)
def test_it_refuses_what_is_not_a_web_address(url: str, message: str, no_dns: None) -> None:
    with pytest.raises(ServiceError, match=message):
        check_public_url(url)


def test_it_refuses_a_user_name_or_password_in_the_address(no_dns: None) -> None:
    for url in ["https://user:pass@93.184.215.14/", "https://user@93.184.215.14/"]:
        with pytest.raises(ServiceError, match="user name or password") as refused:
            check_public_url(url)
        assert "pass" not in refused.value.message.replace("password", "")


def test_the_setting_allows_private_addresses(settings: Any, no_dns: None) -> None:
    settings.ALLOW_PRIVATE_URLS = True
    assert check_public_url("http://127.0.0.1:2583") == "http://127.0.0.1:2583"
    assert check_public_url("http://[::1]/") == "http://[::1]/"
    # Even then: web addresses only, and no credentials in them.
    with pytest.raises(ServiceError):
        check_public_url("file:///etc/passwd")
    with pytest.raises(ServiceError):
        check_public_url("http://user:pass@127.0.0.1/")


def test_the_argument_overrides_the_setting(settings: Any, no_dns: None) -> None:
    assert check_public_url("http://10.0.0.1/", allow_private=True) == "http://10.0.0.1/"
    settings.ALLOW_PRIVATE_URLS = True
    with pytest.raises(ServiceError, match="private"):
        check_public_url("http://10.0.0.1/", allow_private=False)


def test_the_guarded_session_refuses_an_internal_address_before_calling(
    no_dns: None,
) -> None:
    from cluetrain.core.pinned_http import GuardedSession

    with pytest.raises(ServiceError, match="link-local"):
        GuardedSession().get("http://169.254.169.254/latest/meta-data/")


def test_the_guarded_session_refuses_a_redirect_into_the_network() -> None:
    import responses

    from cluetrain.core.pinned_http import GuardedSession

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get("https://public.example/", status=302, headers={"Location": "http://10.0.0.5/"})
        mock.get("http://10.0.0.5/", body="internal secrets")
        with pytest.raises(ServiceError, match="private"):
            GuardedSession().get("https://public.example/")
        assert [call.request.url for call in mock.calls] == ["https://public.example/"]


def test_mastodon_is_not_led_to_an_internal_token_endpoint_by_its_metadata() -> None:
    import responses

    from cluetrain.networks.base import ConnectorError
    from cluetrain.networks.mastodon.oauth import RegisteredApp, exchange_code

    instance = "https://mastodon.example"
    metadata = {
        "issuer": instance,
        "authorization_endpoint": f"{instance}/oauth/authorize",
        "token_endpoint": "http://169.254.169.254/oauth/token",
        "scopes_supported": ["read", "write"],
    }
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(f"{instance}/.well-known/oauth-authorization-server", json=metadata)
        mock.post("http://169.254.169.254/oauth/token", json={"access_token": "stolen"})
        mock.post(f"{instance}/oauth/token", json={"access_token": "x", "scope": "read write"})
        app = RegisteredApp(api_base_url=instance, client_id="id", client_secret="secret")
        with pytest.raises(ConnectorError):
            exchange_code(app, "https://cluetrain.example/callback", "code")
        assert "169.254.169.254" not in " ".join(str(call.request.url) for call in mock.calls)
