"""Settings → Listening: every member sees the sources; directors, admins and coordinators
change them; what a source says about itself is shown escaped."""

from __future__ import annotations

from cluetrain.listening.models import Source, SourceKind, SourceStatus
from tests.conftest import Cast


def test_members_see_sources_with_their_state_escaped(cast: Cast) -> None:
    Source.objects.create(
        organization=cast.acme,
        kind=SourceKind.FEED,
        name="<script>alert(1)</script>Forum",
        url="https://forum.example/feed",
        status=SourceStatus.FAILING,
        last_error="<img src=x onerror=alert(1)> answered 500",
    )
    Source.objects.create(organization=cast.globex, kind=SourceKind.FEED, name="Globex blog")
    page = cast.client(cast.member).get("/settings/listening/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;Forum" in html
    assert "&lt;img src=x onerror=alert(1)&gt; answered 500" in html
    assert "<script>alert(1)" not in html
    assert "Globex blog" not in html
    assert "Add a source" not in html


def test_a_coordinator_adds_edits_and_pauses_a_source(cast: Cast, private_allowed: None) -> None:
    # (private_allowed: forum.example has no DNS here; the guard is tested below)
    client = cast.client(cast.coordinator)
    answer = client.post(
        "/settings/listening/sources/new/",
        {"kind": "feed", "name": "Forum", "url": "https://forum.example/feed",
         "keywords": "delay\ndelay, refund", "enabled": "on"},
    )  # fmt: skip
    assert answer.status_code == 302
    source = Source.objects.get(organization=cast.acme, name="Forum")
    assert source.keywords == "delay\nrefund"
    assert source.enabled
    client.post(
        f"/settings/listening/sources/{source.pk}/",
        {"name": "Rail forum", "url": "https://forum.example/feed", "hashtags": "#acme"},
    )
    source.refresh_from_db()
    assert (source.name, source.hashtags, source.enabled) == ("Rail forum", "#acme", False)
    assert source.status == SourceStatus.PAUSED
    client.post(f"/settings/listening/sources/{source.pk}/switch/", {"enabled": "1"})
    source.refresh_from_db()
    assert source.enabled
    assert source.status == SourceStatus.OK


def test_bad_sources_are_refused_with_a_reason(cast: Cast) -> None:
    client = cast.client(cast.director)
    answer = client.post(
        "/settings/listening/sources/new/",
        {"kind": "feed", "name": "Inside", "url": "http://127.0.0.1/admin"},
    )
    assert answer.status_code == 200
    assert "loopback" in answer.content.decode()
    answer = client.post("/settings/listening/sources/new/", {"kind": "mastodon", "name": "M"})
    assert "Choose the Mastodon voice" in answer.content.decode()
    assert not Source.objects.filter(organization=cast.acme).exists()


def test_members_and_outsiders_cannot_change_sources(cast: Cast) -> None:
    source = Source.objects.create(organization=cast.acme, kind=SourceKind.FEED, name="Forum")
    assert cast.client(cast.member).get("/settings/listening/sources/new/").status_code == 403
    member = cast.client(cast.member).post(
        f"/settings/listening/sources/{source.pk}/switch/", {"enabled": "0"}
    )
    assert member.status_code == 403
    outsider = cast.client(cast.outsider).get(f"/settings/listening/sources/{source.pk}/")
    assert outsider.status_code in (403, 404)
    source.refresh_from_db()
    assert source.enabled
