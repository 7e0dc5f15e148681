"""Atom and RSS documents for a feed voice, built with ``feedgen``.

Pure functions of their arguments: no Django, no database, no clock (a feed without entries or
a date says the Unix epoch), so that the same entries always give the same bytes and a view
can cache them or answer conditional requests.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal
from urllib.parse import quote, urlsplit

from feedgen.ext.base import BaseEntryExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from cluetrain import __version__
from cluetrain.networks.feed.content import derive_title, to_html, xml_safe

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TAG = re.compile(r"^tag:([^,:\s]+),(\d{4}(?:-\d{2}(?:-\d{2})?)?):")
# feedgen formats RSS dates by switching the whole process to the C locale and back; two
# threads doing it at once could leave the other's locale behind.
_RSS_LOCK = threading.Lock()
_PCHAR = "/?:@!$&'()*+,;=-._~"  # what the specific part of a tag: URI may hold unescaped


def tag_uri(authority: str, day: date, specific: str) -> str:
    """A ``tag:`` URI (RFC 4151): ``authority`` (a domain or email) owned on ``day``."""
    return f"tag:{authority},{day.isoformat()}:{quote(specific, safe=_PCHAR)}"


@dataclass(frozen=True)
class FeedInfo:
    """What a feed says about itself. ``id`` is a ``tag:`` URI (see ``tag_uri``) that never
    changes, even when the feed's address does; its entries' ids are built from it."""

    id: str
    title: str
    self_url: str
    home_url: str = ""
    subtitle: str = ""
    author_name: str = ""
    language: str = ""  # an IETF language tag
    updated: datetime | None = None  # defaults to the newest entry's time

    def __post_init__(self) -> None:
        if not _TAG.match(self.id):
            raise ValueError(
                f"A feed id must be a tag: URI, such as tag:example.org,2025:x; got {self.id!r}."
            )


@dataclass(frozen=True)
class FeedMedia:
    """An image of an entry, served by Cluetrain at ``url``; ``length`` in bytes when known."""

    url: str
    content_type: str
    alt_text: str
    length: int = 0


@dataclass(frozen=True)
class FeedEntry:
    """One published post as a feed entry. ``key`` is the publication's key (with the part,
    for a thread): the entry's id is built from it, so it stays the same across edits."""

    key: str
    text: str
    published: datetime
    title: str = ""  # derived from the first line of the text when empty
    updated: datetime | None = None
    author_name: str = ""
    link: str = ""  # the entry's own page
    media: tuple[FeedMedia, ...] = ()

    @property
    def changed(self) -> datetime:
        return self.updated or self.published


def entry_id(info: FeedInfo, key: str) -> str:
    """The stable ``tag:`` URI of the entry with ``key``, in the feed's naming authority."""
    match = _TAG.match(info.id)
    assert match is not None  # checked by FeedInfo
    return f"tag:{match[1]},{match[2]}:entry:{quote(key, safe=_PCHAR)}"


def atom(info: FeedInfo, entries: Iterable[FeedEntry]) -> bytes:
    """The feed as an Atom 1.0 document."""
    generator = _build(info, entries, "atom")
    document: bytes = generator.atom_str(pretty=False)
    return document


def rss(info: FeedInfo, entries: Iterable[FeedEntry]) -> bytes:
    """The feed as an RSS 2.0 document (one enclosure per item: RSS has room for no more)."""
    generator = _build(info, entries, "rss")
    with _RSS_LOCK:
        document: bytes = generator.rss_str(pretty=False)
    return document


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("Feed dates must be time-zone aware.")
    return moment.astimezone(UTC)


def _newest_first(entries: Iterable[FeedEntry]) -> list[FeedEntry]:
    """One entry per key (its latest version), newest first."""
    latest: dict[str, FeedEntry] = {}
    for entry in entries:
        seen = latest.get(entry.key)
        if seen is None or _utc(entry.changed) > _utc(seen.changed):
            latest[entry.key] = entry
    return sorted(latest.values(), key=lambda e: (_utc(e.published), e.key), reverse=True)


def _public(url: str) -> bool:
    return urlsplit(url).scheme in ("http", "https")


def _build(
    info: FeedInfo, entries: Iterable[FeedEntry], kind: Literal["atom", "rss"]
) -> FeedGenerator:
    ordered = _newest_first(entries)
    generator = FeedGenerator()
    # RSS names an author only by email address; Dublin Core's creator takes a name.
    generator.load_extension("dc", atom=False, rss=True)
    title = xml_safe(info.title).strip() or "Untitled"
    generator.id(xml_safe(info.id))
    generator.title(title)
    subtitle = xml_safe(info.subtitle).strip()
    if subtitle or kind == "rss":  # RSS requires a description
        generator.subtitle(subtitle or title)
    # feedgen takes the last link as RSS's channel link (which RSS requires), so the home
    # page goes last and the feed's own address stands in when there is none.
    mime = "application/atom+xml" if kind == "atom" else "application/rss+xml"
    generator.link(href=xml_safe(info.self_url), rel="self", type=mime)
    if info.home_url:
        generator.link(href=xml_safe(info.home_url), rel="alternate")
    generator.author({"name": xml_safe(info.author_name).strip() or title})
    if info.language:
        generator.language(xml_safe(info.language))
    generator.generator("Cluetrain", version=__version__)
    times = [_utc(e.changed) for e in ordered] + ([_utc(info.updated)] if info.updated else [])
    generator.updated(max(times, default=EPOCH))
    for entry in ordered:
        _add(generator, info, entry, kind)
    return generator


def _add(
    generator: FeedGenerator, info: FeedInfo, entry: FeedEntry, kind: Literal["atom", "rss"]
) -> None:
    # An image a reader cannot fetch (no public http(s) address) is left out of the feed.
    media = [m for m in entry.media if _public(m.url)]
    item = generator.add_entry(order="append")
    item.id(entry_id(info, entry.key))
    title = xml_safe(entry.title).strip() or derive_title(entry.text)
    if not title:
        title = derive_title(media[0].alt_text) if media else ""
    item.title(title or "Untitled")
    item.content(to_html(entry.text, [(m.url, m.alt_text) for m in media]), type="html")
    item.published(_utc(entry.published))
    item.updated(_utc(entry.changed))
    author = xml_safe(entry.author_name).strip()
    if author:
        item.author({"name": author})
        item.dc.dc_creator(author)
    links = [{"href": xml_safe(entry.link), "rel": "alternate"}] if entry.link else []
    for image in media if kind == "atom" else media[:1]:
        link = {
            "href": xml_safe(image.url),
            "rel": "enclosure",
            "type": xml_safe(image.content_type) or "application/octet-stream",
        }
        if image.length > 0:  # unknown: Atom leaves it out, feedgen writes 0 for RSS
            link["length"] = str(image.length)
        links.append(link)
    if kind == "atom":
        item.register_extension("cluetrain_links", _AtomLinks, atom=True, rss=False)
        item.cluetrain_links.links = links
    elif links:
        item.link(links)


class _AtomLinks(BaseEntryExtension):
    """Writes an Atom entry's links itself: feedgen 1.0 drops their rel, type and length
    (lkiesow/python-feedgen#135), which would make every image pass for the entry's page."""

    def __init__(self) -> None:
        self.links: list[dict[str, str]] = []

    def extend_atom(self, entry: etree._Element) -> etree._Element:
        for link in self.links:
            etree.SubElement(entry, "link", link)
        return entry
