"""The Mastodon connector: one account on one Mastodon instance, through Mastodon.py.

Limits are the instance's own: a Mastodon admin can raise the character limit, so the limit is
read from the instance (``GET /api/v2/instance``) the first time it is needed and kept for the
connector's life. Reading ``max_length`` or ``max_media`` may therefore make that one request.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from mastodon import Mastodon
from mastodon.errors import MastodonAPIError, MastodonNotFoundError

from cluetrain.networks.base import (
    Account,
    ConnectorError,
    ContentRejected,
    Engagement,
    Media,
    NetworkError,
    Outgoing,
    PartCallback,
    PublishedRef,
)
from cluetrain.networks.mastodon.client import Client, plain_secret
from cluetrain.networks.mastodon.length import count_length

# What Mastodon allowed before instances could say otherwise.
DEFAULT_MAX_LENGTH = 500
DEFAULT_MAX_MEDIA = 4
VISIBILITIES = ("public", "unlisted", "private", "direct")


@dataclass(frozen=True)
class InstanceRules:
    """What an instance says about itself that publishing needs.

    ``domain`` is the domain of its accounts' handles, which may differ from the address of
    its API (an instance can serve @someone@example.org from social.example.org).
    """

    domain: str
    max_length: int = DEFAULT_MAX_LENGTH
    max_media: int = DEFAULT_MAX_MEDIA


def idempotency_key(key: str, index: int) -> str:
    """The ``Idempotency-Key`` header for part ``index`` of the publication ``key``.

    Mastodon remembers the key for an hour and answers a repeated request with the status it
    already made, so a retried part is not posted twice. The key is hashed because a header
    takes neither arbitrary characters nor arbitrary lengths.
    """
    digest = hashlib.sha256(f"{key}\x00{index}".encode()).hexdigest()
    return f"cluetrain-{digest[:48]}"


def _fields(entity: object, what: str, host: str) -> Mapping[str, Any]:
    if isinstance(entity, Mapping):
        return entity
    raise ConnectorError(f"{host} answered with something that is not a Mastodon {what}.")


def _count(value: object, default: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return default


def _section(entity: Mapping[str, Any], *path: str) -> Mapping[str, Any]:
    for name in path:
        value = entity.get(name)
        if not isinstance(value, Mapping):
            return {}
        entity = value
    return entity


class MastodonConnector:
    """Publishes as one Mastodon account, given its instance's address and an access token.

    ``media_wait`` bounds how long an upload that the instance is still processing is waited
    for before giving up with a ``NetworkError``; ``media_poll_interval`` is the pause between
    two looks at it.
    """

    network = "mastodon"

    def __init__(
        self,
        api_base_url: str,
        access_token: str,
        *,
        timeout: float = 20.0,
        media_wait: float = 60.0,
        media_poll_interval: float = 1.0,
    ) -> None:
        self._client = Client(
            api_base_url, access_token=plain_secret(access_token, "access token"), timeout=timeout
        )
        self.host = self._client.host
        self.media_wait = media_wait
        self.media_poll_interval = media_poll_interval
        self._rules: InstanceRules | None = None
        self._max_length: int | None = None
        self._max_media: int | None = None

    # -- the instance's rules ---------------------------------------------------------------

    def rules(self) -> InstanceRules:
        """What the instance allows, asked once (``/api/v2/instance``, else v1)."""
        if self._rules is None:
            self._rules = self._client.run(
                self._read_rules,
                not_found=ConnectorError(
                    f"{self.host} does not describe itself as a Mastodon server does "
                    "(it has no /api/v1/instance)."
                ),
            )
        return self._rules

    def _read_rules(self, api: Mastodon) -> InstanceRules:
        try:
            v2 = _fields(api.instance_v2(), "instance", self.host)
        except MastodonNotFoundError:
            v2 = None  # before Mastodon 4.0, and on some other servers: ask v1 below
        if v2 is not None:
            statuses = _section(v2, "configuration", "statuses")
            return InstanceRules(
                domain=str(v2.get("domain") or self.host),
                max_length=_count(statuses.get("max_characters"), DEFAULT_MAX_LENGTH),
                max_media=_count(statuses.get("max_media_attachments"), DEFAULT_MAX_MEDIA),
            )
        v1 = _fields(api.instance_v1(), "instance", self.host)
        statuses = _section(v1, "configuration", "statuses")
        uri = str(v1.get("uri") or "")
        return InstanceRules(
            domain=(urlsplit(uri).netloc if "://" in uri else uri) or self.host,
            # Mastodon 3.x says configuration.statuses; Pleroma and glitch-soc max_toot_chars.
            max_length=_count(
                statuses.get("max_characters"),
                _count(v1.get("max_toot_chars"), DEFAULT_MAX_LENGTH),
            ),
            max_media=_count(statuses.get("max_media_attachments"), DEFAULT_MAX_MEDIA),
        )

    @property
    def max_length(self) -> int:
        """The longest status the instance takes, as ``length_of`` counts."""
        return self._max_length or self.rules().max_length

    @max_length.setter
    def max_length(self, value: int) -> None:
        self._max_length = value

    @property
    def max_media(self) -> int:
        """How many attachments one status may carry on this instance."""
        return self._max_media or self.rules().max_media

    @max_media.setter
    def max_media(self, value: int) -> None:
        self._max_media = value

    def length_of(self, text: str) -> int:
        """Characters as Mastodon counts them: a link is 23, @user@domain counts as @user."""
        return count_length(text)

    # -- the account ------------------------------------------------------------------------

    def verify(self) -> Account:
        """Check the token (``verify_credentials``) and name the account as @user@domain."""
        account = _fields(
            self._client.run(lambda api: api.account_verify_credentials()), "account", self.host
        )
        acct = str(account.get("acct") or account.get("username") or "")
        if "id" not in account or not acct:
            raise ConnectorError(f"{self.host} described the account without its id or name.")
        handle = f"@{acct}" if "@" in acct else f"@{acct}@{self.rules().domain}"
        return Account(
            id=str(account["id"]),
            handle=handle,
            display_name=str(account.get("display_name") or ""),
        )

    # -- publishing -------------------------------------------------------------------------

    def texts(self, outgoing: Outgoing) -> list[str]:
        """The text of each part as it will be sent.

        Cluetrain's quotes can point at any network, and Mastodon's own quote posts (4.5 and
        later) only take a status of this instance whose author allows it; so a quote becomes
        the quoted post's link at the end of the first part, only if the part stays within the
        instance's limit with it (a link counts 23). If it does not fit, the quote is left out
        rather than refusing the post. A link the text already holds is not added again.
        """
        parts = list(outgoing.parts)
        quote = outgoing.quote.url if outgoing.quote else ""
        if parts and quote and quote not in parts[0]:
            quoted = f"{parts[0].rstrip()}\n\n{quote}" if parts[0].strip() else quote
            if count_length(quoted, outgoing.content_warning) <= self.max_length:
                parts[0] = quoted
        return parts

    def publish(
        self,
        outgoing: Outgoing,
        *,
        done: Sequence[PublishedRef] = (),
        on_part: PartCallback | None = None,
    ) -> list[PublishedRef]:
        """Post each part not yet ``done``, every part after the first replying to the one before.

        Media (with its alt text) is uploaded before the first part and attached to it; the
        content warning, visibility and language apply to every part. Each part is sent with
        an ``Idempotency-Key`` made from ``outgoing.key`` and its index, so a retry within the
        hour Mastodon keeps the key gets back the status already made instead of a second one.
        Mastodon makes its own preview card from the first link in the text, so
        ``outgoing.link`` is not sent.
        """
        refs = list(done)
        parts = self.texts(outgoing)
        if len(refs) > len(parts):
            raise ConnectorError(
                f"{len(refs)} parts are recorded as published, but there are only {len(parts)}."
            )
        self._check(outgoing, parts, start=len(refs))
        for index in range(len(refs), len(parts)):
            media_ids = [self._upload(m) for m in outgoing.media] if index == 0 else []
            if index:
                reply_to: str | None = refs[index - 1].id
            else:
                reply_to = self._local_id(outgoing.reply_to) if outgoing.reply_to else None
            ref = self._post(outgoing, index, parts[index], reply_to, media_ids)
            refs.append(ref)
            if on_part is not None:
                on_part(index, ref)
        return refs

    def _check(self, outgoing: Outgoing, parts: list[str], *, start: int) -> None:
        """Refuse, before any request that changes anything, what the instance would refuse."""
        if outgoing.visibility not in VISIBILITIES:
            raise ContentRejected(
                f"Mastodon has no visibility {outgoing.visibility!r}; "
                f"it takes {', '.join(VISIBILITIES)}."
            )
        if start == 0 and len(outgoing.media) > self.max_media:
            raise ContentRejected(
                f"{self.host} takes at most {self.max_media} images on a post; "
                f"this one has {len(outgoing.media)}."
            )
        for index in range(start, len(parts)):
            if not parts[index].strip() and not (index == 0 and outgoing.media):
                raise ContentRejected(f"Part {index + 1} of the post is empty.")
            length = count_length(parts[index], outgoing.content_warning)
            if length > self.max_length:
                raise ContentRejected(
                    f"Part {index + 1} is {length} characters as Mastodon counts them (every "
                    f"link counts 23, and the content warning counts too); {self.host} takes "
                    f"{self.max_length}."
                )

    def _upload(self, media: Media) -> str:
        """Upload one image with its alt text and wait until the instance has processed it."""
        attachment = _fields(
            self._client.run(
                lambda api: api.media_post(
                    media.data,
                    mime_type=media.content_type,
                    description=media.alt_text,
                    file_name=media.filename or None,
                )
            ),
            "media attachment",
            self.host,
        )
        if "id" not in attachment:
            raise ConnectorError(f"{self.host} accepted an upload but gave it no id.")
        media_id = str(attachment["id"])
        # 202 Accepted: the instance processes the file in the background; a status cannot
        # carry it until GET /api/v1/media/:id answers 200 (it answers 206 until then).
        processing = self._answered(202)
        deadline = time.monotonic() + self.media_wait
        while processing:
            if time.monotonic() >= deadline:
                raise NetworkError(
                    f"{self.host} was still processing an image after {self.media_wait:g} "
                    "seconds; try again later."
                )
            time.sleep(self.media_poll_interval)
            self._client.run(lambda api: self._look_at_media(api, media_id))
            processing = self._answered(206)
        return media_id

    def _look_at_media(self, api: Mastodon, media_id: str) -> object:
        try:
            return api.media(media_id)
        except MastodonAPIError:
            # Mastodon's documentation shows the 206 "still processing" answer with no body,
            # which Mastodon.py cannot parse; the status code is all that matters here.
            if self._answered(206):
                return None
            raise

    def _local_id(self, ref: PublishedRef) -> str:
        """The id this instance gives the status to reply to.

        A status id is only meaningful on the instance that issued it: one heard elsewhere
        (stored by its URI or URL) is first looked up here with a resolving search, which
        fetches a remote status into this instance so it can be answered.
        """
        if ref.id.isdigit():
            return ref.id
        address = ref.url or ref.id
        found = self._client.run(
            lambda api: api.search_v2(address, resolve=True, result_type="statuses", limit=1)
        )
        statuses = _fields(found, "search", self.host).get("statuses") or []
        first = statuses[0] if isinstance(statuses, list) and statuses else None
        status_id = str(first.get("id") or "") if isinstance(first, Mapping) else ""
        if not status_id.isdigit():
            raise ContentRejected(
                f"{self.host} cannot find the post this replies to ({address[:120]}); "
                "it may be deleted or not visible to this account."
            )
        return status_id

    def _answered(self, status: int) -> bool:
        last = self._client.last
        return last is not None and last.status_code == status

    def _post(
        self,
        outgoing: Outgoing,
        index: int,
        text: str,
        reply_to: str | None,
        media_ids: list[str],
    ) -> PublishedRef:
        status = self._client.run(
            lambda api: api.status_post(
                text,
                in_reply_to_id=reply_to,
                media_ids=media_ids or None,
                visibility=outgoing.visibility,
                spoiler_text=outgoing.content_warning or None,
                language=outgoing.language or None,
                idempotency_key=idempotency_key(outgoing.key, index),
            ),
            not_found=ContentRejected(
                f"The post this replies to no longer exists on {self.host}, "
                "or this account may not see it."
            ),
        )
        return self._ref(status)

    def _ref(self, status: object) -> PublishedRef:
        fields = _fields(status, "status", self.host)
        if "id" not in fields:
            raise ConnectorError(f"{self.host} answered with a status that has no id.")
        return PublishedRef(
            id=str(fields["id"]), url=str(fields.get("url") or fields.get("uri") or "")
        )

    # -- after publishing -------------------------------------------------------------------

    def _gone(self, ref: PublishedRef) -> ConnectorError:
        return ConnectorError(f"The status {ref.id} no longer exists on {self.host}.")

    def edit(self, ref: PublishedRef, text: str) -> PublishedRef:
        """Replace the text of a status, keeping its media, content warning and sensitivity.

        Mastodon treats every field left out of an edit as removed (media would be dropped,
        the content warning cleared), so the status is read first and sent back whole.
        """
        current = _fields(
            self._client.run(lambda api: api.status(ref.id), not_found=self._gone(ref)),
            "status",
            self.host,
        )
        warning = str(current.get("spoiler_text") or "")
        length = count_length(text, warning)
        if length > self.max_length:
            raise ContentRejected(
                f"The new text is {length} characters as Mastodon counts them; "
                f"{self.host} takes {self.max_length}."
            )
        attachments = current.get("media_attachments") or []
        media_ids = [
            str(_fields(item, "media attachment", self.host).get("id")) for item in attachments
        ]
        updated = self._client.run(
            lambda api: api.status_update(
                ref.id,
                text,
                spoiler_text=warning,
                sensitive=bool(current.get("sensitive")),
                media_ids=media_ids or None,
            ),
            not_found=self._gone(ref),
        )
        return self._ref(updated)

    def delete(self, ref: PublishedRef) -> None:
        """Delete a status; one that is already gone (404) counts as deleted."""

        def delete(api: Mastodon) -> None:
            with suppress(MastodonNotFoundError):
                api.status_delete(ref.id)

        self._client.run(delete)

    def engagement(self, ref: PublishedRef) -> Engagement:
        """Favourites, boosts and replies as the instance counts them (quotes where it says)."""
        status = _fields(
            self._client.run(lambda api: api.status(ref.id), not_found=self._gone(ref)),
            "status",
            self.host,
        )
        return Engagement(
            likes=_count(status.get("favourites_count"), 0),
            reposts=_count(status.get("reblogs_count"), 0),
            replies=_count(status.get("replies_count"), 0),
            quotes=_count(status.get("quotes_count"), 0),
        )

    def followers(self) -> int:
        """The account's followers as its instance counts them (``verify_credentials``)."""
        account = _fields(
            self._client.run(lambda api: api.account_verify_credentials()), "account", self.host
        )
        return _count(account.get("followers_count"), 0)
