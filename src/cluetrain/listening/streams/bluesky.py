"""Bluesky: the repository event stream (``com.atproto.sync.subscribeRepos``) of a PDS or relay.

Posts are kept when they mention one of the organisation's Bluesky voices, reply to a post of
one of them, carry a tracked keyword, hashtag or link to a tracked domain, or reply into a
thread already stored (so that conversations stay whole).

The stream's ``seq`` is the cursor, stored with each batch; a restarted listener asks the
server to replay from it, and intake ignores what it already has. A frame that cannot be read
(truncated, not CBOR, a CAR that does not decode, a message type we do not know) is skipped,
logged and counted; the cursor still moves past it, since it held nothing we could keep.

The atproto SDK decodes frames, messages and CAR blocks. The connection itself is a plain
``websockets`` client (the SDK's own transport) read here rather than through the SDK's
callback client, because intake needs batches flushed on a clock, and back-pressure needs a
listener that can stop reading without dropping what it holds.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx
from atproto_core.did_doc import DidDocument
from django.conf import settings

from cluetrain.core.errors import ServiceError
from cluetrain.core.pinned_http import pinned_client, pinned_socket
from cluetrain.core.urlguard import check_public_url
from cluetrain.listening.backpressure import Gate
from cluetrain.listening.heard import Heard
from cluetrain.listening.models import Author, Direction, Message, Source
from cluetrain.listening.reactions import do_record_reactions
from cluetrain.listening.streams.base import Listener, ListenError, as_dict
from cluetrain.listening.streams.bluesky_reactions import ReactionReader, did_of, record_time
from cluetrain.listening.watch import Watch
from cluetrain.triage.pipeline import take_in as do_intake
from cluetrain.voices.models import Network, Voice

log = logging.getLogger(__name__)

POST = "app.bsky.feed.post"
MENTION = "app.bsky.richtext.facet#mention"
LINK = "app.bsky.richtext.facet#link"
TAG = "app.bsky.richtext.facet#tag"
METHOD = "com.atproto.sync.subscribeRepos"
DEFAULT_RELAY = "wss://bsky.network"
MAX_FRAME = 5 * 1024 * 1024
# A DID document or describeRepo answer is a few hundred bytes; a bigger one is not read.
MAX_DOCUMENT_BYTES = 64 * 1024
FLUSH_SECONDS = 1.0
FLUSH_SIZE = 1000
# ``poll`` (``listen --once``) reads until the stream has been quiet this long.
IDLE_SECONDS = 2.0
POLL_LIMIT_SECONDS = 60.0


@dataclass
class Counters:
    """What the stream brought, for the logs and the tests."""

    frames: int = 0
    skipped: int = 0
    posts: int = 0
    kept: int = 0


def websocket_url(address: str) -> str:
    """The subscribeRepos endpoint of a PDS or relay given as https://, wss:// or a host."""
    text = address.strip().rstrip("/") or DEFAULT_RELAY
    if "://" not in text:
        text = f"wss://{text}"
    parts = urlsplit(text)
    scheme = {"https": "wss", "http": "ws"}.get(parts.scheme, parts.scheme)
    if scheme not in ("ws", "wss") or not parts.netloc:
        raise ListenError(f"{address!r} is not the address of a Bluesky server or relay.")
    return f"{scheme}://{parts.netloc}/xrpc/{METHOD}"


def voice_dids(organization_id: int) -> dict[str, str]:
    """The DIDs of the organisation's Bluesky voices, with their handles."""
    found: dict[str, str] = {}
    for voice in Voice.objects.filter(organization_id=organization_id, network=Network.BLUESKY):
        try:
            credential = voice.get_credential()
        except Exception:
            log.warning("The credential of %s cannot be read", voice)
            continue
        did = credential.get("did") if isinstance(credential.get("did"), str) else ""
        if not did and isinstance(credential.get("session"), str):
            try:
                from atproto import Session

                did = Session.decode(credential["session"]).did
            except Exception:
                did = ""
        if did:
            found[did] = voice.handle.lstrip("@")
    return found


@dataclass
class Candidate:
    heard: Heard
    ours: bool  # written by one of the organisation's voices
    matched: bool  # matched on its own (mention, reply to us, keyword, tag, domain)


@dataclass
class Matcher:
    """Decides which posts of the stream the organisation keeps."""

    organization_id: int
    watch: Watch
    voices: dict[str, str] = field(default_factory=dict)

    def features(self, record: dict[str, Any]) -> tuple[set[str], list[str], list[str]]:
        """Mentioned DIDs, tags and link URIs of a post record."""
        dids: set[str] = set()
        tags: list[str] = [t for t in record.get("tags") or [] if isinstance(t, str)]
        links: list[str] = []
        for facet in record.get("facets") or []:
            for feature in as_dict(facet).get("features") or []:
                feature = as_dict(feature)
                kind = feature.get("$type") or feature.get("py_type")
                if kind == MENTION and isinstance(feature.get("did"), str):
                    dids.add(feature["did"])
                elif kind == TAG and isinstance(feature.get("tag"), str):
                    tags.append(feature["tag"])
                elif kind == LINK and isinstance(feature.get("uri"), str):
                    links.append(feature["uri"])
        external = as_dict(as_dict(record.get("embed")).get("external"))
        if isinstance(external.get("uri"), str):
            links.append(external["uri"])
        return dids, tags, links

    def candidate(self, did: str, rkey: str, record: dict[str, Any], now: dt.datetime) -> Candidate:
        text = record["text"] if isinstance(record.get("text"), str) else ""
        reply = as_dict(record.get("reply"))
        parent = as_dict(reply.get("parent")).get("uri") or ""
        root = as_dict(reply.get("root")).get("uri") or ""
        parent, root = str(parent), str(root)
        dids, tags, links = self.features(record)
        ours = did in self.voices
        matched = not ours and (
            bool(dids & self.voices.keys())
            or did_of(parent) in self.voices
            or did_of(root) in self.voices
            or self.watch.matches_tags(tags)
            or any(self.watch.matches_domain(link) for link in links)
            or self.watch.matches_text(text)
        )
        heard = Heard(
            network="bluesky",
            external_id=f"at://{did}/{POST}/{rkey}",
            author_id=did,
            author_handle=self.voices.get(did, ""),
            text=text,
            created_at=record_time(record.get("createdAt"), now),
            url=f"https://bsky.app/profile/{did}/post/{rkey}",
            reply_to=parent,
            root=root or parent,
            direction=Direction.OUTBOUND if ours else Direction.INBOUND,
        )
        return Candidate(heard, ours, matched)

    def keep(self, candidates: list[Candidate]) -> list[Heard]:
        """The candidates to store: matched ones, and replies into threads already stored."""
        kept = [c.heard for c in candidates if c.matched]
        replies = [c for c in candidates if not c.matched and c.heard.reply_to]
        if not replies:
            return kept
        refs = {ref for c in replies for ref in (c.heard.reply_to, c.heard.root) if ref}
        known = set(
            Message.objects.filter(
                organization_id=self.organization_id, network="bluesky", external_id__in=refs
            ).values_list("external_id", flat=True)
        )
        known.update(h.external_id for h in kept)
        for c in replies:  # in stream order, so a reply to a reply in this batch is kept too
            if c.heard.reply_to in known or c.heard.root in known:
                kept.append(c.heard)
                known.add(c.heard.external_id)
        return kept


class HandleResolver:
    """Finds the handles of the DIDs the stream names, cached, on a time budget.

    The stream carries DIDs; a person reads handles. Each DID is looked up once, within a
    budget per batch (``BUDGET_SECONDS``) so that a slow server never holds the stream up; a
    DID left over is looked up with a later batch, and its author's handle filled in then.
    Identity events of the stream fill the cache for free.

    A handle is only taken from the server that hosts the account, which checks it both ways
    (``describeRepo`` answers ``handleIsCorrect``): a DID document alone may claim any name,
    and an inbox must never show a customer as "acme-rail.com" because they said so. The
    stream's own server is asked first (a PDS knows its accounts); behind a relay, the DID
    document (the PLC directory for did:plc, the domain's ``/.well-known/did.json`` for
    did:web) names the account's server, which is asked next. Addresses read from documents
    are guarded like every address Cluetrain calls.
    """

    BUDGET_SECONDS = 0.5

    def __init__(self, service: str, directory: str | None = None) -> None:
        self.service = service.rstrip("/")
        self.directory = (directory or settings.PLC_DIRECTORY).rstrip("/")
        self.handles: dict[str, str] = {}
        self._waiting: dict[str, int] = {}  # DID -> failed attempts
        self._client: httpx.Client | None = None

    def known(self, did: str, handle: str) -> None:
        self.handles[did] = handle

    def _get_json(self, url: str, *, guard: bool, **params: str) -> dict[str, Any] | None:
        """A JSON object from ``url``, or None; read up to ``MAX_DOCUMENT_BYTES`` only.
        ``guard``: the address came from someone else's document, so it must be public."""
        # Pinned: a name checked here, or when the source was saved, cannot answer with an
        # inside address when the socket is opened a moment later.
        if self._client is None:
            self._client = pinned_client(timeout=2.0, follow_redirects=False)
        try:
            with self._client.stream(
                "GET", check_public_url(url) if guard else url, params=params or None
            ) as answer:
                if answer.status_code != 200:
                    return None
                body = b""
                for piece in answer.iter_bytes():
                    body += piece
                    if len(body) > MAX_DOCUMENT_BYTES:
                        return None
            return as_dict(json.loads(body))
        except (httpx.HTTPError, ValueError, ServiceError):
            return None

    def _hosted_handle(self, server: str, did: str, *, guard: bool) -> str:
        """The handle ``server`` vouches for, or "" when it hosts no such account."""
        describe = f"{server.rstrip('/')}/xrpc/com.atproto.repo.describeRepo"
        found = self._get_json(describe, guard=guard, repo=did)
        if (
            not found
            or found.get("did") not in (None, did)
            or found.get("handleIsCorrect") is False
        ):
            return ""
        handle = found.get("handle")
        return handle if isinstance(handle, str) and handle != "handle.invalid" else ""

    def _home_server(self, did: str) -> str:
        """The account's own server, from its DID document ("" when it cannot be read)."""
        if did.startswith("did:plc:") and did[8:].isalnum():
            document = self._get_json(f"{self.directory}/{did}", guard=False)
        elif did.startswith("did:web:") and ":" not in did[8:]:
            document = self._get_json(f"https://{did[8:]}/.well-known/did.json", guard=True)
        else:
            return ""
        if document is None:
            return ""
        try:
            parsed = DidDocument.from_dict(document)
        except (ValueError, TypeError):
            return ""
        if parsed.id != did:
            return ""  # a document about someone else
        return parsed.get_pds_endpoint() or ""

    def _lookup(self, did: str) -> str:
        handle = self._hosted_handle(self.service, did, guard=False)
        if handle:
            return handle
        home = self._home_server(did)
        if not home or home.rstrip("/") == self.service:
            return ""
        return self._hosted_handle(home, did, guard=True)

    def resolve(self, dids: Iterable[str], budget: float | None = None) -> None:
        """Look up the handles of ``dids`` not known yet, for at most ``budget`` seconds."""
        deadline = time.monotonic() + (self.BUDGET_SECONDS if budget is None else budget)
        for did in dids:
            if did not in self.handles and self._waiting.get(did, 0) < 3:
                self._waiting.setdefault(did, 0)
        found: list[str] = []
        for did in list(self._waiting):
            if time.monotonic() > deadline:
                break
            handle = self._lookup(did)
            if handle:
                self.handles[did] = handle
                found.append(did)
                del self._waiting[did]
            else:
                self._waiting[did] += 1
                if self._waiting[did] >= 3:
                    del self._waiting[did]
        for did in found:  # authors stored before their handle was known
            Author.objects.filter(network="bluesky", external_id=did, handle="").update(
                handle=self.handles[did]
            )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


class BlueskyListener(Listener):
    """Reads a PDS's or relay's event stream for one organisation (``Source.url``; empty:
    the organisation's first Bluesky voice's server, else the Bluesky relay)."""

    streaming: ClassVar[bool] = True

    def __init__(self, source: Source) -> None:
        super().__init__(source)
        self.counters = Counters()
        self.matcher = Matcher(
            source.organization_id, Watch.of_source(source), voice_dids(source.organization_id)
        )
        self.address = source.url or self._voice_service() or DEFAULT_RELAY
        self.url = websocket_url(self.address)
        parts = urlsplit(self.url)
        http = {"wss": "https", "ws": "http"}[parts.scheme]
        self.resolver = HandleResolver(f"{http}://{parts.netloc}")
        for did, handle in self.matcher.voices.items():
            self.resolver.known(did, handle)
        self._pending: list[Candidate] = []
        self.reactions = ReactionReader(set(self.matcher.voices))
        self._seq: int | None = None

    def _voice_service(self) -> str:
        for voice in Voice.objects.filter(
            organization_id=self.organization_id, network=Network.BLUESKY
        ):
            try:
                service = voice.get_credential().get("service")
            except Exception:
                log.warning("The credential of %s cannot be read", voice)
                continue
            if isinstance(service, str) and service:
                return service
        return ""

    # -- frames ------------------------------------------------------------------------------

    def handle_frame(self, raw: bytes | str) -> None:
        """Decode one frame and keep what it holds for us; never raises for bad input."""
        self.counters.frames += 1
        try:
            self._frame(raw)
        except Exception as exc:
            self.counters.skipped += 1
            log.warning("%s: skipped a frame that cannot be read (%s)", self.source, exc)

    def _frame(self, raw: bytes | str) -> None:
        from atproto_client.subscriptions import (
            COM_ATPROTO_SYNC_SUBSCRIBE_REPOS_MESSAGE_TYPE_TO_MODEL as KNOWN,
        )
        from atproto_firehose import parse_subscribe_repos_message
        from atproto_subscription.frames import ErrorFrame, Frame

        if isinstance(raw, str):
            raise ValueError("a text frame")
        frame = Frame.from_bytes(raw)
        if isinstance(frame, ErrorFrame):
            raise ListenError(
                f"The server ended the stream: {frame.body.error} {frame.body.message}"
            )
        seq = as_dict(frame.body).get("seq")
        if isinstance(seq, int) and not isinstance(seq, bool):
            # Past this frame whatever it holds: a frame we cannot use is not a message lost.
            self._seq = max(self._seq or 0, seq)
        if frame.type not in KNOWN:
            self.counters.skipped += 1
            log.debug("%s: skipped a %r message", self.source, frame.type)
            return
        message = parse_subscribe_repos_message(frame)
        if frame.type == "#identity":
            if getattr(message, "handle", None):
                self.resolver.known(message.did, message.handle)
            return
        if frame.type != "#commit":
            return
        creates = [
            op
            for op in message.ops
            if op.action == "create"
            and (op.path.startswith(POST + "/") or self.reactions.wants(op.path))
        ]
        for op in message.ops:
            if op.action == "delete" and self.reactions.wants(op.path):
                self.reactions.deleted(message.repo, op.path)
        if not creates or not message.blocks:
            return
        from atproto_core.car import CAR

        blocks = {str(cid): block for cid, block in CAR.from_bytes(message.blocks).blocks.items()}
        now = dt.datetime.now(dt.UTC)
        for op in creates:
            record = blocks.get(str(op.cid)) if op.cid is not None else None
            if not isinstance(record, dict):
                continue
            if self.reactions.wants(op.path):
                self.reactions.created(message.repo, op.path, record, now)
                continue
            if record.get("$type") != POST:
                continue
            self.counters.posts += 1
            rkey = op.path.split("/", 1)[1]
            self.reactions.post(message.repo, rkey, record, now)
            self._pending.append(self.matcher.candidate(message.repo, rkey, record, now))

    # -- batches -----------------------------------------------------------------------------

    def flush(self) -> int:
        """Take in what the frames read so far hold, and store the cursor with it."""
        if not self._pending and self._seq is None:
            return 0
        kept = self.matcher.keep(self._pending)
        self._pending = []
        added, removed = self.reactions.take()
        if added or removed:
            # Before the cursor moves (with the messages): a crash in between replays them,
            # and storing reactions is idempotent.
            do_record_reactions(self.organization_id, added, removed)
        if kept:
            self.resolver.resolve(h.author_id for h in kept)
            handles = self.resolver.handles
            kept = [
                h if h.author_handle else _with_handle(h, handles.get(h.author_id, ""))
                for h in kept
            ]
        cursor = None if self._seq is None else str(self._seq)
        if cursor is None or (cursor == self.source.cursor and not kept):
            return 0
        new = do_intake(self.organization_id, kept, source=self.source, cursor=cursor)
        self.counters.kept += new
        return new

    # -- the connection ----------------------------------------------------------------------

    def _connect(self) -> Any:
        from websockets.sync.client import connect

        url = self.url
        if self.source.cursor.isdigit():
            url += f"?cursor={self.source.cursor}"
        parts = urlsplit(url)
        sock = None
        try:
            # The socket goes to an address checked as it is opened (no DNS rebinding);
            # websockets then speaks TLS over it, verified against the host name.
            port = parts.port or (443 if parts.scheme == "wss" else 80)
            sock = pinned_socket(parts.hostname or "", port, timeout=10)
            return connect(url, sock=sock, max_size=MAX_FRAME, open_timeout=10, close_timeout=1)
        except Exception as exc:
            if sock is not None:
                sock.close()
            raise ListenError(f"Cannot reach {parts.netloc}: {exc}") from exc

    def _read(self, stop: threading.Event, gate: Gate | None, idle_exit: float | None) -> int:
        """Read frames until ``stop`` (or, with ``idle_exit``, a quiet stream); flush on a clock."""
        new = 0
        started = last_frame = last_flush = time.monotonic()
        with self._connect() as websocket:
            while not stop.is_set():
                now = time.monotonic()
                if idle_exit is not None and (
                    now - last_frame > idle_exit or now - started > POLL_LIMIT_SECONDS
                ):
                    break
                try:
                    raw = websocket.recv(timeout=0.25)
                except TimeoutError:
                    raw = None
                except Exception as exc:  # the connection dropped: the caller reconnects
                    new += self.flush()
                    raise ListenError(
                        f"The stream from {urlsplit(self.url).netloc} ended: {exc}"
                    ) from exc
                if raw is not None:
                    last_frame = time.monotonic()
                    self.handle_frame(raw)
                if (
                    len(self._pending) >= FLUSH_SIZE
                    or time.monotonic() - last_flush >= FLUSH_SECONDS
                ):
                    new += self.flush()
                    last_flush = time.monotonic()
                    if gate is not None and not gate.wait(stop):
                        break  # back-pressure held us until told to stop
        return new + self.flush()

    def poll(self) -> int:
        """Read from the stored cursor until the stream is quiet (``listen --once``)."""
        try:
            return self._read(threading.Event(), None, IDLE_SECONDS)
        finally:
            self.resolver.resolve((), budget=5.0)

    def run(self, stop: threading.Event, gate: Gate) -> None:
        self._read(stop, gate, None)

    def close(self) -> None:
        self.resolver.close()


def _with_handle(heard: Heard, handle: str) -> Heard:
    import dataclasses

    return dataclasses.replace(heard, author_handle=handle) if handle else heard
