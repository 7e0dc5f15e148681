"""Connecting a Mastodon account: app registration, the authorize URL, the code exchange and
verifying the account. Against recorded Mastodon answers; see tests/support/mastodon.py.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from cluetrain.networks import (
    Account,
    Connector,
    ConnectorError,
    ContentRejected,
    CredentialsRejected,
    NetworkError,
)
from cluetrain.networks.mastodon import MastodonConnector
from cluetrain.networks.mastodon.oauth import (
    RegisteredApp,
    authorize_url,
    exchange_code,
    register_app,
)
from cluetrain.networks.registry import Context, build
from tests.support.mastodon import (
    BASE,
    RECORDINGS,
    REDIRECT,
    TOKEN,
    FakeMastodon,
    form,
    recording,
)

# The fixtures (mock, server, connector) come from tests/support/mastodon.py, a plugin.
pytestmark = pytest.mark.usefixtures("mastodon_py_never_sleeps")


# -- connecting an account ------------------------------------------------------------------


def test_the_app_is_registered_for_reading_and_writing(mock: responses.RequestsMock) -> None:
    mock.add(responses.POST, f"{BASE}/api/v1/apps", json=recording("application.json"))

    app = register_app("Mastodon.Example/", REDIRECT, website="https://cluetrain.example")

    assert app == RegisteredApp(
        api_base_url=BASE,
        client_id="TWhM-tNSuncnqN7DBJmoyeLnk6K3iJJ71KKXxgL1hPM",
        client_secret="ZEaFUFmF0umgBX1qKJDjaU99Q31lDkOU8NutzTOoliw",
    )
    sent = form(mock.calls[0].request)
    assert sent == {
        "client_name": ["Cluetrain"],
        "scopes": ["read write"],
        "redirect_uris": [REDIRECT],
        "website": ["https://cluetrain.example"],
    }


def test_a_refused_registration_says_why(mock: responses.RequestsMock) -> None:
    mock.add(
        responses.POST, f"{BASE}/api/v1/apps", status=422, json=recording("error_422_app.json")
    )
    with pytest.raises(ContentRejected, match="Redirect URI must be an absolute URI"):
        register_app(BASE, "not a uri")


def test_registration_on_an_unreachable_or_odd_server(mock: responses.RequestsMock) -> None:
    mock.add(responses.POST, f"{BASE}/api/v1/apps", body=requests.ConnectionError("refused"))
    with pytest.raises(NetworkError):
        register_app(BASE, REDIRECT)
    mock.replace(
        responses.POST,
        f"{BASE}/api/v1/apps",
        body=(RECORDINGS / "maintenance.html").read_text(),
        content_type="text/html",
    )
    with pytest.raises(ConnectorError, match="not Mastodon API data") as caught:
        register_app(BASE, REDIRECT)
    assert type(caught.value) is ConnectorError
    with pytest.raises(ConnectorError, match="address of a Mastodon server"):
        register_app("https://mastodon.example/some/path", REDIRECT)


def test_the_authorize_url_carries_client_scopes_redirect_and_state(
    mock: responses.RequestsMock,
) -> None:
    app = RegisteredApp(BASE, "client-id-1", "secret-1")

    url = authorize_url(app, REDIRECT, state="s7a7e")

    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "mastodon.example",
        "/oauth/authorize",
    )
    assert parse_qs(parts.query) == {
        "client_id": ["client-id-1"],
        "response_type": ["code"],
        "redirect_uri": [REDIRECT],
        "scope": ["read write"],
        "force_login": ["True"],
        "state": ["s7a7e"],
    }
    assert len(mock.calls) == 0  # a pure function: no request at all
    with pytest.raises(ConnectorError, match="state"):
        authorize_url(app, REDIRECT, state="")


def test_the_code_becomes_a_credential_with_the_instance_limits(server: FakeMastodon) -> None:
    mock = server.mock
    mock.add(
        responses.GET,
        f"{BASE}/.well-known/oauth-authorization-server",
        json=recording("oauth_authorization_server.json"),
    )
    mock.add(responses.POST, f"{BASE}/oauth/token", json=recording("token.json"))
    app = RegisteredApp(BASE, "client-id-1", "secret-1")

    credential = exchange_code(app, REDIRECT, "the-code")

    assert credential == {
        "api_base_url": BASE,
        "access_token": TOKEN,
        "client_id": "client-id-1",
        "client_secret": "secret-1",
        "max_characters": 640,
        "max_media": 6,
    }
    sent = form(server.requests("POST", f"{BASE}/oauth/token")[0])
    expected = {
        "code": ["the-code"],
        "redirect_uri": [REDIRECT],
        "grant_type": ["authorization_code"],
        "client_id": ["client-id-1"],
        "client_secret": ["secret-1"],
        "scope": ["read write"],
    }
    # (Mastodon.py also sends its copy of the public discovery document, which Mastodon ignores.)
    assert {name: sent.get(name) for name in expected} == expected
    # The new credential is what the registry builds a working connector from.
    connected = build("mastodon", credential, Context(timeout=5))
    assert connected.verify().handle == "@alice@example.org"
    checked = server.requests("GET", f"{BASE}/api/v1/accounts/verify_credentials")[-1]
    call = next(c for c in mock.calls if c.request is checked)
    assert call.request.req_kwargs["timeout"] == 5  # the context's timeout, not Mastodon.py's


def test_a_used_or_expired_code_is_refused_for_good(mock: responses.RequestsMock) -> None:
    mock.add(responses.GET, f"{BASE}/.well-known/oauth-authorization-server", status=404)
    mock.add(
        responses.POST,
        f"{BASE}/oauth/token",
        status=400,
        json=recording("error_invalid_grant.json"),
    )
    with pytest.raises(CredentialsRejected, match="invalid_grant"):
        exchange_code(RegisteredApp(BASE, "client-id-1", "secret-1"), REDIRECT, "old-code")


def test_a_token_without_write_permission_is_refused(mock: responses.RequestsMock) -> None:
    mock.add(responses.GET, f"{BASE}/.well-known/oauth-authorization-server", status=404)
    mock.add(
        responses.POST, f"{BASE}/oauth/token", json=dict(recording("token.json"), scope="read")
    )
    with pytest.raises(CredentialsRejected, match="read and write"):
        exchange_code(RegisteredApp(BASE, "client-id-1", "secret-1"), REDIRECT, "the-code")


# -- the account ----------------------------------------------------------------------------


def test_verify_names_the_account_by_its_handle_domain(
    server: FakeMastodon, connector: MastodonConnector
) -> None:
    assert isinstance(connector, Connector)
    assert connector.verify() == Account(
        id="109348214906548270", handle="@alice@example.org", display_name="Alice at Acme"
    )
    sent = server.requests("GET", f"{BASE}/api/v1/accounts/verify_credentials")[0]
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"


def test_the_registry_builds_it_from_a_stored_credential(tmp_path: Path) -> None:
    connector = build("mastodon", {"api_base_url": BASE, "access_token": TOKEN}, Context())
    assert isinstance(connector, MastodonConnector)
    assert connector.host == "mastodon.example"
    with pytest.raises(CredentialsRejected):
        build("mastodon", {"api_base_url": BASE}, Context())
    with pytest.raises(CredentialsRejected):
        build("mastodon", {"access_token": TOKEN}, Context())
    # Mastodon.py would read a token that names a file from that file: refused instead.
    secret = tmp_path / "secret"
    secret.write_text("not for the network\n")
    with pytest.raises(CredentialsRejected):
        build("mastodon", {"api_base_url": BASE, "access_token": str(secret)}, Context())
