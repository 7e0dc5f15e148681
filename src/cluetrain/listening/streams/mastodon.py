"""Mastodon: a voice's mentions (notifications) and hashtag timelines, polled and streamed.

Polling is the record: notifications of type ``mention`` and each tracked hashtag's timeline
are read oldest first from the last id seen (``min_id``; ``since_id`` would return the newest
page only and skip whatever lies between after a long pause), the notifications' id being the
source's cursor, stored with the messages, and each hashtag's in ``Source.state``.

Streaming (the user stream and one stream per hashtag) is for speed: what it delivers is taken
in at once, but it never moves a cursor, because a stream that dropped and came back has a gap
that only the next poll fills. Duplicates between the two are ignored by intake.

Statuses are HTML: intake stores their words. Display names may hold anything, markup
included; they are stored as text and escaped where shown.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any, ClassVar

from cluetrain.listening.backpressure import Gate
from cluetrain.listening.heard import Heard
from cluetrain.listening.models import Source
from cluetrain.listening.streams.base import Listener, ListenError, as_dict
from cluetrain.listening.watch import lines
from cluetrain.triage.pipeline import take_in as do_intake

log = logging.getLogger(__name__)

PAGE = 40
MAX_PAGES = 25  # per poll and timeline: 1,000 items, then the next poll goes on
STREAM_FLUSH_SECONDS = 1.0
MAX_EVENT_BYTES = 1024 * 1024

# Events the streams sent that could not be read, since the process started.
malformed_events = 0


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _time(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def status_heard(status: Any) -> Heard | None:
    """A Mastodon status (a dict as the API gives it) as heard; None when it is not one."""
    status = as_dict(status)
    account = as_dict(status.get("account"))
    uri, account_id = _text(status.get("uri")) or _text(status.get("url")), account.get("id")
    if not uri or account_id in (None, ""):
        return None
    spoiler = _text(status.get("spoiler_text"))
    content = _text(status.get("content"))
    return Heard(
        network="mastodon",
        # The status's URI is the same on every instance; its id is only this instance's.
        external_id=uri,
        author_id=_text(account.get("url")) or _text(account.get("uri")) or str(account_id),
        author_handle=_text(account.get("acct")),
        author_name=_text(account.get("display_name")),
        author_url=_text(account.get("url")),
        text=f"<p>{spoiler}</p>{content}" if spoiler else content,
        html=True,
        created_at=_time(status.get("created_at")) or dt.datetime.now(dt.UTC),
        url=_text(status.get("url")),
        # The parent's URI is not in the status; its local id is, qualified by the instance.
        reply_to=_text(status.get("in_reply_to_uri")) or _local_ref(status, "in_reply_to_id"),
    )


def _local_ref(status: dict[str, Any], key: str) -> str:
    value = status.get(key)
    if value in (None, ""):
        return ""
    url = _text(status.get("url"))
    host = url.split("/", 3)[2] if url.count("/") >= 3 else ""
    return f"mastodon:{host}:{value}"


def _max_id(items: list[Any], current: str) -> str:
    ids = [str(as_dict(item).get("id", "")) for item in items]
    numeric = [int(i) for i in ids if i.isdigit()]
    best = max(numeric, default=0)
    return str(best) if best > int(current or 0) else current


def _stream_listener_class() -> type[Any]:
    from mastodon import StreamListener

    class Collector(StreamListener):
        """Reads a Mastodon event stream (SSE) and hands each mention or status on.

        Mastodon.py's own parser stops the stream at the first malformed line; a listener must
        not, so the lines are read here: an event that cannot be read is skipped and counted.
        """

        def __init__(self, deliver: Callable[[Heard], None], mentions_only: bool) -> None:
            self.deliver = deliver
            self.mentions_only = mentions_only

        def handle_stream(self, response: Any) -> None:
            event: dict[str, str] = {}
            size = 0
            for raw in response.iter_lines(chunk_size=1024, delimiter=b"\n"):
                line = raw.decode("utf-8", "replace").rstrip("\r")
                size += len(raw)
                if line == "":
                    self._dispatch_safely(event)
                    event, size = {}, 0
                elif size > MAX_EVENT_BYTES:
                    event = {"event": "too-large"}
                elif line.startswith(":"):
                    continue  # a heartbeat
                elif ":" in line:
                    key, _, value = line.partition(":")
                    value = value.removeprefix(" ")
                    event[key] = f"{event[key]}\n{value}" if key in event else value
                else:
                    event["malformed"] = line
            self._dispatch_safely(event)

        def _dispatch_safely(self, event: dict[str, str]) -> None:
            global malformed_events
            if not event:
                return
            name = event.get("event", "")
            if name not in ("update", "notification"):
                if name not in ("delete", "status.update", "filters_changed", "conversation"):
                    malformed_events += 1
                return
            try:
                payload = json.loads(event.get("data", ""))
            except ValueError:
                malformed_events += 1
                log.warning("Skipped an unreadable Mastodon event")
                return
            if name == "notification":
                payload = as_dict(payload)
                if payload.get("type") != "mention":
                    return
                payload = payload.get("status")
            elif self.mentions_only:
                return
            heard = status_heard(payload)
            if heard is None:
                malformed_events += 1
                return
            self.deliver(heard)

    return Collector


class MastodonListener(Listener):
    """Mentions of ``Source.voice`` and the source's hashtags, on the voice's instance."""

    streaming: ClassVar[bool] = True
    interval: ClassVar[float] = 120.0

    def __init__(self, source: Source) -> None:
        super().__init__(source)
        self._client: Any = None
        self._handles: list[Any] = []
        self._inbox: queue.Queue[Heard] = queue.Queue(maxsize=10_000)

    def api(self) -> Any:
        """Mastodon.py for the voice's account."""
        if self._client is None:
            from cluetrain.networks.mastodon.client import Client, plain_secret

            voice = self.source.voice
            if voice is None:
                raise ListenError("The source names no Mastodon voice.")
            credential = voice.get_credential()
            address = credential.get("api_base_url")
            if not isinstance(address, str) or not address:
                raise ListenError("The voice's Mastodon credential names no instance.")
            token = plain_secret(credential.get("access_token"), "access token")
            self._client = Client(address, access_token=token)
        return self._client.api

    @property
    def hashtags(self) -> list[str]:
        return [tag.lstrip("#") for tag in lines(self.source.hashtags) if tag.lstrip("#")]

    def _pages(self, fetch: Callable[[str | None], list[Any]], since: str) -> list[Any]:
        """Every item newer than ``since``, oldest page first, at most ``MAX_PAGES`` pages."""
        items: list[Any] = []
        cursor = since
        for _ in range(MAX_PAGES):
            page = list(fetch(cursor or None) or [])
            if not page:
                break
            items.extend(page)
            cursor = _max_id(page, cursor)
            if len(page) < PAGE:
                break
        return items

    @staticmethod
    def _tag_page(api: Any, tag: str, since: str | None) -> list[Any]:
        return list(api.timeline_hashtag(tag, min_id=since, limit=PAGE) or [])

    def poll(self) -> int:
        from mastodon import MastodonError

        api = self.api()
        source = self.source
        try:
            notes = self._pages(
                lambda since: api.notifications(types=["mention"], min_id=since, limit=PAGE),
                source.cursor,
            )
            heard = [
                h
                for note in notes
                if as_dict(note).get("type") == "mention"
                and (h := status_heard(as_dict(note).get("status")))
            ]
            new = do_intake(
                source.organization_id, heard, source=source, cursor=_max_id(notes, source.cursor)
            )
            state = dict(source.state or {})
            for tag in self.hashtags:
                key = f"tag:{tag.casefold()}"
                statuses = self._pages(
                    functools.partial(self._tag_page, api, tag), str(state.get(key, ""))
                )
                found = [h for s in statuses if (h := status_heard(s))]
                new += do_intake(source.organization_id, found, source=source)
                state[key] = _max_id(statuses, str(state.get(key, "")))
            Source.objects.filter(pk=source.pk).update(state=state)
            source.state = state
        except MastodonError as exc:
            raise ListenError(f"Mastodon: {type(exc).__name__} {exc}"[:300]) from exc
        return new

    def open_streams(self) -> None:
        """Start the user stream and one stream per hashtag (Mastodon.py's threads, which
        reconnect by themselves)."""
        api = self.api()
        collector = _stream_listener_class()

        def deliver(heard: Heard) -> None:
            with contextlib.suppress(queue.Full):  # the next poll takes it in
                self._inbox.put_nowait(heard)

        options = {"run_async": True, "reconnect_async": True, "reconnect_async_wait_sec": 5}
        self._handles.append(api.stream_user(collector(deliver, True), **options))
        for tag in self.hashtags:
            self._handles.append(api.stream_hashtag(tag, collector(deliver, False), **options))

    def drain(self) -> int:
        """Take in what the streams delivered so far."""
        heard: list[Heard] = []
        while len(heard) < 2000:
            try:
                heard.append(self._inbox.get_nowait())
            except queue.Empty:
                break
        return do_intake(self.organization_id, heard) if heard else 0

    def run(self, stop: threading.Event, gate: Gate) -> None:
        self.poll()
        try:
            self.open_streams()
        except Exception as exc:
            log.warning("%s: streaming unavailable (%s); polling only", self.source, exc)
        next_poll = 0.0
        clock = 0.0
        while not stop.is_set():
            if not gate.wait(stop):
                break
            self.drain()
            if clock >= next_poll:
                self.poll()
                next_poll = clock + self.interval
            stop.wait(STREAM_FLUSH_SECONDS)
            clock += STREAM_FLUSH_SECONDS
        self.drain()

    def close(self) -> None:
        for handle in self._handles:
            try:
                handle.close()
            except Exception:
                log.debug("closing a Mastodon stream failed", exc_info=True)
        self._handles.clear()
