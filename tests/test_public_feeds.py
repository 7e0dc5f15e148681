"""Public Atom and RSS feeds of voices, departments and the organisation."""

from __future__ import annotations

import feedparser
import pytest
from django.test import Client

from cluetrain.publishing import dispatch
from cluetrain.publishing.drafts import Draft
from cluetrain.publishing.scheduling import Schedule, When
from cluetrain.publishing.services import do_create_post, do_publish
from cluetrain.voices.models import Network, Voice
from cluetrain.voices.services import do_create_official_voice, do_grant_voice_access
from tests.conftest import Cast


def feed_voice(cast: Cast) -> Voice:
    voice = do_create_official_voice(
        cast.coordinator,
        cast.acme,
        Network.FEED,
        "acme-news",
        name="Acme Customer care news",
        department=cast.care_voice.department,
    )
    do_grant_voice_access(cast.coordinator, voice, cast.mentor)
    return voice


def test_a_feed_voice_publishes_to_its_public_atom_and_rss_urls(cast: Cast) -> None:
    voice = feed_voice(cast)
    do_create_post(
        cast.mentor,
        cast.acme,
        Draft(
            text="Timetable change <script>alert(1)</script> & more",
            voices=[voice],
            title="Timetable",
        ),
        Schedule(When.NOW),
    )
    dispatch.run_due()
    anonymous = Client()
    atom = anonymous.get(f"/feeds/{cast.acme.slug}/voices/{voice.pk}.atom")
    assert atom.status_code == 200
    assert atom["Content-Type"].startswith("application/atom+xml")
    parsed = feedparser.parse(atom.content)
    assert parsed.bozo == 0
    [entry] = parsed.entries
    assert entry.title == "Timetable"
    assert "/publish/entries/" in entry.link
    assert "<script>" not in atom.content.decode()
    rss = anonymous.get(f"/feeds/{cast.acme.slug}/voices/{voice.pk}.rss")
    assert feedparser.parse(rss.content).entries[0].title == "Timetable"
    # A feed reader's conditional request is answered without a body.
    again = anonymous.get(
        f"/feeds/{cast.acme.slug}/voices/{voice.pk}.atom", HTTP_IF_NONE_MATCH=atom["ETag"]
    )
    assert again.status_code == 304
    # The entry page is public for feed posts.
    page = anonymous.get(entry.link.replace("http://127.0.0.1:8000", ""))
    assert page.status_code == 200
    assert "&lt;script&gt;" in page.content.decode()


def test_department_and_organisation_feeds_list_each_post_once(cast: Cast) -> None:
    voice = feed_voice(cast)
    do_create_post(
        cast.mentor,
        cast.acme,
        Draft(text="Both feeds", voices=[voice, cast.care_voice]),
        Schedule(When.NOW),
    )
    dispatch.run_due()
    department = cast.care_voice.department
    assert department is not None
    dept = Client().get(f"/feeds/{cast.acme.slug}/departments/{department.slug}.atom")
    assert [e.title for e in feedparser.parse(dept.content).entries] == ["Both feeds"]
    org = Client().get(f"/feeds/{cast.acme.slug}.rss")
    assert len(feedparser.parse(org.content).entries) == 1


def test_practice_posts_never_appear_in_public(cast: Cast) -> None:
    post = do_publish(cast.member, cast.member_voice, "Just practising")
    dispatch.run_due()
    client = Client()
    assert (
        client.get(f"/feeds/{cast.acme.slug}/voices/{cast.member_voice.pk}.atom").status_code == 404
    )
    assert b"Just practising" not in client.get(f"/feeds/{cast.acme.slug}.atom").content
    key = post.deliveries.get().key
    assert client.get(f"/publish/entries/{key}/0/").status_code == 404
    # Members of the organisation see it.
    assert cast.client(cast.mentor).get(f"/publish/entries/{key}/0/").status_code == 200
    assert cast.client(cast.outsider).get(f"/publish/entries/{key}/0/").status_code == 404


@pytest.mark.parametrize(
    "url",
    ["/feeds/nope.atom", "/feeds/acme/voices/99999.atom", "/feeds/acme/departments/none.rss"],
)
def test_unknown_feeds_are_404(cast: Cast, url: str) -> None:
    assert Client().get(url).status_code == 404
