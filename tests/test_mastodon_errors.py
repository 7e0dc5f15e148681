"""How the Mastodon connector maps what goes wrong onto Cluetrain's errors.

Against recorded Mastodon answers; see tests/support/mastodon.py.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
import requests
import responses

from cluetrain.networks import (
    ConnectorError,
    ContentRejected,
    CredentialsRejected,
    NetworkError,
)
from cluetrain.networks.mastodon import MastodonConnector
from tests.support.mastodon import (
    BASE,
    RECORDINGS,
    TOKEN,
    outgoing,
    recording,
)

# The fixtures (mock, server, connector) come from tests/support/mastodon.py, a plugin.
pytestmark = pytest.mark.usefixtures("mastodon_py_never_sleeps")


# -- errors ---------------------------------------------------------------------------------


def failing_publish(mock: responses.RequestsMock, **answer: Any) -> ConnectorError:
    """The error ``publish`` raises when POST /api/v1/statuses gets ``answer``."""
    mock.add(responses.GET, f"{BASE}/api/v2/instance/", json=recording("instance_v2.json"))
    mock.add(responses.POST, f"{BASE}/api/v1/statuses", **answer)
    with pytest.raises(ConnectorError) as caught:
        MastodonConnector(BASE, TOKEN, timeout=3).publish(outgoing("hello"))
    assert len([c for c in mock.calls if c.request.method == "POST"]) == 1  # never retried
    return caught.value


@pytest.mark.parametrize(
    "failure",
    [
        requests.exceptions.ConnectionError("Connection refused"),
        requests.exceptions.ConnectTimeout("connect timed out"),
        requests.exceptions.ReadTimeout("read timed out"),
    ],
)
def test_an_unreachable_or_silent_instance_is_a_transient_error(
    mock: responses.RequestsMock, failure: Exception
) -> None:
    error = failing_publish(mock, body=failure)
    assert type(error) is NetworkError
    assert "mastodon.example" in str(error)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, json.dumps({"error": "Error processing thumbnail for uploaded media"})),
        (502, "<html><body><h1>502 Bad Gateway</h1></body></html>"),
        (503, json.dumps({"error": "Remote data could not be fetched"})),
        (504, ""),
    ],
)
def test_a_failing_instance_is_a_transient_error(
    mock: responses.RequestsMock, status: int, body: str
) -> None:
    error = failing_publish(mock, status=status, body=body)
    assert type(error) is NetworkError
    assert f"HTTP {status}" in str(error)
    assert error.retry_after is None


def test_a_rate_limit_says_when_to_come_back_from_retry_after(
    mock: responses.RequestsMock,
) -> None:
    error = failing_publish(
        mock, status=429, json=recording("error_429.json"), headers={"Retry-After": "30"}
    )
    assert isinstance(error, NetworkError)
    assert error.retry_after == 30


def test_a_rate_limit_says_when_to_come_back_from_its_reset_time(
    mock: responses.RequestsMock,
) -> None:
    # The server's clock is an hour off ours: the wait is measured on the server's clock.
    server_now = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    reset = server_now + timedelta(seconds=120)
    error = failing_publish(
        mock,
        status=429,
        json=recording("error_429.json"),
        headers={
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "Date": format_datetime(server_now, usegmt=True),
        },
    )
    assert isinstance(error, NetworkError)
    assert error.retry_after == pytest.approx(120, abs=1)


def test_a_revoked_token_is_refused_for_good(mock: responses.RequestsMock) -> None:
    error = failing_publish(mock, status=401, json=recording("error_401.json"))
    assert type(error) is CredentialsRejected
    assert "The access token is invalid" in str(error)


def test_a_disabled_account_is_refused_for_good(mock: responses.RequestsMock) -> None:
    error = failing_publish(mock, status=403, json={"error": "Your login is currently disabled"})
    assert type(error) is CredentialsRejected


def test_refused_content_says_what_the_instance_said(mock: responses.RequestsMock) -> None:
    error = failing_publish(mock, status=422, json=recording("error_422_status.json"))
    assert type(error) is ContentRejected
    assert "Text character limit of 640 exceeded" in str(error)


def test_a_reply_to_a_vanished_status_is_refused(mock: responses.RequestsMock) -> None:
    error = failing_publish(mock, status=404, json=recording("error_404.json"))
    assert type(error) is ContentRejected
    assert "replies to no longer exists" in str(error)


def test_a_web_page_instead_of_json_is_a_plain_error(mock: responses.RequestsMock) -> None:
    error = failing_publish(
        mock,
        status=200,
        body=(RECORDINGS / "maintenance.html").read_text(),
        content_type="text/html; charset=utf-8",
    )
    assert type(error) is ConnectorError
    assert "not Mastodon API data (HTTP 200, text/html)" in str(error)
    assert "<html" not in str(error)


def test_errors_on_reading_are_mapped_the_same_way(mock: responses.RequestsMock) -> None:
    mock.add(responses.GET, f"{BASE}/api/v2/instance/", body="<html>maintenance</html>")
    mock.add(
        responses.GET,
        f"{BASE}/api/v1/accounts/verify_credentials",
        status=401,
        json=recording("error_401.json"),
    )
    connector = MastodonConnector(BASE, TOKEN)
    with pytest.raises(CredentialsRejected):
        connector.verify()
    with pytest.raises(ConnectorError, match="not Mastodon API data"):
        _ = connector.max_length
