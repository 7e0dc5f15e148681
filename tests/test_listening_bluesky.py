"""Bluesky listening: the repository event stream of a real PDS on loopback (the ``pds``
fixture), filtered for the organisation, stored once, resumed from the stored cursor; and bad
frames skipped without a crash."""

from __future__ import annotations

from typing import Any

import libipld

from cluetrain.listening.models import Direction, Message, Source, SourceKind
from cluetrain.listening.streams.bluesky import BlueskyListener, websocket_url
from cluetrain.networks import PublishedRef
from cluetrain.voices.models import Voice
from tests import test_bluesky as bsky
from tests.conftest import Cast


def frame(header: dict[str, Any], body: Any) -> bytes:
    return bytes(libipld.encode_dag_cbor(header)) + bytes(libipld.encode_dag_cbor(body))


def bluesky_source(cast: Cast, url: str = "https://pds.example", **fields: Any) -> Source:
    return Source.objects.create(
        organization=cast.acme, kind=SourceKind.BLUESKY, name="Bluesky", url=url, **fields
    )


def test_stream_addresses() -> None:
    assert websocket_url("https://pds.example/") == (
        "wss://pds.example/xrpc/com.atproto.sync.subscribeRepos"
    )
    assert websocket_url("http://127.0.0.1:2583").startswith("ws://127.0.0.1:2583/xrpc/")
    assert websocket_url("bsky.network").startswith("wss://bsky.network/")


def test_bad_frames_are_skipped_and_counted_and_the_cursor_moves_past_them(cast: Cast) -> None:
    source = bluesky_source(cast)
    listener = BlueskyListener(source)
    info = frame({"op": 1, "t": "#info"}, {"name": "OutdatedCursor"})
    raws: list[bytes | str] = [
        b"",
        b"\xff\x00garbage",
        info[:-3],  # truncated
        "a text frame",
        frame({"op": 1, "t": "#labels"}, {"seq": 99, "labels": []}),  # a type we do not know
        frame(
            {"op": 1, "t": "#commit"},
            {"seq": 100, "repo": "did:plc:x", "ops": [], "blocks": b"not a CAR", "commit": None},
        ),
        frame({"op": -1}, {"error": "ConsumerTooSlow", "message": "bye"}),
        frame({"op": 1, "t": "#commit"}, ["not", "a", "map"]),
        b"\x00" * 5_000_000,  # giant
    ]
    for raw in raws:
        listener.handle_frame(raw)
    assert listener.counters.frames == 9
    assert listener.counters.skipped == 9
    assert listener.flush() == 0
    source.refresh_from_db()
    assert source.cursor == "100"  # nothing we could keep, but nothing to read again either
    assert not Message.objects.filter(organization=cast.acme).exists()


def test_the_stream_keeps_what_concerns_the_organisation_once_and_resumes_from_its_cursor(
    cast: Cast, pds: str, acme_on_bluesky: tuple[Voice, bsky.Member], private_allowed: None
) -> None:
    _, acme = acme_on_bluesky
    customer, neighbour = bsky.create_account(pds), bsky.create_account(pds)
    ours = bsky.connect(acme, pds)
    theirs, others = bsky.connect(customer, pds), bsky.connect(neighbour, pds)

    [welcome] = ours.publish(bsky.outgoing("Welcome aboard, we are listening"))
    [mention] = theirs.publish(bsky.outgoing(f"@{acme.handle} my train is late <script>x</script>"))
    [reply] = theirs.publish(bsky.outgoing("Thanks, but where is my refund?", reply_to=welcome))
    [tagged] = others.publish(bsky.outgoing("Strike tomorrow #AcmeRail"))
    others.publish(bsky.outgoing("Nothing to do with trains"))

    source = bluesky_source(cast, pds, cursor="0", hashtags="acmerail", keywords="timetable")
    listener = BlueskyListener(source)
    assert listener.poll() == 3
    assert listener.counters.skipped == 0

    stored = {m.external_id: m for m in Message.objects.filter(organization=cast.acme)}
    assert set(stored) == {mention.id, reply.id, tagged.id}
    first = stored[mention.id]
    assert first.text == f"@{acme.handle} my train is late <script>x</script>"
    assert first.author.external_id == customer.did
    assert first.author.handle == customer.handle  # resolved from the DID
    assert (
        first.url == f"https://bsky.app/profile/{customer.did}/post/{mention.id.rsplit('/', 1)[1]}"
    )
    assert first.direction == Direction.INBOUND
    assert abs((first.created_at - first.received_at).total_seconds()) < 60
    assert stored[reply.id].reply_to_external_id == welcome.id
    assert stored[reply.id].root_external_id == welcome.id
    source.refresh_from_db()
    assert source.cursor.isdigit()
    cursor = int(source.cursor)

    # While nobody listens: a reply into a stored thread, a keyword, and our own answer.
    [joined] = others.publish(
        bsky.outgoing("Same here", reply_to=PublishedRef(id=mention.id, url="", cid=mention.cid))
    )
    [keyword] = theirs.publish(bsky.outgoing("Is the new Timetable out?"))
    [answer] = ours.publish(
        bsky.outgoing(
            "Sorry! Refund on its way", reply_to=PublishedRef(id=reply.id, url="", cid=reply.cid)
        )
    )

    again = BlueskyListener(Source.objects.get(pk=source.pk))
    assert again.poll() == 3
    source.refresh_from_db()
    assert int(source.cursor) > cursor
    assert Message.objects.filter(organization=cast.acme).count() == 6
    assert Message.objects.get(external_id=joined.id).root_external_id == mention.id
    assert Message.objects.get(external_id=keyword.id).author.handle == customer.handle
    assert Message.objects.get(external_id=answer.id).direction == Direction.OUTBOUND

    # A replay from an older cursor (a crash before the cursor was saved) stores nothing twice.
    Source.objects.filter(pk=source.pk).update(cursor=str(cursor))
    assert BlueskyListener(Source.objects.get(pk=source.pk)).poll() == 0
    assert Message.objects.filter(organization=cast.acme).count() == 6
