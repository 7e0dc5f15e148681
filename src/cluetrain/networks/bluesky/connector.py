"""The Bluesky connector: one account on one AT Protocol Personal Data Server (PDS).

It logs in with an app password, or reuses a stored session so that a worker does not create a
new session (rate-limited by Bluesky) for every post. It writes records straight to the
account's repository through ``com.atproto.repo.*``, which every PDS serves; it never calls the
``app.bsky.*`` read methods that need Bluesky's App View.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from atproto import AtUri, Client, Session, SessionEvent
from atproto import exceptions as at
from atproto_client.request import Request

from cluetrain.networks.base import (
    Account,
    ConnectorError,
    ContentRejected,
    CredentialsRejected,
    NetworkError,
    PublishedRef,
)
from cluetrain.networks.bluesky.richtext import facets, length_problem, mentioned_handles

DEFAULT_SERVICE = "https://bsky.social"
DEFAULT_WEB = "https://bsky.app"
POST = "app.bsky.feed.post"
T = TypeVar("T")

# Error names (the XRPC "error" field) that say the session, not the password, went stale.
_STALE_SESSION = {"ExpiredToken", "InvalidToken"}
_ACCOUNT_GONE = {"AccountTakedown", "AccountDeactivated", "AccountSuspended"}


def _error_name(exc: at.RequestErrorBase) -> str:
    content = exc.response.content if exc.response is not None else None
    return str(getattr(content, "error", "") or "")


def _describe(exc: at.RequestErrorBase) -> str:
    content = exc.response.content if exc.response is not None else None
    message = getattr(content, "message", None) or _error_name(exc)
    status = exc.response.status_code if exc.response is not None else None
    return f"{status} {message}".strip() if status else str(message or exc)


def translate(exc: at.AtProtocolError) -> ConnectorError:
    """The connector error that stands for an error raised by the ``atproto`` SDK."""
    if isinstance(exc, at.LoginRequiredError):
        return CredentialsRejected("Not logged in to Bluesky.")
    if not isinstance(exc, at.RequestErrorBase):
        return ConnectorError(f"Unexpected answer from the Bluesky server: {exc}")
    name, status = _error_name(exc), exc.response.status_code if exc.response else None
    if isinstance(exc, at.RateLimitExceededError):
        return NetworkError("Bluesky rate limit reached.", retry_after=exc.retry_after)
    if exc.response is None:
        return NetworkError(f"Could not reach the Bluesky server: {exc.__cause__ or exc}")
    if name in _ACCOUNT_GONE or isinstance(exc, at.UnauthorizedError) or name in _STALE_SESSION:
        return CredentialsRejected(f"Bluesky refused the credentials: {_describe(exc)}")
    if status == 413 or isinstance(exc, at.BadRequestError):
        return ContentRejected(f"Bluesky refused the post: {_describe(exc)}")
    if status is not None and (status >= 500 or status in (408, 409)):
        return NetworkError(f"The Bluesky server failed for now: {_describe(exc)}")
    return ConnectorError(f"Unexpected answer from the Bluesky server: {_describe(exc)}")


class BlueskyConnector:
    """Publishes as one Bluesky account, given its handle and an app password.

    ``service`` is the account's PDS (or Bluesky's entryway), ``web`` the site that post URLs
    point at. ``session`` is a string from an earlier ``session_string``; when given it is used
    instead of logging in, and a fresh login happens only if the server has forgotten it.
    ``on_session`` is called with the new session string whenever it changes, to store it.
    """

    network = "bluesky"

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

    @property
    def session_string(self) -> str | None:
        """The current session, to store and hand back later; None before any login."""
        return self._client.export_session_string() if self._client else None

    def verify(self) -> Account:
        """Log in (or check the stored session) and say which account this is."""
        answer = self._run(lambda client: client.com.atproto.server.get_session())
        return Account(id=answer.did, handle=answer.handle)

    def publish(self, text: str, *, reply_to: PublishedRef | None = None) -> PublishedRef:
        """Post ``text`` with its links, mentions and hashtags as facets; reply when asked."""
        problem = length_problem(text)
        if problem:
            raise ContentRejected(problem)

        def post(client: Client) -> Any:
            record: dict[str, Any] = {
                "$type": POST,
                "text": text,
                "createdAt": client.get_current_time_iso(),
            }
            found = facets(text, self._resolve(client, mentioned_handles(text)))
            if found:
                record["facets"] = found
            if reply_to is not None:
                record["reply"] = self._reply_refs(client, reply_to)
            if self._did is None:  # set by every login, so never expected
                raise at.LoginRequiredError
            return client.com.atproto.repo.create_record(
                {"repo": self._did, "collection": POST, "record": record}
            )

        made = self._run(post)
        return PublishedRef(id=made.uri, cid=made.cid, url=self.post_url(made.uri))

    def delete(self, ref: PublishedRef) -> None:
        """Delete a post; the PDS treats a post that is already gone as deleted."""
        uri = AtUri.from_str(ref.id)
        self._run(
            lambda client: client.com.atproto.repo.delete_record(
                {"repo": uri.host, "collection": uri.collection, "rkey": uri.rkey}
            )
        )

    def post_url(self, at_uri: str) -> str:
        """The web page of a post, from its AT URI."""
        uri = AtUri.from_str(at_uri)
        return f"{self.web}/profile/{uri.host}/post/{uri.rkey}"

    def _new_client(self) -> Client:
        client = Client(base_url=f"{self.service}/xrpc", request=Request(timeout=self._timeout))

        def changed(event: SessionEvent, session: Session) -> None:
            self._did = session.did
            if self._on_session is not None:
                self._on_session(session.encode())

        client.on_session_change(changed)
        return client

    def _login(self) -> Client:
        if self._client is not None:
            return self._client
        client = self._new_client()
        if self._stored_session:
            try:
                # Importing a session string makes no request: the tokens are checked on use.
                client.login(session_string=self._stored_session, fetch_bsky_profile=False)
                self._client = client
                return client
            except (ValueError, at.AtProtocolError):
                client = self._new_client()  # unreadable stored session: log in afresh
        # No app view is needed to post, so the profile is not fetched.
        client.login(self.handle, self._password, fetch_bsky_profile=False)
        self._client = client
        return client

    def _run(self, call: Callable[[Client], T]) -> T:
        """Run ``call`` logged in, mapping SDK errors onto the connector's own."""
        try:
            try:
                return call(self._login())
            except at.RequestErrorBase as exc:
                if _error_name(exc) not in _STALE_SESSION:
                    raise
                # The session has expired for good: log in with the password, once.
                self._client, self._stored_session = None, None
                return call(self._login())
        except at.AtProtocolError as exc:
            raise translate(exc) from exc

    @staticmethod
    def _resolve(client: Client, handles: list[str]) -> dict[str, str]:
        dids: dict[str, str] = {}
        for handle in handles:
            try:
                dids[handle] = client.com.atproto.identity.resolve_handle({"handle": handle}).did
            except at.BadRequestError:
                continue  # no such account: the mention stays plain text
        return dids

    @staticmethod
    def _reply_refs(client: Client, parent: PublishedRef) -> dict[str, Any]:
        uri = AtUri.from_str(parent.id)
        got = client.com.atproto.repo.get_record(
            {"repo": uri.host, "collection": uri.collection, "rkey": uri.rkey}
        )
        parent_ref = {"uri": parent.id, "cid": parent.cid or got.cid}
        reply = getattr(got.value, "reply", None)
        root = {"uri": reply.root.uri, "cid": reply.root.cid} if reply is not None else parent_ref
        return {"root": root, "parent": parent_ref}
