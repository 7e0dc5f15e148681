"""Feed voices: the connector, and the Atom and RSS documents read back with feedparser."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta, timezone
from html.parser import HTMLParser
from typing import Any

import feedparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from cluetrain.networks import (
    Connector,
    ContentRejected,
    Media,
    NotSupported,
    Outgoing,
    PublishedRef,
)
from cluetrain.networks.feed import FeedConnector
from cluetrain.networks.feed.content import derive_title, to_html, xml_safe
from cluetrain.networks.feed.render import (
    FeedEntry,
    FeedInfo,
    FeedMedia,
    atom,
    entry_id,
    rss,
    tag_uri,
)
from cluetrain.networks.registry import Context, build

PARIS = timezone(timedelta(hours=2))
INFO = FeedInfo(
    id=tag_uri("acme.test", date(2025, 1, 1), "feeds/care"),
    title="Acme Care",
    subtitle="News from the care team",
    self_url="https://acme.test/feeds/care.atom",
    home_url="https://acme.test/care",
    author_name="Acme Care team",
    language="en",
)
CAT = FeedMedia("https://acme.test/m/cat.png", "image/png", "A cat asleep on a keyboard", 2048)
DOG = FeedMedia("https://acme.test/m/dog.jpg", "image/jpeg", "A dog with a ball")


def entry(key: str = "p1", text: str = "Hello world", **fields: Any) -> FeedEntry:
    fields.setdefault("published", datetime(2025, 5, 1, 12, 0, tzinfo=PARIS))
    return FeedEntry(key=key, text=text, **fields)


def both(entries: list[FeedEntry], info: FeedInfo = INFO) -> list[Any]:
    """The feed parsed back from Atom and from RSS, with feedparser's sanitiser off so that
    the tests see the HTML exactly as Cluetrain wrote it."""
    parsed = [
        feedparser.parse(atom(info, entries), sanitize_html=False),
        feedparser.parse(rss(info, entries), sanitize_html=False),
    ]
    for feed in parsed:
        assert not feed.bozo, feed.get("bozo_exception")
    return parsed


def html_of(item: Any) -> str:
    """An entry's HTML: Atom's content, RSS's description."""
    return str(item.content[0].value if "content" in item else item.summary)


def images_in(html: str) -> list[dict[str, str | None]]:
    """The attributes of each <img> in ``html``, in whatever order they were written."""
    found: list[dict[str, str | None]] = []

    class Images(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "img":
                found.append(dict(attrs))

    Images().feed(html)
    return found


# -- the connector ---------------------------------------------------------------------------


def test_publishing_to_a_feed_names_each_part_at_its_entry_page() -> None:
    feed = build("feed", {}, Context(entry_url=lambda key, i: f"https://acme.test/e/{key}/{i}"))
    assert isinstance(feed, FeedConnector)
    assert isinstance(feed, Connector)
    seen: list[tuple[int, PublishedRef]] = []
    post = Outgoing(parts=("One", "Two", "Three"), key="k9", created_at=datetime.now(UTC))

    refs = feed.publish(
        post, done=[PublishedRef("feed:k9:0", "x")], on_part=lambda i, r: seen.append((i, r))
    )

    assert refs == [
        PublishedRef("feed:k9:0", "x"),
        PublishedRef("feed:k9:1", "https://acme.test/e/k9/1"),
        PublishedRef("feed:k9:2", "https://acme.test/e/k9/2"),
    ]
    assert seen == [(1, refs[1]), (2, refs[2])]
    assert feed.publish(post) == [
        PublishedRef(f"feed:k9:{i}", f"https://acme.test/e/k9/{i}") for i in range(3)
    ]


def test_a_feed_edits_and_deletes_in_place_and_counts_no_reactions() -> None:
    feed = build("feed", {})
    ref = PublishedRef("feed:k9:0", "https://acme.test/e/k9/0")
    assert feed.edit(ref, "New words") == ref
    assert feed.delete(ref) is None
    with pytest.raises(NotSupported):
        feed.engagement(ref)
    assert feed.verify().handle == "feed"


def test_a_feed_refuses_what_is_beyond_its_limits() -> None:
    feed = build("feed", {})
    assert (feed.max_length, feed.max_media, feed.length_of("👍🏽")) == (100_000, 10, 2)
    now = datetime.now(UTC)
    with pytest.raises(ContentRejected, match="100000 characters"):
        feed.publish(Outgoing(parts=("x" * 100_001,), key="k", created_at=now))
    image = Media(b"", "image/png", "alt", url="https://acme.test/m.png")
    with pytest.raises(ContentRejected, match="at most 10 images"):
        feed.publish(Outgoing(parts=("x",), key="k", created_at=now, media=(image,) * 11))


# -- the documents ---------------------------------------------------------------------------


def test_a_feed_says_what_it_is() -> None:
    parsed_atom, parsed_rss = both([entry()])
    assert parsed_atom.version == "atom10"
    assert parsed_rss.version == "rss20"
    for parsed in (parsed_atom, parsed_rss):
        assert parsed.feed.title == "Acme Care"
        assert parsed.feed.subtitle == "News from the care team"
        assert parsed.feed.link == "https://acme.test/care"
        assert parsed.feed.language == "en"
        assert parsed.feed.generator == "Cluetrain"
    assert parsed_atom.feed.id == "tag:acme.test,2025-01-01:feeds/care"
    assert parsed_atom.feed.author == "Acme Care team"
    assert {"rel": "self", "href": INFO.self_url, "type": "application/atom+xml"} in [
        dict(link) for link in parsed_atom.feed.links
    ]
    assert any(link.href == INFO.self_url for link in parsed_rss.feed.links)


def test_entries_carry_title_link_author_and_a_stable_id() -> None:
    item = entry(
        "post/42:0",
        "Our opening hours change\nfrom Monday on.",
        author_name="Mona Mentor",
        link="https://acme.test/p/42",
    )
    for parsed in both([item]):
        (got,) = parsed.entries
        assert got.title == "Our opening hours change"
        assert got.link == "https://acme.test/p/42"
        assert got.author == "Mona Mentor"
        assert got.id == "tag:acme.test,2025-01-01:entry:post/42:0"
    # The id depends on the key alone: an edited entry is the same entry.
    assert entry_id(INFO, "post/42:0") == "tag:acme.test,2025-01-01:entry:post/42:0"
    assert entry_id(INFO, "a b#c") == "tag:acme.test,2025-01-01:entry:a%20b%23c"
    with pytest.raises(ValueError, match="tag: URI"):
        FeedInfo(id="https://acme.test/feed", title="x", self_url="https://acme.test/feed")


def test_dates_are_written_in_utc() -> None:
    item = entry(
        published=datetime(2025, 5, 1, 12, 0, tzinfo=PARIS),
        updated=datetime(2025, 5, 2, 9, 30, tzinfo=PARIS),
    )
    document = atom(INFO, [item]).decode()
    assert "<published>2025-05-01T10:00:00+00:00</published>" in document
    assert "<updated>2025-05-02T07:30:00+00:00</updated>" in document
    assert "<pubDate>Thu, 01 May 2025 10:00:00 +0000</pubDate>" in rss(INFO, [item]).decode()
    parsed_atom, parsed_rss = both([item])
    published = datetime(2025, 5, 1, 10, 0, tzinfo=UTC)
    for got in (parsed_atom.entries[0], parsed_rss.entries[0]):
        assert calendar.timegm(got.published_parsed) == published.timestamp()
    assert parsed_atom.feed.updated == "2025-05-02T07:30:00+00:00"
    with pytest.raises(ValueError, match="time-zone aware"):
        atom(INFO, [entry(published=datetime(2025, 5, 1, 12, 0))])


def test_entries_come_newest_first_and_once_per_key() -> None:
    day = datetime(2025, 5, 1, tzinfo=UTC)
    entries = [
        entry("old", "Old news", published=day),
        entry("new", "New news", published=day + timedelta(days=2)),
        entry("mid", "First words", published=day + timedelta(days=1)),
        entry(
            "mid",
            "Corrected words",
            published=day + timedelta(days=1),
            updated=day + timedelta(days=3),
        ),
    ]
    for parsed in both(entries):
        assert [e.title for e in parsed.entries] == ["New news", "Corrected words", "Old news"]
    for parsed in both(list(reversed(entries))):
        assert [e.title for e in parsed.entries] == ["New news", "Corrected words", "Old news"]


def test_text_becomes_safe_html_with_links_and_paragraphs() -> None:
    text = (
        "<script>alert('x')</script> & <b>bold</b>\n"
        "See https://acme.test/a?b=1&c=2. Or (https://acme.test/wiki/Foo_(bar)).\n\n"
        'Not a link: javascript:alert(1) "https://evil.test/"onmouseover=x'
    )
    for parsed in both([entry(text=text)]):
        html = html_of(parsed.entries[0])
        assert "<script" not in html
        assert "<b>" not in html
        assert (
            "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;<br"
            in html
        )
        assert (
            '<a href="https://acme.test/a?b=1&amp;c=2" rel="nofollow noopener">'
            "https://acme.test/a?b=1&amp;c=2</a>. " in html
        )
        assert 'href="https://acme.test/wiki/Foo_(bar)"' in html
        assert '&quot;<a href="https://evil.test/" rel="nofollow noopener">' in html
        assert "</a>&quot;onmouseover=x</p>" in html
        assert "Not a link: javascript:alert(1) &quot;<a" in html
        assert html.count("<p>") == 2
        # The title is plain text: readers show it as it is.
        assert parsed.entries[0].title.startswith("<script>alert('x')</script> & <b>bold</b>")


def test_hostile_characters_are_stripped_or_kept_as_they_are() -> None:
    kept = "שלום \u200fعربي\u200e 👩\u200d👩\u200d👧 🇳🇱 e\u0301 \u202eevil\u202c"
    text = f"Bad\x0bvertical\x1ftab\x00nul\ufffe {kept}"
    item = entry(
        text=text, author_name="Zoë\x07", media=(FeedMedia(CAT.url, "image/png", "Cat\x1b"),)
    )
    for parsed in both([item]):
        got = parsed.entries[0]
        assert got.title == f"Badverticaltabnul {kept}"
        assert got.author == "Zoë"
        html = html_of(got)
        assert f"Badverticaltabnul {kept}" in html
        assert 'alt="Cat"' in html
    assert xml_safe("a\x00b\x08c\td\ne\rf\x7f\x85\x9f\ud800\ufffeg\xa0") == "abc\td\ne\rfg\xa0"


def test_images_are_enclosures_with_their_alt_text_in_the_content() -> None:
    parsed_atom, parsed_rss = both([entry(media=(CAT, DOG))])

    atom_entry = parsed_atom.entries[0]
    assert [(e.href, e.type) for e in atom_entry.enclosures] == [
        (CAT.url, "image/png"),
        (DOG.url, "image/jpeg"),
    ]
    assert atom_entry.enclosures[0].length == "2048"
    # RSS has room for one enclosure per item: the first image.
    rss_item = parsed_rss.entries[0]
    assert [(e.href, e.type, e.length) for e in rss_item.enclosures] == [
        (CAT.url, "image/png", "2048")
    ]
    for got in (atom_entry, rss_item):
        assert images_in(html_of(got)) == [
            {"src": CAT.url, "alt": "A cat asleep on a keyboard"},
            {"src": DOG.url, "alt": "A dog with a ball"},
        ]


def test_an_image_without_a_public_address_is_left_out() -> None:
    local = FeedMedia("file:///etc/passwd", "image/png", "secret")
    parsed_atom, _ = both([entry(media=(local, CAT))])
    assert [e.href for e in parsed_atom.entries[0].enclosures] == [CAT.url]
    assert "passwd" not in html_of(parsed_atom.entries[0])


def test_an_empty_feed_is_valid() -> None:
    bare = FeedInfo(
        id=tag_uri("acme.test", date(2025, 1, 1), "feeds/empty"),
        title="Empty",
        self_url="https://acme.test/feeds/empty",
    )
    parsed_atom, parsed_rss = both([], bare)
    for parsed in (parsed_atom, parsed_rss):
        assert parsed.entries == []
        assert parsed.feed.title == "Empty"
    assert [link.href for link in parsed_atom.feed.links] == ["https://acme.test/feeds/empty"]
    assert parsed_rss.feed.link == "https://acme.test/feeds/empty"
    assert b"<updated>1970-01-01T00:00:00+00:00</updated>" in atom(bare, [])


def test_the_same_entries_give_the_same_bytes() -> None:
    entries = [entry("a", "One"), entry("b", "Two", media=(CAT,))]
    assert atom(INFO, entries) == atom(INFO, list(reversed(entries)))
    assert rss(INFO, entries) == rss(INFO, entries)


# -- titles ----------------------------------------------------------------------------------


def test_a_title_is_the_first_line_cut_at_a_word_boundary() -> None:
    assert derive_title("\n\n  Short   and sweet \nsecond line") == "Short and sweet"
    long = (
        "We are moving our customer service to a new building on the river side of town next week"
    )
    title = derive_title(long)
    assert len(title) <= 80
    assert title.endswith("…")
    assert long.startswith(title[:-1])
    assert long[len(title) - 1] == " "
    assert derive_title("x" * 200) == "x" * 79 + "…"


def test_a_title_never_splits_an_emoji_and_falls_back_to_the_image() -> None:
    title = derive_title("a" * 78 + "👩\u200d👩\u200d👧 family")
    assert title == "a" * 78 + "…"
    parsed_atom, _ = both([entry(text="", media=(DOG,))])
    assert parsed_atom.entries[0].title == "A dog with a ball"
    parsed_atom, _ = both([entry(text="", title="Given title")])
    assert parsed_atom.entries[0].title == "Given title"


def test_to_html_escapes_alt_text_and_urls() -> None:
    html = to_html("", [('https://acme.test/a"b.png', 'say "hi" <now>')])
    assert (
        html
        == '<p><img src="https://acme.test/a&quot;b.png" alt="say &quot;hi&quot; &lt;now&gt;"></p>'
    )


@settings(max_examples=30, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_a_well_formed_feed(text: str) -> None:
    both([entry(text=text)])
    # Read strictly by lxml: feedparser "repairs" what looks like double-encoded UTF-8.
    namespace = {"atom": "http://www.w3.org/2005/Atom"}
    (item,) = etree.fromstring(atom(INFO, [entry(text=text)])).findall("atom:entry", namespace)
    assert item.findtext("atom:title", namespaces=namespace) == (derive_title(text) or "Untitled")
    assert item.findtext("atom:content", namespaces=namespace) == to_html(text)
    assert "<script" not in to_html(text)
