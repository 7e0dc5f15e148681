"""Feeds: RSS and Atom polled with conditional GET behind the address guard, each entry stored
once; back-pressure; ``cluetrain listen --once``."""

from __future__ import annotations

import io
import threading
import time
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cluetrain.listening import runner
from cluetrain.listening.backpressure import Gate, backlog
from cluetrain.listening.intake import do_intake
from cluetrain.listening.models import Message, Source, SourceKind, SourceStatus
from cluetrain.listening.streams.base import ListenError
from cluetrain.listening.streams.feeds import FeedListener
from tests.conftest import Cast
from tests.support.listening import heard, source

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Rail forum</title><link href="https://forum.example/"/>
  <id>urn:uuid:forum</id><updated>2025-03-01T10:00:00Z</updated>
  <entry>
    <title>Acme trains late again</title>
    <id>urn:uuid:entry-1</id><link href="https://forum.example/t/1"/>
    <published>2025-03-01T09:00:00Z</published>
    <author><name>&lt;script&gt;alert(1)&lt;/script&gt;Rider</name></author>
    <content type="html">&lt;p&gt;The 8:15 was &lt;b&gt;cancelled&lt;/b&gt;.&lt;/p&gt;
      &lt;script&gt;steal()&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;</content>
  </entry>
  <entry>
    <title>Gardening tips</title>
    <id>urn:uuid:entry-2</id><link href="https://forum.example/t/2"/>
    <published>2099-01-01T00:00:00Z</published>
    <summary>Nothing about trains.</summary>
  </entry>
</feed>"""

RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title>
<link>https://blog.example/</link>
<item><title>Fares &amp; tickets</title><guid isPermaLink="false">42</guid>
<description>See https://acme.example/fares #acme</description></item>
<item><title></title><description></description><guid>43</guid></item>
</channel></rss>"""


@pytest.fixture
def feed_server(httpserver: HTTPServer, private_allowed: None) -> HTTPServer:
    seen: list[dict[str, str]] = []

    def answer(request: Request) -> Response:
        seen.append(dict(request.headers))
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304)
        return Response(ATOM, content_type="application/atom+xml", headers={"ETag": '"v1"'})

    httpserver.expect_request("/forum.atom").respond_with_handler(answer)
    httpserver.expect_request("/blog.rss").respond_with_data(
        RSS, content_type="application/rss+xml"
    )
    httpserver.seen = seen  # type: ignore[attr-defined]
    return httpserver


def feed(cast: Cast, url: str, **fields: Any) -> Source:
    return source(cast.acme, SourceKind.FEED, url=url, **fields)


def test_a_feed_is_stored_once_as_plain_text_and_polled_conditionally(
    cast: Cast, feed_server: HTTPServer
) -> None:
    forum = feed(cast, feed_server.url_for("/forum.atom"))
    assert FeedListener(forum).poll() == 2
    first = Message.objects.get(organization=cast.acme, external_id="urn:uuid:entry-1")
    assert first.text == "Acme trains late again\n\nThe 8:15 was cancelled."
    assert first.network == "feed"
    assert first.url == "https://forum.example/t/1"
    assert first.author.display_name == "<script>alert(1)</script>Rider"  # text, escaped when shown
    future = Message.objects.get(external_id="urn:uuid:entry-2")
    assert future.created_at == future.received_at  # a date in 2099 is clock skew

    forum.refresh_from_db()
    assert forum.state["etag"] == '"v1"'
    assert FeedListener(forum).poll() == 0
    assert feed_server.seen[-1]["If-None-Match"] == '"v1"'  # type: ignore[attr-defined]
    assert Message.objects.filter(organization=cast.acme).count() == 2


def test_rss_guids_are_made_unique_per_feed_and_empty_items_kept(
    cast: Cast, feed_server: HTTPServer
) -> None:
    blog = feed(cast, feed_server.url_for("/blog.rss"))
    assert FeedListener(blog).poll() == 2
    ids = set(Message.objects.filter(organization=cast.acme).values_list("external_id", flat=True))
    assert ids == {f"{blog.url}#42", f"{blog.url}#43"}
    assert Message.objects.get(external_id=f"{blog.url}#42").text.startswith("Fares & tickets")


@pytest.mark.parametrize(
    ("fields", "kept"),
    [
        ({"keywords": "cancelled"}, {"urn:uuid:entry-1"}),
        ({"keywords": "cancel"}, set()),  # whole words only
        ({"hashtags": "#Acme"}, set()),
    ],
)
def test_a_feed_with_keywords_keeps_only_matching_entries(
    cast: Cast, feed_server: HTTPServer, fields: dict[str, str], kept: set[str]
) -> None:
    FeedListener(feed(cast, feed_server.url_for("/forum.atom"), **fields)).poll()
    stored = set(
        Message.objects.filter(organization=cast.acme).values_list("external_id", flat=True)
    )
    assert stored == kept


def test_hashtags_and_domains_match_rss_text(cast: Cast, feed_server: HTTPServer) -> None:
    url = feed_server.url_for("/blog.rss")
    assert FeedListener(feed(cast, url, name="a", hashtags="acme")).poll() == 1
    assert (
        FeedListener(feed(cast, url, name="b", domains="www.acme.example\nacme.example")).poll()
        == 0
    )


def test_private_addresses_are_refused_unless_allowed(cast: Cast, settings: Any) -> None:
    settings.ALLOW_PRIVATE_URLS = False
    internal = feed(cast, "http://127.0.0.1:9/feed")
    with pytest.raises(ListenError, match="loopback"):
        runner.poll_once(internal)
    internal.refresh_from_db()
    assert internal.status == SourceStatus.FAILING
    assert "loopback" in internal.last_error


def test_a_giant_or_broken_feed_is_an_error_not_a_crash(
    cast: Cast, httpserver: HTTPServer, private_allowed: None
) -> None:
    httpserver.expect_request("/giant").respond_with_data(b"<rss>" + b"x" * 6_000_000)
    httpserver.expect_request("/html").respond_with_data(b"<html><body>not a feed")
    httpserver.expect_request("/gone").respond_with_data(b"", status=410)
    httpserver.expect_request("/loop").respond_with_data(
        b"", status=302, headers={"Location": "/loop"}
    )
    for path, why in [
        ("/giant", "more than"),
        ("/html", "does not hold"),
        ("/gone", "410"),
        ("/loop", "redirected"),
    ]:
        with pytest.raises(ListenError, match=why):
            FeedListener(feed(cast, httpserver.url_for(path), name=path)).poll()


def test_listen_once_polls_every_enabled_source_and_reports(
    cast: Cast, feed_server: HTTPServer
) -> None:
    feed(cast, feed_server.url_for("/forum.atom"), name="Forum")
    feed(cast, feed_server.url_for("/blog.rss"), name="Blog", enabled=False)
    out = io.StringIO()
    call_command("listen", "--once", "--org", "acme", stdout=out)
    assert out.getvalue().splitlines() == ["Forum: 2 new"]
    broken = feed(cast, "http://127.0.0.1:9/nothing", name="Broken")
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 of 2"):
        call_command("listen", "--once", "--org", "acme", stdout=io.StringIO(), stderr=err)
    assert err.getvalue().startswith("Broken: ")
    broken.refresh_from_db()
    assert broken.status == SourceStatus.FAILING
    with pytest.raises(CommandError, match="No enabled source"):
        call_command("listen", "--once", "--org", "globex")


@pytest.mark.django_db(transaction=True)
def test_the_runner_listens_in_threads_until_stopped(cast: Cast, feed_server: HTTPServer) -> None:
    forum = feed(cast, feed_server.url_for("/forum.atom"))
    broken = feed(cast, "http://127.0.0.1:9/nothing", name="Broken")
    stop = threading.Event()
    threads = runner.start(runner.sources("acme"), stop)
    assert len(threads) == 2
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        broken.refresh_from_db()
        if Message.objects.filter(source=forum).count() == 2 and broken.last_error:
            break
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join(timeout=5)
        assert not thread.is_alive()
    assert Message.objects.filter(source=forum).count() == 2
    assert broken.status == SourceStatus.FAILING
    assert Source.objects.get(pk=forum.pk).status == SourceStatus.OK


def test_back_pressure_shuts_above_high_water_and_opens_below_low_water(cast: Cast) -> None:
    do_intake(cast.acme, [heard() for _ in range(10)])
    assert backlog(cast.acme.pk, 100) == 10
    assert backlog(cast.acme.pk, 5) == 5  # counting stops at the cap
    gate = Gate(cast.acme.pk, high=8, low=4, check_every=0)
    assert not gate.is_open()
    ids = list(Message.objects.filter(organization=cast.acme).values_list("id", flat=True))
    Message.objects.filter(id__in=ids[:5]).update(triaged_at=timezone.now())
    assert not gate.is_open()  # 5 waiting: below high, not yet below low
    Message.objects.filter(id__in=ids[5:7]).update(triaged_at=timezone.now())
    assert gate.is_open()  # 3 waiting
    assert Gate(cast.globex.pk, high=8, low=4).is_open()  # another organisation is not held
    stop = threading.Event()
    do_intake(cast.acme, [heard() for _ in range(10)])
    stop.set()
    assert gate.wait(stop, poll=0.01) is False  # a held listener still stops when told
