"""What every listener offers the runner, and the HTTP fetching the polling ones share."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx

from cluetrain.core.errors import ServiceError
from cluetrain.core.pinned_http import pinned_client, refused_address
from cluetrain.core.urlguard import check_public_url
from cluetrain.listening.backpressure import Gate
from cluetrain.listening.models import Source

log = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(20.0, connect=10.0)
MAX_REDIRECTS = 5
USER_AGENT = "Cluetrain listener (+https://github.com/cluetrain)"


class ListenError(Exception):
    """A source failed for now; ``str()`` is shown on the sources page."""


class Listener:
    """One source being listened to.

    A polling listener implements ``poll`` (fetch what is new once, take it in, return how
    many messages were new); the runner calls it every ``interval`` seconds. A streaming one
    also overrides ``run``, which reads until ``stop`` is set, and waits on ``gate`` (the
    back-pressure) before each batch it takes in.
    """

    streaming: ClassVar[bool] = False
    interval: ClassVar[float] = 300.0

    def __init__(self, source: Source) -> None:
        self.source = source
        self.organization_id = source.organization_id

    def poll(self) -> int:
        raise NotImplementedError

    def run(self, stop: threading.Event, gate: Gate) -> None:
        """Stream until ``stop`` is set (streaming listeners only)."""
        raise NotImplementedError

    def close(self) -> None:
        """Let go of connections and threads (the runner calls it when it stops)."""


@dataclass(frozen=True)
class Fetched:
    status: int
    body: bytes
    headers: httpx.Headers
    url: str


def fetch(
    url: str,
    *,
    headers: dict[str, str] | None = None,
    max_bytes: int = 5 * 1024 * 1024,
    client: httpx.Client | None = None,
) -> Fetched:
    """GET ``url`` with Cluetrain's address guard on every redirect, reading at most
    ``max_bytes`` of the body (a larger answer is an error, not a silent cut).

    Each connection is opened to an address checked as it is opened (``core.pinned_http``),
    so a feed's name cannot be pointed inside between the check and the call."""
    owned = client is None
    http = client or pinned_client(timeout=TIMEOUT, follow_redirects=False)
    try:
        for _ in range(MAX_REDIRECTS + 1):
            try:
                url = check_public_url(url)
            except ServiceError as exc:
                raise ListenError(str(exc)) from exc
            request_headers = {"User-Agent": USER_AGENT, **(headers or {})}
            try:
                with http.stream("GET", url, headers=request_headers) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = str(response.url.join(response.headers["location"]))
                        continue
                    body = _read(response, max_bytes, url)
                    return Fetched(response.status_code, body, response.headers, url)
            except httpx.HTTPError as exc:
                reason = f"{_host(url)} could not be reached ({type(exc).__name__})."
                raise ListenError(refused_address(exc) or reason) from exc
        raise ListenError(f"{_host(url)} redirected more than {MAX_REDIRECTS} times.")
    finally:
        if owned:
            http.close()


def _read(response: httpx.Response, max_bytes: int, url: str) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise ListenError(f"{_host(url)} sent more than {max_bytes // 1024} KiB.")
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise ListenError(f"{_host(url)} sent more than {max_bytes // 1024} KiB.")
        chunks.append(chunk)
    return b"".join(chunks)


def _host(url: str) -> str:
    try:
        return httpx.URL(url).host or "The server"
    except Exception:
        return "The server"


def error_text(exc: BaseException) -> str:
    """A short line for the sources page: what failed, never a stack trace."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a mapping (untrusted JSON is anything), an empty dict otherwise."""
    return value if isinstance(value, dict) else {}
