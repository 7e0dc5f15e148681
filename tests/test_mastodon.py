"""The Mastodon connector: counting, publishing, edit, delete and engagement.

Against recorded Mastodon answers; see tests/support/mastodon.py.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import responses

from cluetrain.networks import (
    ConnectorError,
    ContentRejected,
    Engagement,
    Media,
    NetworkError,
    PublishedRef,
)
from cluetrain.networks.mastodon import MastodonConnector, count_length, idempotency_key
from tests.support.mastodon import (
    BASE,
    PNG,
    STATUS_URL,
    TOKEN,
    FakeMastodon,
    form,
    multipart,
    outgoing,
    recording,
)

# The fixtures (mock, server, connector) come from tests/support/mastodon.py, a plugin.
pytestmark = pytest.mark.usefixtures("mastodon_py_never_sleeps")


# -- counting -------------------------------------------------------------------------------


def test_links_count_23_and_remote_mentions_count_their_local_part() -> None:
    link = "https://www.example.com/a/rather/long/path/to/an/article?utm_source=cluetrain"
    assert count_length(link) == 23
    assert count_length(f"read {link} now") == len("read  now") + 23
    assert count_length("hi @bob@very.long.domain.example.org") == len("hi @bob")
    assert count_length("hi @bob") == len("hi @bob")
    assert count_length("mail me@example.org") == len("mail me@example.org")
    # Graphemes, as the server counts them: one family emoji, one accented letter.
    assert count_length("👩‍👩‍👧 e\u0301") == 3
    # The content warning counts toward the limit too.
    assert count_length("body", "spoilers") == 12


def test_the_limit_is_read_from_the_instance_once_and_used_to_count(
    server: FakeMastodon, connector: MastodonConnector
) -> None:
    assert connector.max_length == 640
    assert connector.max_media == 6
    assert connector.max_length == 640
    assert len(server.requests("GET", f"{BASE}/api/v2/instance/")) == 1

    link = "https://example.com/" + "x" * 200
    fits = "a" * (640 - 24) + " " + link  # 640 as Mastodon counts, 837 as Python does
    assert connector.length_of(fits) == 640
    connector.publish(outgoing(fits))
    assert len(server.statuses) == 1

    with pytest.raises(ContentRejected, match="641 characters"):
        connector.publish(outgoing(fits + "!", key="pub-2"))
    # A remote mention longer than the room it is counted in still fits.
    mention = "@someone@a.very.long.instance.example.org "
    connector.publish(outgoing(mention + "a" * (640 - len("@someone ")), key="pub-3"))
    assert len(server.statuses) == 2


def test_an_instance_without_v2_gives_its_limit_through_v1(mock: responses.RequestsMock) -> None:
    mock.add(responses.GET, f"{BASE}/api/v2/instance/", status=404, json={"error": "Not Found"})
    mock.add(
        responses.GET,
        f"{BASE}/api/v1/instance/",
        json=recording("instance_v1_max_toot_chars.json"),
    )
    connector = MastodonConnector(BASE, TOKEN)
    assert (connector.max_length, connector.max_media) == (1000, 4)
    assert connector.rules().domain == "example.org"


def test_an_outage_while_falling_back_to_v1_stays_an_outage(
    mock: responses.RequestsMock,
) -> None:
    mock.add(responses.GET, f"{BASE}/api/v2/instance/", status=404, json={"error": "Not Found"})
    mock.add(responses.GET, f"{BASE}/api/v1/instance/", body=requests.ConnectTimeout("slow"))
    with pytest.raises(NetworkError):
        _ = MastodonConnector(BASE, TOKEN).max_length


def test_an_instance_that_says_nothing_of_limits_gets_mastodons_defaults(
    mock: responses.RequestsMock,
) -> None:
    mock.add(responses.GET, f"{BASE}/api/v2/instance/", status=404, json={"error": "Not Found"})
    bare = recording("instance_v1_max_toot_chars.json")
    del bare["max_toot_chars"]
    mock.add(responses.GET, f"{BASE}/api/v1/instance/", json=bare)
    connector = MastodonConnector(BASE, TOKEN)
    assert (connector.max_length, connector.max_media) == (500, 4)


# -- connecting an account ------------------------------------------------------------------
# -- publishing -----------------------------------------------------------------------------


def test_a_status_goes_out_with_visibility_warning_language_and_idempotency_key(
    server: FakeMastodon, connector: MastodonConnector
) -> None:
    seen: list[tuple[int, PublishedRef]] = []

    refs = connector.publish(
        outgoing(
            "Our opening hours change on Monday.",
            visibility="unlisted",
            content_warning="service news",
            language="en",
        ),
        on_part=lambda index, ref: seen.append((index, ref)),
    )

    (status_id,) = server.statuses
    assert refs == [PublishedRef(id=status_id, url=f"{BASE}/@alice/{status_id}")]
    assert seen == [(0, refs[0])]
    (sent,) = server.requests("POST", f"{BASE}/api/v1/statuses")
    assert form(sent) == {
        "status": ["Our opening hours change on Monday."],
        "sensitive": ["0"],
        "visibility": ["unlisted"],
        "spoiler_text": ["service news"],
        "language": ["en"],
    }
    assert sent.headers["Idempotency-Key"] == idempotency_key("pub-1", 0)
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    # The request gave up after the context's timeout, never Mastodon.py's 300 seconds.
    call = next(c for c in server.mock.calls if c.request is sent)
    assert call.request.req_kwargs["timeout"] == 7


def test_idempotency_keys_differ_by_part_and_publication() -> None:
    keys = {idempotency_key(key, index) for key in ("a", "b") for index in (0, 1)}
    assert len(keys) == 4
    assert idempotency_key("a", 0) == idempotency_key("a", 0)
    assert all(re.fullmatch(r"cluetrain-[0-9a-f]{48}", key) for key in keys)


def test_images_are_uploaded_with_their_alt_text_and_attached(
    server: FakeMastodon, connector: MastodonConnector
) -> None:
    server.serve_media((200, None))
    chart = Media(PNG, "image/png", "A chart of response times.", filename="chart.png")
    photo = Media(PNG, "image/png", "The team at the stand.")

    connector.publish(outgoing("Look at this", media=(chart, photo)))

    uploads = server.requests("POST", f"{BASE}/api/v2/media")
    assert [multipart(r)["description"] for r in uploads] == [
        b"A chart of response times.",
        b"The team at the stand.",
    ]
    assert multipart(uploads[0])["file"] == PNG
    assert b'filename="chart.png"' in bytes(uploads[0].body or b"")
    (status,) = server.statuses.values()
    assert [m["description"] for m in status["media_attachments"]] == [
        "A chart of response times.",
        "The team at the stand.",
    ]
    (sent,) = server.requests("POST", f"{BASE}/api/v1/statuses")
    assert form(sent)["media_ids[]"] == ["22348641", "22348642"]


def test_an_image_still_processing_is_waited_for_before_posting(
    server: FakeMastodon, connector: MastodonConnector
) -> None:
    # 202 on upload; then 206 with the documented empty body, 206 with JSON, and 200.
    server.serve_media((202, None), (206, ""), (206, "processing"), (200, None))

    connector.publish(outgoing("A video", media=(Media(PNG, "image/png", "A still."),)))

    order = [(c.request.method, urlsplit(c.request.url).path) for c in server.mock.calls]
    assert order[-5:] == [
        ("POST", "/api/v2/media"),
        ("GET", "/api/v1/media/22348641"),
        ("GET", "/api/v1/media/22348641"),
        ("GET", "/api/v1/media/22348641"),
        ("POST", "/api/v1/statuses"),
    ]
    (status,) = server.statuses.values()
    assert status["media_attachments"][0]["id"] == "22348641"


def test_an_image_processing_for_too_long_is_a_transient_failure(server: FakeMastodon) -> None:
    server.serve_media((202, None), (206, "processing"), (206, "processing"))
    connector = MastodonConnector(BASE, TOKEN, media_wait=0, media_poll_interval=0)
    with pytest.raises(NetworkError, match="still processing"):
        connector.publish(outgoing("A video", media=(Media(PNG, "image/png", "A still."),)))
    assert server.statuses == {}


def test_a_reply_and_a_thread_chain_each_part_to_the_one_before(
    server: FakeMastodon, connector: MastodonConnector
) -> None:
    server.serve_media((200, None))
    original = PublishedRef(id="109000000000000001", url=f"{BASE}/@bob/109000000000000001")
    server.statuses[original.id] = dict(recording("status.json"), id=original.id)
    seen: list[int] = []

    refs = connector.publish(
        outgoing(
            "1/3 We hear you.",
            "2/3 Here is what changes.",
            "3/3 Thank you.",
            reply_to=original,
            content_warning="long thread",
            media=(Media(PNG, "image/png", "The new form."),),
        ),
        on_part=lambda index, ref: seen.append(index),
    )

    assert seen == [0, 1, 2]
    statuses = [server.statuses[ref.id] for ref in refs]
    assert [s["in_reply_to_id"] for s in statuses] == [original.id, refs[0].id, refs[1].id]
    assert [len(s["media_attachments"]) for s in statuses] == [1, 0, 0]
    assert [s["spoiler_text"] for s in statuses] == ["long thread"] * 3
    keys = [
        r.headers["Idempotency-Key"] for r in server.requests("POST", f"{BASE}/api/v1/statuses")
    ]
    assert keys == [idempotency_key("pub-1", index) for index in range(3)]


def test_a_thread_resumes_after_the_parts_already_out(
    server: FakeMastodon, connector: MastodonConnector
) -> None:
    first = connector.publish(outgoing("1/3 We hear you."))
    server.serve_media((200, None))

    refs = connector.publish(
        outgoing(
            "1/3 We hear you.",
            "2/3 Here is what changes.",
            "3/3 Thank you.",
            media=(Media(PNG, "image/png", "Only ever on the first part."),),
        ),
        done=first,
    )

    assert refs[0] == first[0]
    assert len(server.statuses) == 3
    assert server.statuses[refs[1].id]["in_reply_to_id"] == first[0].id
    assert server.statuses[refs[2].id]["in_reply_to_id"] == refs[1].id
    assert server.requests("POST", f"{BASE}/api/v2/media") == []  # part 1 carried the media


def test_a_part_whose_answer_was_lost_is_not_posted_twice(
    server: FakeMastodon, connector: MastodonConnector
) -> None:
    server.lose_answer_to = {1}
    recorded: list[PublishedRef] = []
    thread = outgoing("1/2 first", "2/2 second")

    with pytest.raises(NetworkError, match="did not answer in time"):
        connector.publish(thread, on_part=lambda index, ref: recorded.append(ref))
    assert len(recorded) == 1
    assert len(server.statuses) == 2  # the second part did go out

    refs = connector.publish(thread, done=recorded)

    assert len(server.statuses) == 2  # the retry got the same status back
    posted = server.requests("POST", f"{BASE}/api/v1/statuses")
    assert [r.headers["Idempotency-Key"] for r in posted[1:]] == [idempotency_key("pub-1", 1)] * 2
    assert server.statuses[refs[1].id]["in_reply_to_id"] == refs[0].id


def test_a_quote_becomes_a_link_only_where_it_fits(
    server: FakeMastodon, connector: MastodonConnector
) -> None:
    quoted = PublishedRef(id="at://did:plc:x/app.bsky.feed.post/3k", url="https://bsky.app/p/3k")

    short = connector.texts(outgoing("Worth reading.", "More below.", quote=quoted))
    assert short == ["Worth reading.\n\nhttps://bsky.app/p/3k", "More below."]
    room = 640 - 25  # the link counts 23, the blank line 2
    assert connector.texts(outgoing("a" * room, quote=quoted))[0].endswith(quoted.url)
    assert connector.texts(outgoing("a" * (room + 1), quote=quoted)) == ["a" * (room + 1)]
    already = f"See {quoted.url}"
    assert connector.texts(outgoing(already, quote=quoted)) == [already]

    connector.publish(outgoing("Worth reading.", quote=quoted))
    (status,) = server.statuses.values()
    assert status["content"] == "<p>Worth reading.\n\nhttps://bsky.app/p/3k</p>"


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"visibility": "friends"}, "no visibility 'friends'"),
        ({"media": (Media(PNG, "image/png", "x"),) * 7}, "at most 6 images"),
        ({"content_warning": "w" * 640}, "content warning counts"),
    ],
)
def test_what_the_instance_would_refuse_is_refused_before_posting(
    server: FakeMastodon, connector: MastodonConnector, fields: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ContentRejected, match=problem):
        connector.publish(outgoing("hello", **fields))
    with pytest.raises(ContentRejected, match="Part 2 of the post is empty"):
        connector.publish(outgoing("hello", "  "))
    assert server.requests("POST", f"{BASE}/api/v1/statuses") == []
    assert server.requests("POST", f"{BASE}/api/v2/media") == []


# -- after publishing -----------------------------------------------------------------------


def test_an_edit_changes_the_text_and_keeps_media_and_warning(
    server: FakeMastodon, connector: MastodonConnector
) -> None:
    server.serve_media((200, None))
    (ref,) = connector.publish(
        outgoing("Typo hre", content_warning="cw", media=(Media(PNG, "image/png", "Alt."),))
    )

    edited = connector.edit(ref, "Typo here")

    assert edited == ref
    (sent,) = server.requests("PUT", STATUS_URL)
    assert form(sent) == {
        "status": ["Typo here"],
        "spoiler_text": ["cw"],
        "sensitive": ["1"],
        "media_ids[]": ["22348641"],
    }
    status = server.statuses[ref.id]
    assert (status["content"], status["spoiler_text"]) == ("<p>Typo here</p>", "cw")
    assert len(status["media_attachments"]) == 1
    with pytest.raises(ContentRejected):
        connector.edit(ref, "x" * 700)
    with pytest.raises(ConnectorError, match="no longer exists"):
        connector.edit(PublishedRef(id="1", url=""), "text")


def test_delete_removes_and_a_status_already_gone_is_fine(
    server: FakeMastodon, connector: MastodonConnector
) -> None:
    (ref,) = connector.publish(outgoing("Oops"))
    connector.delete(ref)
    assert server.statuses == {}
    connector.delete(ref)  # 404 now: still deleted
    assert len(server.requests("DELETE", STATUS_URL)) == 2


def test_engagement_comes_from_the_status_counts(
    server: FakeMastodon, connector: MastodonConnector
) -> None:
    (ref,) = connector.publish(outgoing("Counting"))
    server.statuses[ref.id].update(favourites_count=11, reblogs_count=5, replies_count=3)
    assert connector.engagement(ref) == Engagement(likes=11, reposts=5, replies=3, quotes=0)
    server.statuses[ref.id]["quotes_count"] = 2  # Mastodon 4.5 counts quotes too
    assert connector.engagement(ref).quotes == 2
    with pytest.raises(ConnectorError, match="no longer exists"):
        connector.engagement(PublishedRef(id="1", url=""))


def test_a_reply_to_a_status_heard_elsewhere_is_resolved_to_this_instances_id(
    server: FakeMastodon, mock: responses.RequestsMock, connector: MastodonConnector
) -> None:
    heard = "https://elsewhere.example/users/carol/statuses/777"
    local = "109000000000000009"
    server.statuses[local] = dict(recording("status.json"), id=local, uri=heard)
    mock.add(
        responses.GET,
        f"{BASE}/api/v2/search",
        json={"accounts": [], "hashtags": [], "statuses": [server.statuses[local]]},
    )

    refs = connector.publish(outgoing("We are on it.", reply_to=PublishedRef(id=heard, url=heard)))

    assert server.statuses[refs[0].id]["in_reply_to_id"] == local
    (search,) = server.requests("GET", f"{BASE}/api/v2/search")
    assert "resolve=1" in (search.url or "") or "resolve=true" in (search.url or "").lower()


def test_a_reply_to_a_status_the_instance_cannot_find_is_refused_before_posting(
    server: FakeMastodon, mock: responses.RequestsMock, connector: MastodonConnector
) -> None:
    mock.add(
        responses.GET,
        f"{BASE}/api/v2/search",
        json={"accounts": [], "hashtags": [], "statuses": []},
    )
    gone = "https://elsewhere.example/users/carol/statuses/404"
    with pytest.raises(ContentRejected, match="cannot find the post this replies to"):
        connector.publish(outgoing("Hello", reply_to=PublishedRef(id=gone, url=gone)))
    assert server.statuses == {}
