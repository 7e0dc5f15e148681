"""RSS and Atom feeds of blogs and forums, polled with conditional GET.

The ETag and Last-Modified of the last answer live in ``Source.state`` so that an unchanged
feed costs the publisher a 304 and us nothing. Each entry's id is its network id (prefixed by
the feed's address when it is not a URI: RSS ``guid``s like "42" are only unique per feed). A
feed with keywords, hashtags or domains set keeps only the entries that match them.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import logging
from typing import Any, ClassVar

import feedparser

from cluetrain.listening.heard import Heard
from cluetrain.listening.models import Source
from cluetrain.listening.streams.base import Listener, ListenError, fetch
from cluetrain.listening.text import html_to_text
from cluetrain.listening.watch import Watch
from cluetrain.triage.pipeline import take_in as do_intake

log = logging.getLogger(__name__)

MAX_FEED_BYTES = 5 * 1024 * 1024


def _time(entry: Any) -> dt.datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            try:
                return dt.datetime.fromtimestamp(calendar.timegm(parsed), tz=dt.UTC)
            except (OverflowError, ValueError, OSError):
                continue
    return None


def _plain(value: str, detail: Any) -> str:
    kind = (detail or {}).get("type", "") if isinstance(detail, dict) else ""
    return html_to_text(value) if "html" in kind else value


def _entry_text(entry: Any) -> str:
    title = _plain(str(entry.get("title", "")), entry.get("title_detail"))
    contents = entry.get("content") or []
    body = ""
    if contents and isinstance(contents[0], dict):
        body = _plain(str(contents[0].get("value", "")), contents[0])
    if not body:
        body = _plain(str(entry.get("summary", "")), entry.get("summary_detail"))
    return f"{title}\n\n{body}".strip() if title and body else (title or body)


def entries_heard(feed_url: str, parsed: Any, now: dt.datetime) -> list[Heard]:
    """Every entry of a parsed feed as heard messages (the feed's own author when they have
    none)."""
    feed = parsed.get("feed", {})
    feed_author = str(feed.get("author") or feed.get("title") or feed_url)
    heard: list[Heard] = []
    for entry in parsed.get("entries", []):
        link = str(entry.get("link", ""))
        entry_id = str(entry.get("id") or link)
        text = _entry_text(entry)
        if not entry_id:
            # No id and no link: the content is the only identity it has.
            entry_id = "sha1:" + hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()
        if ":" not in entry_id:
            entry_id = f"{feed_url}#{entry_id}"
        author = str(entry.get("author") or feed_author)
        heard.append(
            Heard(
                network="feed",
                external_id=entry_id,
                author_id=f"{feed_url}#{author}" if author != feed_url else feed_url,
                author_handle=author,
                author_name=author,
                author_url=str(feed.get("link", "")),
                text=text,
                created_at=_time(entry) or now,
                url=link,
            )
        )
    return heard


class FeedListener(Listener):
    """Polls one feed (``Source.url``)."""

    interval: ClassVar[float] = 600.0

    def __init__(self, source: Source) -> None:
        super().__init__(source)
        self.watch = Watch.of_source(source)

    def poll(self) -> int:
        source = self.source
        state = dict(source.state or {})
        headers = {"Accept": "application/atom+xml, application/rss+xml, application/xml;q=0.9"}
        if state.get("etag"):
            headers["If-None-Match"] = str(state["etag"])
        if state.get("modified"):
            headers["If-Modified-Since"] = str(state["modified"])
        answer = fetch(source.url, headers=headers, max_bytes=MAX_FEED_BYTES)
        if answer.status == 304:
            do_intake(source.organization_id, [], source=source)
            return 0
        if answer.status >= 400:
            raise ListenError(f"The feed answered {answer.status}.")
        parsed = feedparser.parse(answer.body)
        if parsed.get("bozo") and not parsed.get("entries"):
            raise ListenError("The address does not hold an RSS or Atom feed.")
        now = dt.datetime.now(dt.UTC)
        heard = [h for h in entries_heard(source.url, parsed, now) if self.watch.keeps_text(h)]
        new = do_intake(source.organization_id, heard, source=source)
        # After the messages: a crash in between only costs one unconditional fetch.
        state.update(
            etag=answer.headers.get("etag", ""), modified=answer.headers.get("last-modified", "")
        )
        Source.objects.filter(pk=source.pk).update(state=state)
        source.state = state
        return new
