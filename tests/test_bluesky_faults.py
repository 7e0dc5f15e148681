"""The Bluesky connector when the network fails: faults injected between it and a real PDS.

Every test talks to the ``pds`` fixture through a fault proxy, which also counts the requests.
The counts and the repository's own listing (asked of the PDS directly) are the evidence: a
post exists exactly once however the attempts before it ended.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from cluetrain.networks import (
    ConnectorError,
    ContentRejected,
    Engagement,
    Media,
    NetworkError,
    PublishedRef,
)
from cluetrain.networks.bluesky import from_credential
from cluetrain.networks.registry import Context
from tests.test_bluesky import (
    POST,
    Member,
    connect,
    create_account,
    image,
    outgoing,
    png,
    posts_of,
    read_post,
    retried,
    strong,
)

if TYPE_CHECKING:
    from tests.support.faults import FaultProxy

# The ``fault_proxy`` fixture.

CREATE = "/xrpc/com.atproto.repo.createRecord"
GET = "/xrpc/com.atproto.repo.getRecord"


@pytest.fixture
def member(pds: str) -> Member:
    return create_account(pds)


@pytest.fixture
def proxy(pds: str, fault_proxy: Callable[[str], FaultProxy]) -> FaultProxy:
    return fault_proxy(pds)


# -- the fast path -------------------------------------------------------------------------


def test_a_post_is_one_request_once_logged_in(member: Member, proxy: FaultProxy) -> None:
    connector = connect(member, proxy.url)
    connector.publish(outgoing("the first"))
    connector.publish(outgoing("the second"))
    assert proxy.requests == [CREATE, CREATE]

    # A worker that builds its connector from the stored credential for each job does too.
    credential = {"handle": member.handle, "app_password": "x", "service": proxy.url}
    credential["session"] = member.session(proxy.url)
    from_credential(credential, Context()).publish(outgoing("the third"))
    assert proxy.requests == [CREATE, CREATE, CREATE]


def test_a_thread_resolves_each_mentioned_handle_once(
    pds: str, member: Member, proxy: FaultProxy
) -> None:
    bob = create_account(pds)
    connector = connect(member, proxy.url)
    parts = (f"hi @{bob.handle}", f"again @{bob.handle}, @ghost.test", f"(@{bob.handle})")

    refs = connector.publish(outgoing(*parts))

    assert proxy.count("resolveHandle") == 2  # bob and the ghost, once each
    for ref in refs:
        [facet] = read_post(pds, ref).facets
        assert facet.features[0].did == bob.did
    proxy.clear()
    connector.publish(outgoing(f"@{bob.handle} once more"))
    assert proxy.requests == [CREATE]  # remembered


# -- each fault, the error it becomes ------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_server_error_is_transient(
    pds: str, member: Member, proxy: FaultProxy, status: int
) -> None:
    proxy.plan("createRecord", "status", status=status)
    with pytest.raises(NetworkError) as caught:
        connect(member, proxy.url).publish(outgoing("hello"))
    assert caught.value.retry_after is None
    assert proxy.requests == [CREATE, GET]  # it looked before saying so
    assert posts_of(pds, member.did) == []


def test_a_rate_limit_says_when_to_try_again(pds: str, member: Member, proxy: FaultProxy) -> None:
    proxy.plan("createRecord", "rate_limit", retry_after=7)
    with pytest.raises(NetworkError, match="rate limit") as caught:
        connect(member, proxy.url).publish(outgoing("hello"))
    assert caught.value.retry_after == 7
    assert proxy.requests == [CREATE]  # a clear refusal: nothing to look for


def test_a_server_that_never_answers_times_out(pds: str, member: Member, proxy: FaultProxy) -> None:
    proxy.plan("createRecord", "hang", seconds=5)
    with pytest.raises(NetworkError, match="did not answer in time"):
        connect(member, proxy.url, timeout=0.3).publish(outgoing("hello"))
    assert posts_of(pds, member.did) == []


@pytest.mark.parametrize("action", ["close", "reset"])
def test_a_connection_lost_without_an_answer_is_transient(
    pds: str, member: Member, proxy: FaultProxy, action: str
) -> None:
    proxy.plan("createRecord", action)
    with pytest.raises(NetworkError):
        connect(member, proxy.url).publish(outgoing("hello"))
    assert posts_of(pds, member.did) == []


@pytest.mark.parametrize(
    "options", [{}, {"content_type": "application/json", "body": b'{"uri": "at://'}]
)
def test_an_unreadable_answer_is_said_plainly(
    member: Member, proxy: FaultProxy, options: dict[str, Any]
) -> None:
    proxy.plan("createRecord", "garbage", **options)
    with pytest.raises(ConnectorError, match="answer Cluetrain cannot read") as caught:
        connect(member, proxy.url).publish(outgoing("hello"))
    assert not isinstance(caught.value, NetworkError)


# -- never twice ---------------------------------------------------------------------------


def test_an_answer_lost_after_the_post_was_made_is_found_at_once(
    pds: str, member: Member, proxy: FaultProxy
) -> None:
    proxy.plan("createRecord", "drop")
    [post] = connect(member, proxy.url).publish(outgoing("made, then lost"))
    assert proxy.requests == [CREATE, GET]
    assert [(r.uri, r.cid) for r in posts_of(pds, member.did)] == [(post.id, post.cid)]


def test_a_retry_after_a_lost_answer_finds_the_post_instead_of_posting_again(
    pds: str, member: Member, proxy: FaultProxy
) -> None:
    # The post is made but the answer is lost, and so is the look that would have found it:
    # the worker is told the attempt failed (or dies before it can record the answer).
    proxy.plan("createRecord", "drop")
    proxy.plan("getRecord", "reset")
    out = outgoing("exactly once")
    with pytest.raises(NetworkError):
        connect(member, proxy.url).publish(out)
    [made] = posts_of(pds, member.did)

    proxy.clear()
    [post] = connect(member, proxy.url).publish(retried(out))

    assert proxy.requests == [GET]
    assert (post.id, post.cid) == (made.uri, made.cid)
    assert [r.uri for r in posts_of(pds, member.did)] == [post.id]


@pytest.mark.parametrize("lost", ["request", "answer"])
def test_a_thread_broken_at_its_second_part_resumes_there(
    pds: str, member: Member, proxy: FaultProxy, lost: str
) -> None:
    if lost == "request":
        proxy.plan("createRecord", "reset", after=1)
    else:  # the second part is made, but nobody hears of it
        proxy.plan("createRecord", "drop", after=1)
        proxy.plan("getRecord", "reset")
    out = outgoing("one", "two", "three")
    recorded: list[PublishedRef] = []
    with pytest.raises(NetworkError):
        connect(member, proxy.url).publish(out, on_part=lambda index, ref: recorded.append(ref))
    assert len(recorded) == 1

    refs = connect(member, proxy.url).publish(retried(out), done=recorded)

    assert refs[0] == recorded[0]
    assert sorted(r.uri for r in posts_of(pds, member.did)) == sorted(ref.id for ref in refs)
    records = [read_post(pds, ref) for ref in refs]
    assert [record.text for record in records] == ["one", "two", "three"]
    for index in (1, 2):
        assert strong(records[index].reply.root) == (refs[0].id, refs[0].cid)
        assert strong(records[index].reply.parent) == (refs[index - 1].id, refs[index - 1].cid)


# -- images --------------------------------------------------------------------------------


def test_images_carry_their_alt_text_and_shape(pds: str, member: Member, proxy: FaultProxy) -> None:
    data = png(40, 30)
    boxed = Media(data, "image/png", "A red box, wider than tall", width=40, height=30)
    unsized = Media(png(8, 8), "image/png", "A small red square")

    [post] = connect(member, proxy.url).publish(outgoing("two pictures", media=(boxed, unsized)))

    assert proxy.count("uploadBlob") == 2
    first, second = read_post(pds, post).embed.images
    assert (first.alt, second.alt) == (boxed.alt_text, unsized.alt_text)
    assert (first.aspect_ratio.width, first.aspect_ratio.height) == (40, 30)
    assert second.aspect_ratio is None
    assert (first.image.mime_type, first.image.size) == ("image/png", len(data))
    assert read_post(pds, post).py_type == POST


@pytest.mark.parametrize(
    ("media", "message"),
    [
        ((image(content_type="image/bmp", filename="scan.bmp"),), "scan.bmp is image/bmp"),
        ((image(data=png() + b"\0" * 1_000_000),), "at most 1 MB"),
        ((image(),) * 5, "at most 4 images"),
    ],
)
def test_images_bluesky_would_refuse_are_refused_before_any_upload(
    member: Member, proxy: FaultProxy, media: tuple[Media, ...], message: str
) -> None:
    with pytest.raises(ContentRejected, match=message):
        connect(member, proxy.url).publish(outgoing("pictures", media=media))
    assert proxy.requests == []


# -- reactions -----------------------------------------------------------------------------


def test_reaction_counts_come_from_the_app_view(member: Member, proxy: FaultProxy) -> None:
    connector = connect(member, proxy.url)
    [post] = connector.publish(outgoing("count me"))
    view = {
        "uri": post.id,
        "cid": post.cid,
        "author": {"did": member.did, "handle": member.handle},
        "record": {"$type": POST, "text": "count me", "createdAt": "2026-01-01T00:00:00Z"},
        "indexedAt": "2026-01-01T00:00:01Z",
        "likeCount": 5,
        "repostCount": 2,
        "replyCount": 3,
        "quoteCount": 1,
    }
    proxy.plan("getPosts", "answer", json={"posts": [view]})
    assert connector.engagement(post) == Engagement(likes=5, reposts=2, replies=3, quotes=1)

    proxy.plan("getPosts", "answer", json={"posts": []})
    with pytest.raises(ConnectorError, match="may have been deleted"):
        connector.engagement(post)
