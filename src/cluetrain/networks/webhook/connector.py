"""The webhook connector: one receiving address, one signed POST per publication."""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from cluetrain import __version__
from cluetrain.core.errors import ServiceError
from cluetrain.core.pinned_http import pinned_client, refused_address
from cluetrain.core.urlguard import check_public_url
from cluetrain.networks.base import (
    Account,
    ConnectorError,
    ContentRejected,
    CredentialsRejected,
    Engagement,
    NetworkError,
    NotSupported,
    Outgoing,
    PartCallback,
    PublishedRef,
)
from cluetrain.networks.webhook.signing import sign

FORMATS = ("json", "slack")
# Slack cuts a message's text at 40,000 characters; the same bound serves the JSON format.
MAX_LENGTH = 40_000
MAX_MEDIA = 10
# Enough of an answer to explain a refusal, and no more: a receiver may answer with anything.
_READ_LIMIT = 64 * 1024
_SNIPPET = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


class AddressRefused(ConnectorError):
    """The receiver's address leads into Cluetrain's own network: nothing was sent.

    Not a ``NetworkError``: retrying on its own will not help until the DNS answer or the
    setting changes, so the post fails (and may be retried by a person) instead.
    """


class WebhookConnector:
    """Sends each publication as one signed JSON POST to ``url``.

    ``secret`` keys the signature (required for the ``json`` format; Slack and Teams ignore
    it, their address being the secret). The references it returns name the publication
    (``webhook:<key>:<part>``) and carry no URL: the receiving address is not a page a person
    can open, and a Slack address is itself a secret.
    """

    network = "webhook"
    max_length = MAX_LENGTH
    max_media = MAX_MEDIA

    def __init__(
        self, url: str, secret: str, *, payload_format: str = "json", timeout: float = 20.0
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise CredentialsRejected("A webhook address must be an http:// or https:// URL.")
        if payload_format == "json" and not secret:
            raise CredentialsRejected("A webhook needs a secret to sign its deliveries with.")
        self._url = url
        self._secret = secret
        self.payload_format = payload_format
        self.host = parts.netloc.rpartition("@")[2]
        # One client per connector so that a worker's deliveries reuse the connection.
        # Pinned: the address each connection is opened to is the one just checked.
        self._client = pinned_client(
            timeout=timeout,
            follow_redirects=False,
            headers={"User-Agent": f"Cluetrain/{__version__}"},
        )

    def close(self) -> None:
        self._client.close()

    def length_of(self, text: str) -> int:
        return len(text)

    def verify(self) -> Account:
        """Send a signed ping and require a 2xx; Slack and Teams get a visible hello instead."""
        if self.payload_format == "slack":
            # An incoming webhook refuses a body without text, so the ping shows in the channel.
            payload: dict[str, Any] = {"text": "Cluetrain is now connected to this channel."}
        else:
            payload = {"event": "ping"}
        self._send("ping", payload, delivery=f"ping-{uuid.uuid4().hex}")
        digest = hashlib.sha256(self._url.encode("utf-8")).hexdigest()[:16]
        return Account(id=f"webhook:{digest}", handle=self.host, display_name=self.host)

    def publish(
        self,
        outgoing: Outgoing,
        *,
        done: Sequence[PublishedRef] = (),
        on_part: PartCallback | None = None,
    ) -> list[PublishedRef]:
        """POST the whole publication once; every part is out when the receiver says 2xx."""
        self._check(outgoing)
        if len(done) >= len(outgoing.parts):
            return list(done)
        # A partial ``done`` cannot come from this connector; sending again under the same
        # delivery id lets the receiver drop it if the first POST did arrive.
        self._send("post.published", self._publication(outgoing), delivery=outgoing.key)
        refs = list(done)
        for index in range(len(done), len(outgoing.parts)):
            ref = PublishedRef(id=f"webhook:{outgoing.key}:{index}", url="")
            refs.append(ref)
            if on_part is not None:
                on_part(index, ref)
        return refs

    def edit(self, ref: PublishedRef, text: str) -> PublishedRef:
        key, index = self._parse(ref)
        if self.payload_format == "slack":
            raise NotSupported("A Slack or Teams incoming webhook cannot change a sent message.")
        if len(text) > self.max_length:
            raise ContentRejected(self._too_long(len(text)))
        payload = {"event": "post.updated", "id": key, "part": index, "text": text}
        # A fresh delivery id each time: an update may be repeated harmlessly, whereas reusing
        # an older id would make the receiver drop an edit back to an earlier text.
        self._send("post.updated", payload, delivery=f"{key}:{index}:updated:{uuid.uuid4().hex}")
        return ref

    def delete(self, ref: PublishedRef) -> None:
        key, index = self._parse(ref)
        if self.payload_format == "slack":
            raise NotSupported("A Slack or Teams incoming webhook cannot remove a sent message.")
        payload = {"event": "post.deleted", "id": key, "part": index}
        self._send("post.deleted", payload, delivery=f"{key}:{index}:deleted", gone_ok=True)

    def engagement(self, ref: PublishedRef) -> Engagement:
        raise NotSupported("A webhook does not report reactions.")

    def followers(self) -> int:
        raise NotSupported("A webhook has no followers.")

    # -- what goes out -------------------------------------------------------------------

    def _check(self, outgoing: Outgoing) -> None:
        if not outgoing.parts:
            raise ContentRejected("There is nothing to send: the post has no text.")
        for part in outgoing.parts:
            if len(part) > self.max_length:
                raise ContentRejected(self._too_long(len(part)))
        if self.payload_format == "slack" and len(_joined(outgoing)) > self.max_length:
            raise ContentRejected(self._too_long(len(_joined(outgoing))))
        if len(outgoing.media) > self.max_media:
            raise ContentRejected(
                f"A webhook carries at most {self.max_media} images; "
                f"this post has {len(outgoing.media)}."
            )
        if any(not media.url for media in outgoing.media):
            # The receiver fetches images from Cluetrain: the bytes are not in the body.
            raise ContentRejected("An image has no public address to send to the webhook.")

    def _too_long(self, length: int) -> str:
        return f"A webhook message takes {self.max_length} characters; this one has {length}."

    def _publication(self, outgoing: Outgoing) -> dict[str, Any]:
        text = _joined(outgoing)
        if self.payload_format == "slack":
            return {"text": text}
        link = outgoing.link
        return {
            "event": "post.published",
            "id": outgoing.key,
            "created_at": outgoing.created_at.astimezone(UTC).isoformat(),
            "parts": list(outgoing.parts),
            "text": text,
            "media": [
                {"url": m.url, "alt_text": m.alt_text, "content_type": m.content_type}
                for m in outgoing.media
            ],
            "title": outgoing.title,
            "link": (
                None
                if link is None
                else {"url": link.url, "title": link.title, "description": link.description}
            ),
            "extra": dict(outgoing.extra),
        }

    @staticmethod
    def _parse(ref: PublishedRef) -> tuple[str, int]:
        network, _, rest = ref.id.partition(":")
        key, _, index = rest.rpartition(":")
        if network != "webhook" or not key or not index.isdigit():
            raise ConnectorError(f"{ref.id!r} does not name a webhook delivery.")
        return key, int(index)

    # -- the wire ------------------------------------------------------------------------

    def _send(
        self, event: str, payload: dict[str, Any], *, delivery: str, gone_ok: bool = False
    ) -> None:
        self._check_address()
        try:
            body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        except UnicodeEncodeError as exc:  # a lone surrogate: no receiver could decode it
            raise ContentRejected("The text holds characters that cannot be sent.") from exc
        # A fresh timestamp and signature for every attempt, over exactly the bytes sent.
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Cluetrain-Event": event,
            "X-Cluetrain-Delivery": quote(delivery, safe=":-._~"),
            "X-Cluetrain-Timestamp": timestamp,
        }
        if self._secret:
            headers["X-Cluetrain-Signature"] = sign(self._secret, timestamp, body)
        try:
            with self._client.stream("POST", self._url, content=body, headers=headers) as answer:
                received = _read_some(answer)
        except httpx.TimeoutException as exc:
            raise NetworkError(
                f"The webhook receiver at {self.host} did not answer in time."
            ) from exc
        except httpx.RequestError as exc:  # refused, reset, unresolvable...
            refused = refused_address(exc)
            if refused:  # the name changed its answer since _check_address: still nothing sent
                raise AddressRefused(
                    f"Nothing was sent to the webhook receiver at {self.host}: "
                    + self._scrub(refused)
                ) from exc
            raise NetworkError(
                f"Could not reach the webhook receiver at {self.host}: {self._scrub(str(exc))}"
            ) from exc
        if answer.is_success or (gone_ok and answer.status_code in (404, 410)):
            return
        raise self._refusal(answer, received)

    def _check_address(self) -> None:
        """Refuse, before anything is sent, an address that now resolves to a private host.

        Checked at every delivery, not only when the voice was set up: the name's DNS answer
        may have changed since. ``settings.ALLOW_PRIVATE_URLS`` lets loopback receivers pass.
        """
        try:
            check_public_url(self._url, unknown_host_ok=True)
        except ServiceError as exc:
            raise AddressRefused(
                f"Nothing was sent to the webhook receiver at {self.host}: "
                + self._scrub(exc.message)
            ) from exc

    def _refusal(self, answer: httpx.Response, received: bytes) -> ConnectorError:
        status, at = answer.status_code, f"The webhook receiver at {self.host}"
        if answer.is_redirect or 300 <= status < 400:
            moved = urlsplit(answer.headers.get("Location", ""))
            to = f" to {moved.scheme}://{moved.netloc}" if moved.netloc else ""
            return ConnectorError(
                f"{at} answered that the webhook moved (HTTP {status}){to}. "
                "Give the voice the webhook's new address."
            )
        if status == 429:
            return NetworkError(
                f"{at} asked us to slow down (HTTP 429).",
                retry_after=retry_after(answer.headers.get("Retry-After")),
            )
        if status == 408 or 500 <= status < 600:
            return NetworkError(
                f"{at} failed for now (HTTP {status}).",
                retry_after=retry_after(answer.headers.get("Retry-After")),
            )
        if status in (401, 403):
            return CredentialsRejected(
                f"{at} refused the delivery (HTTP {status}). Check the webhook's secret and URL."
            )
        if status in (404, 410):
            # Slack says 404 no_service / 410 channel_is_archived: the address, not the post.
            return CredentialsRejected(
                f"{at} does not know this webhook address (HTTP {status}). Check the URL."
            )
        if 400 <= status < 500:
            said = self._scrub(_snippet(received))
            return ContentRejected(
                f"{at} refused the post (HTTP {status})" + (f": {said}" if said else ".")
            )
        return ConnectorError(f"{at} gave an unexpected answer (HTTP {status}).")

    def _scrub(self, text: str) -> str:
        """``text`` without the secret or the address, which a Slack webhook keeps secret."""
        for hidden in (self._secret, self._url):
            if hidden:
                text = text.replace(hidden, "…")
        return text


def _joined(outgoing: Outgoing) -> str:
    return "\n\n".join(outgoing.parts)


def _read_some(answer: httpx.Response) -> bytes:
    """The start of the answer; reading it lets the connection go back to the pool.

    Read raw: a receiver's broken compression must not hide the status it answered.
    """
    received = b""
    for chunk in answer.iter_raw():
        received += chunk
        if len(received) >= _READ_LIMIT:
            break
    return received


def _snippet(received: bytes) -> str:
    text = _CONTROL.sub(" ", received.decode("utf-8", "replace"))
    text = " ".join(text.split())
    return text if len(text) <= _SNIPPET else text[: _SNIPPET - 1] + "…"


def retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: a number of seconds or an HTTP date."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # HTTP dates are in GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
