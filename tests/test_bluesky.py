"""The Bluesky connector, against a real Personal Data Server on loopback (the ``pds`` fixture).

Accounts are made with ``createAccount``, whose answer carries a session: connectors start from
that stored session, so only the tests about logging in pay for a password check (~0.4 s).
Tests that count requests or break them go through the fault proxy (``tests/support/faults``).
"""

from __future__ import annotations

import dataclasses
import io
import re
import socket
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

import pytest
from atproto import AtUri, Client, Session
from atproto import exceptions as at
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from cluetrain.networks import (
    Account,
    Connector,
    ContentRejected,
    CredentialsRejected,
    LinkCard,
    Media,
    NetworkError,
    NotSupported,
    Outgoing,
    PublishedRef,
)
from cluetrain.networks.bluesky import BlueskyConnector, facets, grapheme_count, length_problem
from cluetrain.networks.bluesky.richtext import LINK, MENTION, TAG
from cluetrain.networks.bluesky.tid import record_key
from cluetrain.networks.registry import Context, build

if TYPE_CHECKING:
    from tests.support.faults import FaultProxy

# The ``fault_proxy`` fixture.

PASSWORD = "app-pass-1234"
POST = "app.bsky.feed.post"
TID = r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$"


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


# -- record keys ---------------------------------------------------------------------------


def tid_microseconds(rkey: str) -> int:
    alphabet = "234567abcdefghijklmnopqrstuvwxyz"
    value = 0
    for char in rkey:
        value = value * 32 + alphabet.index(char)
    return value >> 10


@given(
    key=st.text(max_size=40),
    created_at=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
    ),
    index=st.integers(min_value=0, max_value=50),
)
def test_record_keys_are_valid_tids_that_a_retry_derives_again(
    key: str, created_at: datetime, index: int
) -> None:
    rkey = record_key(key, created_at, index)
    assert re.fullmatch(TID, rkey)
    assert rkey == record_key(key, created_at, index)
    assert record_key(key, created_at, index + 1) > rkey  # a thread's parts sort in order


def test_a_record_key_carries_the_planned_time_and_the_publication() -> None:
    planned = datetime(2024, 1, 1, 12, 30, tzinfo=UTC)
    micros = int(planned.timestamp()) * 1_000_000
    assert tid_microseconds(record_key("post-1", planned, 0)) == micros
    assert tid_microseconds(record_key("post-1", planned, 2)) == micros + 2
    assert record_key("post-1", planned, 0) != record_key("post-2", planned, 0)


# -- without a server ----------------------------------------------------------------------


def outgoing(*parts: str, **fields: Any) -> Outgoing:
    """A new publication (a fresh key) of ``parts``."""
    return Outgoing(parts=parts, key=uuid.uuid4().hex, created_at=datetime.now(UTC), **fields)


def retried(out: Outgoing) -> Outgoing:
    """The same publication, as the next attempt hands it over."""
    return dataclasses.replace(out, extra={**out.extra, "attempt": "2"})


def png(width: int = 40, height: int = 30) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "red").save(buffer, "PNG")
    return buffer.getvalue()


def image(**fields: Any) -> Media:
    return Media(**{"data": png(), "content_type": "image/png", "alt_text": "A red box", **fields})


def test_it_offers_the_connector_interface() -> None:
    connector = BlueskyConnector("alice.test", PASSWORD)
    assert isinstance(connector, Connector)
    assert (connector.network, connector.max_length, connector.max_media) == ("bluesky", 300, 4)
    assert connector.length_of("👩‍👩‍👧 e\u0301") == 3
    with pytest.raises(NotSupported, match="cannot be edited; delete and post again"):
        connector.edit(PublishedRef(id="at://did:plc:a/app.bsky.feed.post/3k", url=""), "new")


def test_a_credential_without_a_password_is_refused() -> None:
    with pytest.raises(CredentialsRejected, match="app password"):
        build("bluesky", {"handle": "alice.test"})


@pytest.fixture
def nowhere(settings: Any) -> str:
    """The URL of a port on loopback where nothing listens (loopback allowed for the test)."""
    settings.ALLOW_PRIVATE_URLS = True
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.mark.parametrize(
    ("parts", "fields"),
    [
        (("",), {}),
        (("   ",), {}),
        (("x" * 301,), {}),
        (("🙂" * 301,), {}),
        (("fine", "x" * 301), {}),
        ((), {}),
        (("five images",), {"media": (image(),) * 5}),
        (("a bitmap",), {"media": (image(content_type="image/bmp"),)}),
        (("too big",), {"media": (image(data=b"\x89PNG" + b"0" * 1_000_000),)}),
    ],
)
def test_content_is_rejected_before_any_network_call(
    nowhere: str, parts: tuple[str, ...], fields: dict[str, Any]
) -> None:
    connector = BlueskyConnector("alice.test", PASSWORD, service=nowhere)
    with pytest.raises(ContentRejected):
        connector.publish(outgoing(*parts, **fields))


def test_an_image_needs_no_words(nowhere: str) -> None:
    # Nothing is sent: the check passes, then the connection to a closed port fails.
    connector = BlueskyConnector("alice.test", PASSWORD, service=nowhere, timeout=2)
    with pytest.raises(NetworkError):
        connector.publish(outgoing("", media=(image(),)))


def test_an_unreachable_server_is_a_transient_network_error(nowhere: str) -> None:
    connector = BlueskyConnector("alice.test", PASSWORD, service=nowhere, timeout=5)
    with pytest.raises(NetworkError):
        connector.verify()
    with pytest.raises(NetworkError):
        connector.publish(outgoing("hello"))


# -- against the PDS -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Member:
    """An account on the test PDS, with the session that creating it returned."""

    handle: str
    did: str
    access_jwt: str
    refresh_jwt: str

    def session(self, service: str) -> str:
        """A stored session for this account, used through ``service`` (the PDS or a proxy)."""
        return Session(
            self.handle, self.did, self.access_jwt, self.refresh_jwt, f"{service}/xrpc"
        ).encode()


@cache
def reader(pds: str) -> Client:
    """A client without a session, for what anyone may ask the PDS."""
    return Client(base_url=f"{pds}/xrpc")


def create_account(pds: str) -> Member:
    handle = f"u{uuid.uuid4().hex[:10]}.test"
    made = reader(pds).com.atproto.server.create_account(
        {"handle": handle, "email": f"{handle}@example.com", "password": PASSWORD}
    )
    return Member(handle, made.did, made.access_jwt, made.refresh_jwt)


def connect(member: Member, service: str, **options: Any) -> BlueskyConnector:
    """A connector starting from ``member``'s stored session.

    Its password is wrong unless given, which proves that no login happens.
    """
    password = options.pop("password", "not-the-password")
    session = member.session(service)
    return BlueskyConnector(member.handle, password, service=service, session=session, **options)


def read_post(pds: str, ref: PublishedRef) -> Any:
    uri = AtUri.from_str(ref.id)
    return (
        reader(pds)
        .com.atproto.repo.get_record(
            {"repo": uri.host, "collection": uri.collection, "rkey": uri.rkey}
        )
        .value
    )


def posts_of(pds: str, did: str) -> list[Any]:
    """Every post in the account's repository, asked of the PDS directly."""
    answer = reader(pds).com.atproto.repo.list_records({"repo": did, "collection": POST})
    return list(answer.records)


def strong(ref: Any) -> tuple[str, str]:
    return (ref.uri, ref.cid)


def test_from_credential_logs_in_and_hands_back_the_whole_credential(pds: str) -> None:
    member = create_account(pds)
    stored: list[dict[str, Any]] = []
    context = Context(on_credential=stored.append)
    credential = {
        "handle": f"@{member.handle}",
        "app_password": PASSWORD,
        "service": pds,
        "web": "https://bsky.example",
    }
    assert build("bluesky", credential, context).verify() == Account(
        id=member.did, handle=member.handle
    )
    assert len(stored) == 1
    assert stored[0] == {**credential, "session": stored[0]["session"]}
    assert Session.decode(stored[0]["session"]).did == member.did

    # The stored session does the work from then on: a login with this password would fail.
    again = build("bluesky", {**stored[0], "app_password": "wrong"}, context)
    [post] = again.publish(outgoing("from a stored session"))
    assert read_post(pds, post).text == "from a stored session"
    assert post.url.startswith(f"https://bsky.example/profile/{member.did}/post/")
    assert len(stored) == 1  # taking up the stored session is no change to store


def test_a_wrong_password_is_rejected_for_good(pds: str) -> None:
    member = create_account(pds)
    connector = BlueskyConnector(member.handle, "not-the-password", service=pds)
    with pytest.raises(CredentialsRejected):
        connector.verify()
    with pytest.raises(CredentialsRejected):
        connector.publish(outgoing("hello"))


def test_publish_read_back_reply_and_delete(pds: str) -> None:
    alice, bob = create_account(pds), create_account(pds)
    connector = connect(alice, pds, web="https://bsky.example")
    text = (
        f"Grüße 👋🏽 שלום @{bob.handle} read https://example.com/news?id=7 #Cluetrain! @ghost.test"
    )

    [post] = connector.publish(outgoing(text))

    assert post.id.startswith(f"at://{alice.did}/app.bsky.feed.post/")
    assert post.cid
    rkey = AtUri.from_str(post.id).rkey
    assert post.url == f"https://bsky.example/profile/{alice.did}/post/{rkey}"
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
        (f"@{bob.handle}", MENTION),
        ("https://example.com/news?id=7", LINK),
        ("#Cluetrain", TAG),
    ]
    assert [f.features[0].model_dump() for f in record.facets] == [
        {"did": bob.did, "py_type": MENTION},
        {"uri": "https://example.com/news?id=7", "py_type": LINK},
        {"tag": "Cluetrain", "py_type": TAG},
    ]

    [reply] = connector.publish(outgoing("a reply", reply_to=post))
    [again] = connector.publish(outgoing("a reply to the reply", reply_to=reply))
    stored_reply = read_post(pds, again).reply
    assert strong(stored_reply.root) == (post.id, post.cid)
    assert strong(stored_reply.parent) == (reply.id, reply.cid)
    assert read_post(pds, reply).reply.root.uri == post.id

    connector.delete(post)
    with pytest.raises(at.BadRequestError):
        read_post(pds, post)
    connector.delete(post)  # already gone: still fine


def test_a_thread_chains_each_part_to_the_one_before(pds: str) -> None:
    member, other = create_account(pds), create_account(pds)
    connector = connect(member, pds)
    seen: list[tuple[int, PublishedRef]] = []
    out = outgoing("one", "two", "three", language="en")

    refs = connector.publish(out, on_part=lambda index, ref: seen.append((index, ref)))

    assert seen == list(enumerate(refs))
    rkeys = [record_key(out.key, out.created_at, index) for index in range(3)]
    assert [AtUri.from_str(ref.id).rkey for ref in refs] == rkeys
    records = [read_post(pds, ref) for ref in refs]
    assert [record.text for record in records] == ["one", "two", "three"]
    assert records[0].langs == ["en"]
    assert records[0].reply is None
    for index in (1, 2):
        assert strong(records[index].reply.root) == (refs[0].id, refs[0].cid)
        assert strong(records[index].reply.parent) == (refs[index - 1].id, refs[index - 1].cid)

    # A thread that answers someone's reply hangs every part under that conversation's root.
    theirs = connect(other, pds)
    [root] = theirs.publish(outgoing("their post"))
    [their_reply] = theirs.publish(outgoing("their reply", reply_to=root))
    answer = connector.publish(outgoing("a", "b", reply_to=their_reply))
    first, second = (read_post(pds, ref).reply for ref in answer)
    assert strong(first.root) == strong(second.root) == (root.id, root.cid)
    assert strong(first.parent) == (their_reply.id, their_reply.cid)
    assert strong(second.parent) == (answer[0].id, answer[0].cid)


def test_publishing_the_same_outgoing_again_never_posts_twice(pds: str) -> None:
    member = create_account(pds)
    out = outgoing("once", "and once more")
    first = connect(member, pds).publish(out)

    # A first attempt repeated (say, after a crash before the attempt was counted) runs into
    # the record keys already taken, and a retry looks them up before creating anything.
    assert connect(member, pds).publish(out) == first
    assert connect(member, pds).publish(retried(out)) == first
    assert connect(member, pds).publish(retried(out), done=first[:1]) == first
    assert sorted(record.uri for record in posts_of(pds, member.did)) == sorted(
        ref.id for ref in first
    )


def test_quotes_and_link_cards_go_on_the_first_part(pds: str) -> None:
    member = create_account(pds)
    connector = connect(member, pds)
    [quoted] = connector.publish(outgoing("quote me"))

    # A reference without its content hash is completed from the repository.
    refs = connector.publish(outgoing("look", "more", quote=PublishedRef(id=quoted.id, url="")))
    first, second = (read_post(pds, ref) for ref in refs)
    assert first.embed.py_type == "app.bsky.embed.record"
    assert strong(first.embed.record) == (quoted.id, quoted.cid)
    assert second.embed is None

    link = LinkCard("https://example.com/news", "News", "What happened today")
    [card] = connector.publish(outgoing("read this", link=link))
    external = read_post(pds, card).embed.external
    assert (external.uri, external.title, external.description) == (
        link.url,
        link.title,
        link.description,
    )
    # A post holds one embed: images take the card's place, and a quote keeps them.
    [pictured] = connector.publish(outgoing("read this", link=link, media=(image(),)))
    assert read_post(pds, pictured).embed.py_type == "app.bsky.embed.images"
    [both] = connector.publish(outgoing("", quote=quoted, media=(image(alt_text="Red"),)))
    embed = read_post(pds, both).embed
    assert embed.py_type == "app.bsky.embed.recordWithMedia"
    assert strong(embed.record.record) == (quoted.id, quoted.cid)
    assert [picture.alt for picture in embed.media.images] == ["Red"]


def test_reactions_need_an_app_view_which_this_server_lacks(pds: str) -> None:
    member = create_account(pds)
    connector = connect(member, pds)
    [post] = connector.publish(outgoing("count me"))
    with pytest.raises(NotSupported, match="App View"):
        connector.engagement(post)


def spoil(token: str) -> str:
    """``token`` with a broken signature, as a server that no longer honours it sees it."""
    return token[:-4] + ("AAAA" if token[-4:] != "AAAA" else "BBBB")


def test_a_stale_access_token_is_refreshed_without_the_password(
    pds: str, fault_proxy: Callable[[str], FaultProxy]
) -> None:
    member = create_account(pds)
    proxy = fault_proxy(pds)
    session = Session.decode(member.session(proxy.url))
    session.access_jwt = spoil(session.access_jwt)
    stored: list[str] = []
    connector = BlueskyConnector(
        member.handle,
        "wrong",
        service=proxy.url,
        session=session.encode(),
        on_session=stored.append,
    )

    [post] = connector.publish(outgoing("after a refresh"))

    assert read_post(pds, post).text == "after a refresh"
    assert proxy.requests == [
        "/xrpc/com.atproto.repo.createRecord",
        "/xrpc/com.atproto.server.refreshSession",
        "/xrpc/com.atproto.repo.createRecord",
    ]
    assert len(stored) == 1
    assert stored[0] == connector.session_string
    renewed = Session.decode(stored[0])
    assert renewed.access_jwt != session.access_jwt
    assert renewed.refresh_jwt != member.refresh_jwt  # refresh tokens are used once


def test_a_failed_refresh_falls_back_to_the_password(
    pds: str, fault_proxy: Callable[[str], FaultProxy]
) -> None:
    member = create_account(pds)
    proxy = fault_proxy(pds)
    session = Session.decode(member.session(proxy.url))
    session.access_jwt, session.refresh_jwt = spoil(session.access_jwt), spoil(session.refresh_jwt)
    stored: list[str] = []
    connector = BlueskyConnector(
        member.handle,
        PASSWORD,
        service=proxy.url,
        session=session.encode(),
        on_session=stored.append,
    )

    assert connector.verify().id == member.did
    assert proxy.requests == [
        "/xrpc/com.atproto.server.getSession",
        "/xrpc/com.atproto.server.refreshSession",
        "/xrpc/com.atproto.server.createSession",
        "/xrpc/com.atproto.server.getSession",
    ]
    assert stored == [connector.session_string]
