"""A Mastodon.py client set up for a worker, and the mapping of its errors onto the connector's.

Mastodon.py is told three things it would otherwise do on its own: never to sleep on a rate
limit (``ratelimit_method="throw"``; the caller decides when to retry), to give up after the
context's timeout, and which API version to expect, so that it never asks the server for its
version behind our back. Every HTTP answer is kept (``Client.answers``) because Mastodon.py's
exceptions carry the status code but not the headers (``Retry-After``) nor, for some calls,
the status at all.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from mastodon import Mastodon
from mastodon.errors import (
    MastodonAPIError,
    MastodonError,
    MastodonIllegalArgumentError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
)

from cluetrain.core.pinned_http import GuardedSession
from cluetrain.networks.base import (
    ConnectorError,
    ContentRejected,
    CredentialsRejected,
    NetworkError,
)

T = TypeVar("T")

USER_AGENT = "Cluetrain"
# Mastodon.py picks endpoints by the server's version (v2 media upload from 3.1.4). Declaring
# 4.0.0, the first release with /api/v2/instance, spares a version request on every new
# client; "created" makes Mastodon.py refuse an endpoint newer than that instead of guessing.
ASSUMED_VERSION = "4.0.0"


def instance_url(address: str) -> str:
    """The API base URL of the instance at ``address`` ("social.example" or a full URL)."""
    text = address.strip()
    if "://" not in text:
        text = f"https://{text}"
    parts = urlsplit(text)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.username:
        raise ConnectorError(f"{address!r} is not the address of a Mastodon server.")
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise ConnectorError(
            f"{address!r} is not the address of a Mastodon server: give only its domain."
        )
    return f"{parts.scheme}://{parts.netloc.lower()}"


def plain_secret(value: object, name: str) -> str:
    """``value`` as a token or client key, refusing what Mastodon.py would read as a file.

    Mastodon.py treats a token or client id that names an existing file as that file's path
    and reads the secret from it. These values come from a remote server, so one that names a
    file on this machine is refused rather than followed.
    """
    if not isinstance(value, str) or not value.strip():
        raise CredentialsRejected(f"The Mastodon credential has no {name}.")
    if os.path.exists(value):
        raise CredentialsRejected(f"The Mastodon credential's {name} is not a valid value.")
    return value


class Client:
    """Mastodon.py for one instance, keeping every HTTP answer of the current call."""

    def __init__(
        self,
        api_base_url: str,
        *,
        access_token: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        timeout: float = 20.0,
    ) -> None:
        self.base_url = instance_url(api_base_url)
        self.host = urlsplit(self.base_url).netloc
        self.timeout = timeout
        self.answers: list[requests.Response] = []
        # Every call is checked, the token endpoint from the instance's metadata included.
        self.session = GuardedSession()
        self.session.hooks["response"].append(self._keep)
        self.api = Mastodon(
            api_base_url=self.base_url,
            access_token=access_token,
            client_id=client_id,
            client_secret=client_secret,
            ratelimit_method="throw",
            request_timeout=timeout,
            mastodon_version=ASSUMED_VERSION,
            version_check_mode="created",
            session=self.session,
            user_agent=USER_AGENT,
        )

    def _keep(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.answers.append(response)

    @property
    def last(self) -> requests.Response | None:
        """The last HTTP answer of the current call, if any came."""
        return self.answers[-1] if self.answers else None

    def run(self, call: Callable[[Mastodon], T], *, not_found: ConnectorError | None = None) -> T:
        """Run ``call``, raising the connector's errors for Mastodon.py's.

        ``not_found`` replaces the generic error for a 404 where the caller knows what it means.
        """
        self.answers = []
        try:
            return call(self.api)
        except MastodonError as exc:
            if not_found is not None and isinstance(exc, MastodonNotFoundError):
                raise not_found from exc
            raise translate(exc, self.last, self.host) from exc


def status_of(exc: MastodonError, response: requests.Response | None) -> int | None:
    """The HTTP status behind ``exc``: Mastodon.py puts it second in the exception's args."""
    if len(exc.args) > 1 and isinstance(exc.args[1], int):
        return exc.args[1]
    return response.status_code if response is not None else None


def _server_message(exc: MastodonError, response: requests.Response | None) -> str:
    """The server's own words (the ``error`` of Mastodon's Error entity), when it gave any."""
    if len(exc.args) > 3 and isinstance(exc.args[3], str):
        return exc.args[3]
    return error_text(response)


def error_text(response: requests.Response | None) -> str:
    """The ``error`` / ``error_description`` of a JSON error body, or ""."""
    if response is None:
        return ""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, Mapping):
        return ""
    parts = [body.get("error"), body.get("error_description")]
    return ": ".join(str(part) for part in parts if isinstance(part, str) and part)


def retry_after(response: requests.Response | None) -> float | None:
    """Seconds the server asked us to wait: ``Retry-After``, else ``X-RateLimit-Reset``."""
    if response is None:
        return None
    headers = response.headers
    now = datetime.now(UTC)
    waited = headers.get("Retry-After", "").strip()
    if waited:
        if waited.isdigit():
            return float(waited)
        when = _http_date(waited)
        return max(0.0, (when - now).total_seconds()) if when else None
    reset = headers.get("X-RateLimit-Reset", "").strip()
    if not reset:
        return None
    try:
        # Mastodon sends an ISO 8601 time; GoToSocial sends a Unix timestamp.
        at = (
            datetime.fromtimestamp(int(reset), UTC)
            if reset.isdigit()
            else datetime.fromisoformat(reset.replace("Z", "+00:00"))
        )
    except (ValueError, OverflowError):
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    # Measured against the server's own clock (its Date header), so that a skewed clock on
    # either side does not turn a five-minute wait into none or an hour.
    server_now = _http_date(headers.get("Date", "")) or now
    return max(0.0, (at - server_now).total_seconds())


def _http_date(text: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _network_reason(exc: MastodonError) -> str:
    # Mastodon.py raises its own error while handling the requests one, which stays the context.
    cause = exc.__context__
    if isinstance(cause, requests.Timeout):
        return "it did not answer in time"
    if isinstance(cause, requests.ConnectionError):
        return "the connection failed"
    return "the request failed"


def answer_error(response: requests.Response, host: str) -> ConnectorError:
    """The connector error for an HTTP answer that was not the expected JSON."""
    status, words = response.status_code, error_text(response)
    said = f": {words}" if words else ""
    if status == 429:
        return NetworkError(
            f"{host} is limiting how often this account may call it; try again later.",
            retry_after=retry_after(response),
        )
    if status >= 500 or status == 408:
        return NetworkError(f"The Mastodon server {host} failed for now (HTTP {status}{said}).")
    if status in (401, 403):
        return CredentialsRejected(f"{host} refused the credentials (HTTP {status}{said}).")
    if status in (400, 413, 422):
        return ContentRejected(f"{host} refused the request (HTTP {status}{said}).")
    if response.ok:
        kind = response.headers.get("Content-Type", "no content type").split(";")[0]
        return ConnectorError(
            f"{host} answered with something that is not Mastodon API data (HTTP {status}, "
            f"{kind}). Check that this is the address of a Mastodon server."
        )
    return ConnectorError(
        f"Unexpected answer from the Mastodon server {host} (HTTP {status}{said})."
    )


def translate(exc: MastodonError, response: requests.Response | None, host: str) -> ConnectorError:
    """The connector error that stands for an error raised by Mastodon.py."""
    if isinstance(exc, MastodonRatelimitError):
        limited = response is not None and response.status_code == 429
        return NetworkError(
            f"{host} is limiting how often this account may call it; try again later.",
            retry_after=retry_after(response) if limited else None,
        )
    if isinstance(exc, MastodonNetworkError):
        return NetworkError(f"Could not reach the Mastodon server {host}: {_network_reason(exc)}.")
    if isinstance(exc, MastodonIllegalArgumentError):
        return ContentRejected(f"Mastodon.py refused the request for {host}: {exc}")
    if not isinstance(exc, MastodonAPIError):
        return ConnectorError(f"Unexpected error while talking to {host}: {exc}")
    status = status_of(exc, response)
    if not (len(exc.args) > 1 and isinstance(exc.args[1], int)) and response is not None:
        # No status in the exception: the answer came but could not be read as JSON.
        return answer_error(response, host)
    words = _server_message(exc, response)
    said = f": {words}" if words else ""
    if status == 401:
        return CredentialsRejected(
            f"{host} no longer accepts this account's access token{said}. "
            "Connect the account again."
        )
    if status == 403:
        return CredentialsRejected(f"{host} does not allow this account to do that{said}.")
    if status in (400, 413, 422):
        return ContentRejected(f"{host} refused it{said}.")
    if status == 404:
        return ConnectorError(f"{host} could not find it{said}.")
    if status is not None and (status >= 500 or status == 408):
        return NetworkError(f"The Mastodon server {host} failed for now (HTTP {status}{said}).")
    shown = f" (HTTP {status})" if status else ""
    return ConnectorError(f"Unexpected answer from the Mastodon server {host}{shown}{said}.")
