"""The Bluesky connector: one account on one AT Protocol Personal Data Server (PDS).

It logs in with an app password, or reuses a stored session so that a worker does not create a
new session (rate-limited by Bluesky) for every post; an expired session is refreshed, and the
password is used again only when the refresh fails. It writes records straight to the
account's repository through ``com.atproto.repo.*``, which every PDS serves.

Publishing is idempotent: every part of a publication goes to a record key derived from the
publication (``tid.record_key``), so a retry can look the part up instead of posting it twice,
and a repository never holds the same part twice. A first attempt makes one request per part
(``createRecord``) and looks the part up only when that request fails without a clear refusal.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import httpx
from atproto import AtUri, Client, Session, SessionEvent
from atproto import exceptions as at
from atproto_client.request import Request

from cluetrain.core.pinned_http import pinned_transport
from cluetrain.networks.base import (
    Account,
    ConnectorError,
    ContentRejected,
    Engagement,
    NotSupported,
    Outgoing,
    PartCallback,
    PublishedRef,
)
from cluetrain.networks.bluesky import embeds
from cluetrain.networks.bluesky.errors import (
    FAILURES,
    STALE_SESSION,
    error_name,
    may_have_landed,
    status_of,
    translate,
)
from cluetrain.networks.bluesky.richtext import (
    MAX_GRAPHEMES,
    facets,
    grapheme_count,
    length_problem,
    mentioned_handles,
)
from cluetrain.networks.bluesky.tid import record_key

DEFAULT_SERVICE = "https://bsky.social"
DEFAULT_WEB = "https://bsky.app"
POST = "app.bsky.feed.post"
# Handles resolved to DIDs, kept per connector: enough for the accounts one voice mentions.
MENTION_CACHE_SIZE = 256
T = TypeVar("T")
StrongRef = dict[str, str]

_transports: dict[int, httpx.HTTPTransport] = {}


def _shared_transport() -> httpx.HTTPTransport:
    """The connection pool every Bluesky connector of this process shares.

    A new HTTP client loads the TLS certificate store (about 20 ms, longer than a post takes)
    and opens new connections, which a worker building a connector per job would pay each
    time. Keyed by process id, so that a forked process never shares its parent's sockets.
    Pinned (``core.pinned_http``): the server's address was checked when the voice was
    connected, and each new connection checks the address it is opened to again, so a name
    that later points inside is refused.
    """
    pid = os.getpid()
    transport = _transports.get(pid)
    if transport is None:
        transport = _transports[pid] = pinned_transport()
    return transport


def check(outgoing: Outgoing, done: Sequence[PublishedRef]) -> None:
    """Refuse what Bluesky would refuse, before any network call."""
    parts = outgoing.parts
    if not parts:
        raise ContentRejected("There is nothing to publish: the post has no text.")
    if len(done) > len(parts):
        raise ConnectorError(
            f"{len(done)} parts are recorded as published, but the thread has only {len(parts)}."
        )
    has_embed = bool(outgoing.media or outgoing.quote or outgoing.link)
    for index, text in enumerate(parts):
        if index == 0 and has_embed and not text.strip():
            continue  # an image, a quote or a link may stand without words
        problem = length_problem(text)
        if problem:
            where = f"Part {index + 1} of the thread: " if len(parts) > 1 else ""
            raise ContentRejected(where + problem)
    embeds.check_media(outgoing.media)


class BlueskyConnector:
    """Publishes as one Bluesky account, given its handle and an app password.

    ``service`` is the account's PDS (or Bluesky's entryway), ``web`` the site that post URLs
    point at. ``session`` is a string from an earlier ``session_string``; when given it is used
    instead of logging in. ``on_session`` is called with the new session string whenever a
    login or a refresh changes it, to store it. One connector serves one thread at a time.
    """

    network = "bluesky"
    max_length = MAX_GRAPHEMES
    max_media = embeds.MAX_IMAGES

    def __init__(
        self,
        handle: str,
        app_password: str,
        *,
        service: str = DEFAULT_SERVICE,
        web: str = DEFAULT_WEB,
        session: str | None = None,
        on_session: Callable[[str], None] | None = None,
        timeout: float = 20.0,
    ) -> None:
        self.handle = handle.removeprefix("@")
        self._password = app_password
        self.service = service.rstrip("/").removesuffix("/xrpc")
        self.web = web.rstrip("/")
        self._stored_session = session
        self._on_session = on_session
        self._timeout = timeout
        self._client: Client | None = None
        self._did: str | None = None
        self._dids: OrderedDict[str, str] = OrderedDict()

    def length_of(self, text: str) -> int:
        return grapheme_count(text)

    @property
    def session_string(self) -> str | None:
        """The current session, to store and hand back later; None before any login."""
        return self._client.export_session_string() if self._client else None

    def verify(self) -> Account:
        """Log in (or check the stored session) and say which account this is."""
        answer = self._run(lambda client: client.com.atproto.server.get_session())
        return Account(id=answer.did, handle=answer.handle)

    def publish(
        self,
        outgoing: Outgoing,
        *,
        done: Sequence[PublishedRef] = (),
        on_part: PartCallback | None = None,
    ) -> list[PublishedRef]:
        """Publish the parts not in ``done`` as a thread, each a reply to the one before.

        Facets mark links, hashtags and the mentions that resolve; media, a quote or a link
        card go on the first part. A retry (``extra["attempt"]`` other than "1") first looks
        each part up under its record key and keeps what an earlier attempt made.
        """
        check(outgoing, done)
        refs = list(done)
        if len(refs) == len(outgoing.parts):
            return refs

        def publish_rest(client: Client) -> list[PublishedRef]:
            # ``refs`` grows as parts go out, so a second run after a session refresh resumes.
            self._publish_rest(client, outgoing, refs, on_part)
            return refs

        return self._run(publish_rest)

    def edit(self, ref: PublishedRef, text: str) -> PublishedRef:
        raise NotSupported("Bluesky posts cannot be edited; delete and post again.")

    def delete(self, ref: PublishedRef) -> None:
        """Delete a post; the PDS treats a post that is already gone as deleted."""
        uri = AtUri.from_str(ref.id)
        self._run(
            lambda client: client.com.atproto.repo.delete_record(
                {"repo": uri.host, "collection": uri.collection, "rkey": uri.rkey}
            )
        )

    def engagement(self, ref: PublishedRef) -> Engagement:
        """Counts from ``app.bsky.feed.getPosts``, which needs an App View behind the PDS.

        Bluesky's own servers have one; a self-hosted PDS often has none (nor does the test
        PDS), and then this raises ``NotSupported``: such counts have to come from the
        network's event stream instead.
        """

        def count(client: Client) -> Engagement:
            try:
                answer = client.app.bsky.feed.get_posts({"uris": [ref.id]})
            except at.RequestErrorBase as exc:
                status = status_of(exc)
                if status is None or status in (401, 403, 429) or error_name(exc) in STALE_SESSION:
                    raise
                raise NotSupported(
                    f"Reaction counts come from Bluesky's App View, which {self.service} does "
                    f"not offer or could not reach ({exc})."
                ) from exc
            if not answer.posts:
                raise ConnectorError(f"Bluesky has no post at {ref.url}; it may have been deleted.")
            post = answer.posts[0]
            return Engagement(
                likes=post.like_count or 0,
                reposts=post.repost_count or 0,
                replies=post.reply_count or 0,
                quotes=post.quote_count or 0,
            )

        return self._run(count)

    def followers(self) -> int:
        """Followers from ``app.bsky.actor.getProfile``, which, like reaction counts, needs an
        App View behind the PDS; ``NotSupported`` without one."""

        def count(client: Client) -> int:
            did = client.com.atproto.server.get_session().did
            try:
                profile = client.app.bsky.actor.get_profile({"actor": did})
            except at.RequestErrorBase as exc:
                status = status_of(exc)
                if status is None or status in (401, 403, 429) or error_name(exc) in STALE_SESSION:
                    raise
                raise NotSupported(
                    f"Follower counts come from Bluesky's App View, which {self.service} does "
                    f"not offer or could not reach ({exc})."
                ) from exc
            return max(int(profile.followers_count or 0), 0)

        return self._run(count)

    def post_url(self, at_uri: str) -> str:
        """The web page of a post, from its AT URI."""
        uri = AtUri.from_str(at_uri)
        return f"{self.web}/profile/{uri.host}/post/{uri.rkey}"

    # -- publishing ------------------------------------------------------------------------

    def _publish_rest(
        self,
        client: Client,
        outgoing: Outgoing,
        refs: list[PublishedRef],
        on_part: PartCallback | None,
    ) -> None:
        start = len(refs)
        retry = outgoing.extra.get("attempt", "1") != "1"
        dids = self._resolve(client, outgoing.parts[start:])
        root: StrongRef | None = None
        parent: StrongRef | None = None
        if outgoing.reply_to is not None:
            parent, root = self._reply_refs(client, outgoing.reply_to)
        if start:
            parent = self._strong_ref(client, refs[-1])
            root = root or self._strong_ref(client, refs[0])
        for index in range(start, len(outgoing.parts)):
            rkey = record_key(outgoing.key, outgoing.created_at, index)
            made = self._find(client, rkey) if retry else None
            if made is None:
                record = self._record(client, outgoing, index, dids, root, parent)
                made = self._create(client, rkey, record)
            ref = PublishedRef(id=made["uri"], cid=made["cid"], url=self.post_url(made["uri"]))
            refs.append(ref)
            if on_part is not None:
                on_part(index, ref)
            parent = made
            root = root or made

    def _record(
        self,
        client: Client,
        outgoing: Outgoing,
        index: int,
        dids: dict[str, str],
        root: StrongRef | None,
        parent: StrongRef | None,
    ) -> dict[str, Any]:
        text = outgoing.parts[index]
        record: dict[str, Any] = {
            "$type": POST,
            "text": text,
            "createdAt": client.get_current_time_iso(),
        }
        found = facets(text, dids)
        if found:
            record["facets"] = found
        if outgoing.language:
            record["langs"] = [outgoing.language]
        if root is not None and parent is not None:
            record["reply"] = {"root": root, "parent": parent}
        embed = self._embed(client, outgoing) if index == 0 else None
        if embed is not None:
            record["embed"] = embed
        return record

    def _embed(self, client: Client, outgoing: Outgoing) -> dict[str, Any] | None:
        images = None
        if outgoing.media:
            blobs = [
                client.com.atproto.repo.upload_blob(
                    image.data, headers={"Content-Type": image.content_type}
                ).blob.model_dump(by_alias=True, exclude_none=True)
                for image in outgoing.media
            ]
            images = embeds.images_embed(outgoing.media, blobs)
        if outgoing.quote is not None:
            return embeds.quote_embed(self._strong_ref(client, outgoing.quote), images)
        if images is not None:
            return images
        if outgoing.link is not None:
            return embeds.link_embed(outgoing.link)
        return None

    def _create(self, client: Client, rkey: str, record: dict[str, Any]) -> StrongRef:
        """Create the record under ``rkey``, or find it when the call failed but it got there.

        The reference PDS answers a second create under the same key with a bare 500, so a
        failure is told apart from success only by looking.
        """
        try:
            made = client.com.atproto.repo.create_record(
                {"repo": self._repo(), "collection": POST, "rkey": rkey, "record": record}
            )
            return embeds.strong_ref(made.uri, made.cid)
        except FAILURES as exc:
            found = None
            if may_have_landed(exc):
                try:
                    found = self._find(client, rkey)
                except FAILURES:
                    found = None  # the first failure says more than this one
            if found is None:
                raise
            return found

    def _find(self, client: Client, rkey: str) -> StrongRef | None:
        """The post this account holds under ``rkey``, if any."""
        try:
            got = client.com.atproto.repo.get_record(
                {"repo": self._repo(), "collection": POST, "rkey": rkey}
            )
        except at.BadRequestError as exc:
            if error_name(exc) == "RecordNotFound":
                return None
            raise
        if not got.cid:
            raise ConnectorError("The Bluesky server gave a post without its content hash.")
        return embeds.strong_ref(got.uri, got.cid)

    def _strong_ref(self, client: Client, ref: PublishedRef) -> StrongRef:
        if ref.cid:
            return embeds.strong_ref(ref.id, ref.cid)
        return self._reply_refs(client, ref)[0]

    def _reply_refs(self, client: Client, parent: PublishedRef) -> tuple[StrongRef, StrongRef]:
        """``parent`` and the root of its thread, as strong refs for a reply to ``parent``."""
        uri = AtUri.from_str(parent.id)
        got = client.com.atproto.repo.get_record(
            {"repo": uri.host, "collection": uri.collection, "rkey": uri.rkey}
        )
        parent_ref = embeds.strong_ref(parent.id, parent.cid or got.cid or "")
        reply = getattr(got.value, "reply", None)
        if reply is None:
            return parent_ref, parent_ref
        return parent_ref, embeds.strong_ref(reply.root.uri, reply.root.cid)

    def _resolve(self, client: Client, parts: Sequence[str]) -> dict[str, str]:
        """The DIDs of the handles mentioned in ``parts``, each looked up at most once."""
        dids: dict[str, str] = {}
        for handle in dict.fromkeys(h for text in parts for h in mentioned_handles(text)):
            key = handle.lower()
            did = self._dids.get(key)
            if did is None:
                try:
                    did = client.com.atproto.identity.resolve_handle({"handle": key}).did
                except at.BadRequestError:
                    continue  # no such account: the mention stays plain text
                self._dids[key] = did
                if len(self._dids) > MENTION_CACHE_SIZE:
                    self._dids.popitem(last=False)
            else:
                self._dids.move_to_end(key)
            dids[handle] = did
        return dids

    def _repo(self) -> str:
        if self._did is None:  # set by every login and session import
            raise at.LoginRequiredError
        return self._did

    # -- session ---------------------------------------------------------------------------

    def _session_changed(self, event: SessionEvent, session: Session) -> None:
        self._did = session.did
        # An imported session is the stored one: nothing new to store.
        if event is not SessionEvent.IMPORT and self._on_session is not None:
            self._on_session(session.encode())

    def _new_client(self) -> Client:
        request = Request(timeout=self._timeout, transport=_shared_transport())
        client = Client(base_url=f"{self.service}/xrpc", request=request)
        client.on_session_change(self._session_changed)
        return client

    def _login(self) -> Client:
        if self._client is not None:
            return self._client
        client = self._new_client()
        if self._stored_session:
            try:
                # Importing a session string makes no request: the tokens are checked on use,
                # and the SDK refreshes an access token that is about to expire before using it.
                client.login(session_string=self._stored_session, fetch_bsky_profile=False)
                self._client = client
                return client
            except (ValueError, at.AtProtocolError):
                client = self._new_client()  # unreadable stored session: log in afresh
        # No App View is needed to post, so the profile is not fetched.
        client.login(self.handle, self._password, fetch_bsky_profile=False)
        self._client = client
        return client

    def _renew(self) -> Client:
        """A client with a working session: refreshed if possible, else logged in again."""
        client = self._client
        if client is not None:
            try:
                # The SDK has no public method that refreshes and keeps the new session.
                client._refresh_and_set_session()
                return client
            except at.RequestErrorBase as exc:
                if error_name(exc) not in STALE_SESSION and status_of(exc) != 401:
                    raise
            except at.LoginRequiredError:
                pass
        self._client, self._stored_session = None, None
        return self._login()

    def _run(self, call: Callable[[Client], T]) -> T:
        """Run ``call`` logged in, mapping SDK and HTTP errors onto the connector's own."""
        try:
            try:
                return call(self._login())
            except at.RequestErrorBase as exc:
                if error_name(exc) not in STALE_SESSION:
                    raise
            return call(self._renew())
        except FAILURES as exc:
            raise translate(exc) from exc
