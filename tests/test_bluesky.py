"""The Bluesky connector, against a real Personal Data Server on loopback (the ``pds`` fixture)."""

from __future__ import annotations

import socket
import uuid
from typing import Any

import pytest
from atproto import AtUri, Client, Session
from atproto import exceptions as at

from cluetrain.networks import (
    Account,
    Connector,
    ContentRejected,
    CredentialsRejected,
    NetworkError,
    PublishedRef,
)
from cluetrain.networks.bluesky import BlueskyConnector, facets, grapheme_count, length_problem
from cluetrain.networks.bluesky.richtext import LINK, MENTION, TAG

PASSWORD = "app-pass-1234"


def spans(text: str, found: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Each facet as (the text its byte range covers, its feature type)."""
    data = text.encode("utf-8")
    return [
        (
            data[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode("utf-8"),
            f["features"][0]["$type"],
        )
        for f in found
    ]


# -- rich text, no server ------------------------------------------------------------------


def test_facets_use_utf8_byte_offsets_around_emoji_combining_marks_and_rtl() -> None:
    text = (
        "👩‍👩‍👧 Cafe\u0301 שלום עולם @bob.test see https://example.com/a?b=1. "
        "مرحبا #Zoë🔥 #Cafe\u0301, #2024 (https://example.org/x)"
    )
    found = facets(text, {"bob.test": "did:plc:bob"})
    assert spans(text, found) == [
        ("@bob.test", MENTION),
        ("https://example.com/a?b=1", LINK),
        ("#Zoë🔥", TAG),
        ("#Cafe\u0301", TAG),
        ("https://example.org/x", LINK),
    ]
    assert [f["features"][0] for f in found] == [
        {"$type": MENTION, "did": "did:plc:bob"},
        {"$type": LINK, "uri": "https://example.com/a?b=1"},
        {"$type": TAG, "tag": "Zoë🔥"},
        {"$type": TAG, "tag": "Cafe\u0301"},
        {"$type": LINK, "uri": "https://example.org/x"},
    ]
    # The byte offset is not the character offset once anything before it is not ASCII.
    assert found[0]["index"]["byteStart"] != text.index("@bob.test")


def test_a_zero_width_joiner_ends_a_hashtag_as_in_bluesky() -> None:
    assert spans("#Zoë\u200d🔥", facets("#Zoë\u200d🔥")) == [("#Zoë", TAG)]


def test_unresolved_mentions_stay_plain_text() -> None:
    assert facets("hello @nobody.test and @bob.test", {}) == []
    assert facets("mail me at a@b.test", {"b.test": "did:plc:b"}) == []


def test_graphemes_are_what_a_person_counts() -> None:
    assert grapheme_count("👩‍👩‍👧") == 1
    assert grapheme_count("e\u0301") == 1
    assert grapheme_count("🇳🇱🇧🇪") == 2
    assert grapheme_count("שלום") == 4
    assert grapheme_count("👍🏽") == 1


def test_post_length_rules() -> None:
    assert length_problem("e\u0301" * 300) is None
    assert length_problem("e\u0301" * 301)
    assert length_problem("")
    assert length_problem(" \n\t")
    assert length_problem("👩‍👩‍👧" * 200)  # 200 graphemes but 3,600 bytes
    assert length_problem("\ud800")


@pytest.fixture
def nowhere() -> str:
    """The URL of a port on loopback where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("text", ["", "   ", "x" * 301, "🙂" * 301])
def test_content_is_rejected_before_any_network_call(nowhere: str, text: str) -> None:
    connector = BlueskyConnector("alice.test", PASSWORD, service=nowhere)
    with pytest.raises(ContentRejected):
        connector.publish(text)


def test_an_unreachable_server_is_a_transient_network_error(nowhere: str) -> None:
    connector = BlueskyConnector("alice.test", PASSWORD, service=nowhere, timeout=5)
    with pytest.raises(NetworkError):
        connector.verify()
    with pytest.raises(NetworkError):
        connector.publish("hello")


# -- against the PDS -----------------------------------------------------------------------


def create_account(pds: str) -> tuple[str, str]:
    """A new account on the PDS; returns its handle and DID."""
    handle = f"u{uuid.uuid4().hex[:10]}.test"
    made = Client(base_url=f"{pds}/xrpc").com.atproto.server.create_account(
        {"handle": handle, "email": f"{handle}@example.com", "password": PASSWORD}
    )
    return handle, made.did


def read_post(pds: str, ref: PublishedRef) -> Any:
    uri = AtUri.from_str(ref.id)
    return (
        Client(base_url=f"{pds}/xrpc")
        .com.atproto.repo.get_record(
            {"repo": uri.host, "collection": uri.collection, "rkey": uri.rkey}
        )
        .value
    )


def test_verify_says_which_account(pds: str) -> None:
    handle, did = create_account(pds)
    connector = BlueskyConnector(f"@{handle}", PASSWORD, service=pds)
    assert isinstance(connector, Connector)
    assert connector.verify() == Account(id=did, handle=handle)


def test_a_wrong_password_is_rejected_for_good(pds: str) -> None:
    handle, _ = create_account(pds)
    connector = BlueskyConnector(handle, "not-the-password", service=pds)
    with pytest.raises(CredentialsRejected):
        connector.verify()
    with pytest.raises(CredentialsRejected):
        connector.publish("hello")


def test_publish_read_back_reply_and_delete(pds: str) -> None:
    handle, did = create_account(pds)
    bob, bob_did = create_account(pds)
    connector = BlueskyConnector(handle, PASSWORD, service=pds, web="https://bsky.example")
    text = f"Grüße 👋🏽 שלום @{bob} read https://example.com/news?id=7 #Cluetrain! @ghost.test"

    post = connector.publish(text)

    assert post.id.startswith(f"at://{did}/app.bsky.feed.post/")
    assert post.cid
    assert post.url == f"https://bsky.example/profile/{did}/post/{AtUri.from_str(post.id).rkey}"
    record = read_post(pds, post)
    assert record.text == text
    stored = [
        {
            "index": {"byteStart": f.index.byte_start, "byteEnd": f.index.byte_end},
            "features": [{"$type": f.features[0].py_type, **f.features[0].model_dump()}],
        }
        for f in record.facets
    ]
    assert spans(text, stored) == [
        (f"@{bob}", MENTION),
        ("https://example.com/news?id=7", LINK),
        ("#Cluetrain", TAG),
    ]
    assert [f.features[0].model_dump() for f in record.facets] == [
        {"did": bob_did, "py_type": MENTION},
        {"uri": "https://example.com/news?id=7", "py_type": LINK},
        {"tag": "Cluetrain", "py_type": TAG},
    ]

    reply = connector.publish("a reply", reply_to=post)
    again = connector.publish("a reply to the reply", reply_to=reply)
    stored_reply = read_post(pds, again).reply
    assert (stored_reply.root.uri, stored_reply.root.cid) == (post.id, post.cid)
    assert (stored_reply.parent.uri, stored_reply.parent.cid) == (reply.id, reply.cid)
    assert read_post(pds, reply).reply.root.uri == post.id

    connector.delete(post)
    with pytest.raises(at.BadRequestError):
        read_post(pds, post)
    connector.delete(post)  # already gone: still fine


def test_a_stored_session_is_reused_without_logging_in(pds: str) -> None:
    handle, did = create_account(pds)
    stored: list[str] = []
    first = BlueskyConnector(handle, PASSWORD, service=pds, on_session=stored.append)
    first.verify()
    assert stored
    assert first.session_string == stored[-1]

    # A wrong password proves that the stored session, not a new login, does the work.
    second = BlueskyConnector(handle, "wrong", service=pds, session=stored[-1])
    assert second.verify().id == did
    assert read_post(pds, second.publish("from a stored session")).text == "from a stored session"


def test_a_stale_session_falls_back_to_the_password(pds: str) -> None:
    handle, did = create_account(pds)
    first = BlueskyConnector(handle, PASSWORD, service=pds)
    first.verify()
    session = first.session_string
    assert session
    # Spoil the access token's signature, as a server that no longer honours it would see it.
    parts = Session.decode(session)
    parts.access_jwt = parts.access_jwt[:-4] + (
        "AAAA" if parts.access_jwt[-4:] != "AAAA" else "BBBB"
    )
    spoiled = parts.encode()

    second = BlueskyConnector(handle, PASSWORD, service=pds, session=spoiled)
    assert second.verify().id == did
    assert second.session_string not in (None, spoiled)  # a fresh login replaced it
