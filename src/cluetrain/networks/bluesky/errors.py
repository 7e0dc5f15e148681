"""What the ``atproto`` SDK and the HTTP layer under it raise, as the connector's own errors."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from atproto import exceptions as at

from cluetrain.core.pinned_http import refused_address
from cluetrain.networks.base import (
    ConnectorError,
    ContentRejected,
    CredentialsRejected,
    NetworkError,
)

# Error names (the XRPC "error" field) that say the session, not the password, went stale.
STALE_SESSION = {"ExpiredToken", "InvalidToken"}
_ACCOUNT_GONE = {"AccountTakedown", "AccountDeactivated", "AccountSuspended"}
_TRANSIENT_STATUSES = {408, 409, 425}

# Everything a call through the SDK can raise that is not a bug in Cluetrain. The SDK lets some
# HTTP failures through unwrapped (a connection closed before the answer is an
# ``httpx.RemoteProtocolError``), and an unreadable answer surfaces as a ``ValueError``.
FAILURES = (at.AtProtocolError, httpx.TransportError, ValueError)


def error_name(exc: BaseException) -> str:
    """The XRPC error name of a failed request ("RecordNotFound"), or "" when there is none."""
    response = getattr(exc, "response", None)
    content = response.content if response is not None else None
    return str(getattr(content, "error", "") or "")


def status_of(exc: BaseException) -> int | None:
    """The HTTP status of the answer that carried ``exc``, or None when none arrived."""
    response = getattr(exc, "response", None)
    return response.status_code if response is not None else None


def _describe(exc: at.RequestErrorBase) -> str:
    content = exc.response.content if exc.response is not None else None
    message = getattr(content, "message", None) or error_name(exc)
    status = status_of(exc)
    return f"{status} {message}".strip() if status else str(message or exc)


def _retry_after(exc: at.RateLimitExceededError) -> float | None:
    if exc.retry_after is not None:
        return exc.retry_after
    # Bluesky itself sends no Retry-After, only when its rate-limit window resets.
    if exc.reset_at is not None:
        return max((exc.reset_at - datetime.now(UTC)).total_seconds(), 0.0)
    return None


def may_have_landed(exc: BaseException) -> bool:
    """Whether the server may have carried out a write whose call failed with ``exc``.

    True when no clear refusal came back: the connection broke, the answer was late or
    unreadable, or the server failed (the reference PDS also answers 500 when a record with
    the requested key already exists).
    """
    if refused_address(exc):
        return False  # refused before a connection was opened: nothing was sent
    if isinstance(exc, httpx.TransportError | ValueError | at.ModelError):
        return True
    if not isinstance(exc, at.RequestErrorBase):
        return False
    status = status_of(exc)
    return status is None or status >= 500 or status in _TRANSIENT_STATUSES


def translate(exc: BaseException) -> ConnectorError:
    """The connector error that stands for ``exc``, one of ``FAILURES``."""
    refused = refused_address(exc)
    if refused:  # for good: the voice's server has to be given again
        return ConnectorError(f"The Bluesky server cannot be called: {refused}")
    if isinstance(exc, httpx.TimeoutException | at.InvokeTimeoutError):
        return NetworkError("The Bluesky server did not answer in time.")
    if isinstance(exc, httpx.TransportError):
        return NetworkError(f"The connection to the Bluesky server failed: {exc}")
    if isinstance(exc, at.LoginRequiredError):
        return CredentialsRejected("Not logged in to Bluesky.")
    if not isinstance(exc, at.RequestErrorBase):
        return ConnectorError(f"The Bluesky server sent an answer Cluetrain cannot read ({exc}).")
    name, status = error_name(exc), status_of(exc)
    if isinstance(exc, at.RateLimitExceededError):
        return NetworkError("Bluesky's rate limit was reached.", retry_after=_retry_after(exc))
    if status is None:
        return NetworkError(f"Could not reach the Bluesky server: {exc.__cause__ or exc}")
    if name in _ACCOUNT_GONE or name in STALE_SESSION or status in (401, 403):
        return CredentialsRejected(f"Bluesky refused the credentials: {_describe(exc)}")
    if status in (400, 413):
        return ContentRejected(f"Bluesky refused the post: {_describe(exc)}")
    if status >= 500 or status in _TRANSIENT_STATUSES:
        return NetworkError(f"The Bluesky server failed for now: {_describe(exc)}")
    return ConnectorError(f"Unexpected answer from the Bluesky server: {_describe(exc)}")
