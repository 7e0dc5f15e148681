"""Mastodon listening, against recorded real-shaped answers (no Mastodon server can run here):
mentions polled from the notifications with a cursor, hashtag timelines, and the event stream
with a malformed event in the middle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from requests import PreparedRequest

from cluetrain.listening.heard import Heard
from cluetrain.listening.models import Message, Source, SourceKind
from cluetrain.listening.streams import mastodon as listening_mastodon
from cluetrain.listening.streams.mastodon import MastodonListener, _stream_listener_class
from cluetrain.voices.models import Network, Voice, VoiceKind
from tests.conftest import Cast
from tests.support.mastodon import BASE, TOKEN

RECORDINGS = Path(__file__).parent / "recordings" / "listening"
NOTIFICATIONS = json.loads((RECORDINGS / "mastodon_notifications.json").read_text())
TAG_TIMELINE = json.loads((RECORDINGS / "mastodon_tag_timeline.json").read_text())


@pytest.fixture
def voice(cast: Cast) -> Voice:
    voice = Voice(
        organization=cast.acme,
        kind=VoiceKind.OFFICIAL,
        network=Network.MASTODON,
        handle="@acme@mastodon.example",
        name="Acme on Mastodon",
    )
    voice.set_credential({"api_base_url": BASE, "access_token": TOKEN})
    voice.save()
    return voice


def mastodon_source(cast: Cast, voice: Voice, **fields: Any) -> Source:
    return Source.objects.create(
        organization=cast.acme, kind=SourceKind.MASTODON, name="Mastodon", voice=voice, **fields
    )


def query(request: PreparedRequest) -> dict[str, list[str]]:
    return parse_qs(urlsplit(request.url or "").query)


def newer_than(
    items: list[dict[str, Any]], request: PreparedRequest
) -> tuple[int, dict[str, str], str]:
    """Mastodon's min_id: the items after the given id (newest first)."""
    since = int(query(request).get("min_id", ["0"])[0])
    return 200, {}, json.dumps([item for item in items if int(item["id"]) > since])


def test_mentions_are_polled_once_as_plain_text_from_the_cursor(
    cast: Cast, voice: Voice, mock: responses.RequestsMock
) -> None:
    calls: list[PreparedRequest] = []

    def notifications(request: PreparedRequest) -> Any:
        calls.append(request)
        return newer_than(NOTIFICATIONS, request)

    mock.add_callback(responses.GET, f"{BASE}/api/v1/notifications", callback=notifications)
    source = mastodon_source(cast, voice)
    assert MastodonListener(source).poll() == 2
    assert query(calls[0])["types[]"] == ["mention"]
    assert "min_id" not in query(calls[0])

    eve = Message.objects.get(
        external_id="https://social.example.org/users/eve/statuses/113000000000000001"
    )
    assert eve.network == "mastodon"
    assert eve.text == "@acme my train is late <again>\n\nSecond\nline"
    assert (
        eve.author.display_name == '<script>alert("x")</script>Eve &amp; co'
    )  # text, escaped when shown
    assert eve.author.handle == "eve@social.example.org"
    assert eve.url == "https://social.example.org/@eve/113000000000000001"
    bob = Message.objects.get(external_id__endswith="/113000000000000002")
    assert bob.text == "delays\n\n@acme thanks!"  # the content warning stays in front
    assert bob.reply_to_external_id == "mastodon:mastodon.example:113000000000000000"
    assert bob.created_at == bob.received_at  # written "in 2099": clock skew

    source.refresh_from_db()
    assert source.cursor == "34975862"
    assert MastodonListener(source).poll() == 0
    assert query(calls[-1])["min_id"] == ["34975862"]
    assert Message.objects.filter(organization=cast.acme).count() == 2


def test_hashtag_timelines_keep_their_own_cursor(
    cast: Cast, voice: Voice, mock: responses.RequestsMock
) -> None:
    mock.add(responses.GET, f"{BASE}/api/v1/notifications", json=[])
    mock.add_callback(
        responses.GET,
        f"{BASE}/api/v1/timelines/tag/AcmeRail",
        callback=lambda request: newer_than(TAG_TIMELINE, request),
    )
    source = mastodon_source(cast, voice, hashtags="#AcmeRail")
    assert MastodonListener(source).poll() == 1
    source.refresh_from_db()
    assert source.state["tag:acmerail"] == "113000000000000005"
    assert MastodonListener(source).poll() == 0
    assert Message.objects.get(organization=cast.acme).text == "Strike tomorrow #AcmeRail"


def test_a_server_error_is_a_listen_error(
    cast: Cast, voice: Voice, mock: responses.RequestsMock
) -> None:
    mock.add(responses.GET, f"{BASE}/api/v1/notifications", status=503, body="<html>down</html>")
    with pytest.raises(listening_mastodon.ListenError):
        MastodonListener(mastodon_source(cast, voice)).poll()


def test_the_stream_skips_a_malformed_event_and_keeps_reading(
    cast: Cast, voice: Voice, mock: responses.RequestsMock
) -> None:
    body = (RECORDINGS / "mastodon_user_stream.txt").read_bytes()
    mock.add(responses.GET, f"{BASE}/api/v1/streaming/user", body=body)
    heard: list[Heard] = []
    before = listening_mastodon.malformed_events
    collector = _stream_listener_class()(heard.append, mentions_only=False)
    with requests.get(f"{BASE}/api/v1/streaming/user", stream=True, timeout=5) as response:
        collector.handle_stream(response)
    assert [h.text for h in heard] == [
        "<p>streamed one</p>",
        TAG_TIMELINE[0]["content"],
        "<p>streamed two</p>",
    ]
    assert listening_mastodon.malformed_events - before == 2  # the cut event and the bad line

    listener = MastodonListener(mastodon_source(cast, voice))
    for item in heard + heard:  # delivered twice, as a reconnect may
        listener._inbox.put(item)
    assert listener.drain() == 3
    assert listener.drain() == 0
    source = Source.objects.get(pk=listener.source.pk)
    assert source.cursor == ""  # streams never move the cursor: polls fill their gaps


def test_the_user_stream_of_mentions_only_ignores_plain_updates(
    cast: Cast, mock: responses.RequestsMock
) -> None:
    body = (RECORDINGS / "mastodon_user_stream.txt").read_bytes()
    mock.add(responses.GET, f"{BASE}/api/v1/streaming/user", body=body)
    heard: list[Heard] = []
    collector = _stream_listener_class()(heard.append, mentions_only=True)
    with requests.get(f"{BASE}/api/v1/streaming/user", stream=True, timeout=5) as response:
        collector.handle_stream(response)
    assert [h.text for h in heard] == ["<p>streamed one</p>"]
