"""The webhook connector, against a real HTTP server on loopback (pytest-httpserver)."""

from __future__ import annotations

import json
import socket
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cluetrain import __version__
from cluetrain.networks import (
    Connector,
    ConnectorError,
    ContentRejected,
    CredentialsRejected,
    LinkCard,
    Media,
    NetworkError,
    NotSupported,
    Outgoing,
    PublishedRef,
)
from cluetrain.networks.registry import Context, build
from cluetrain.networks.webhook import WebhookConnector, sign, verify_signature

SECRET = "s3cret-webhook-key"
CREATED = datetime(2025, 5, 1, 12, 30, tzinfo=UTC)


def outgoing(*parts: str, **fields: Any) -> Outgoing:
    return Outgoing(parts=parts or ("Hello",), key="pub-123", created_at=CREATED, **fields)


@pytest.fixture(autouse=True)
def _loopback_allowed(settings: Any) -> None:
    # The receiver listens on loopback, which every delivery refuses unless allowed.
    settings.ALLOW_PRIVATE_URLS = True


@pytest.fixture
def hook(httpserver: HTTPServer) -> WebhookConnector:
    connector = build(
        "webhook",
        {"url": httpserver.url_for("/hook?channel=care"), "secret": SECRET},
        Context(timeout=2),
    )
    assert isinstance(connector, WebhookConnector)
    return connector


def answer(httpserver: HTTPServer, *args: Any, **kwargs: Any) -> None:
    httpserver.expect_request("/hook", method="POST").respond_with_data(*args, **kwargs)


def received(httpserver: HTTPServer, index: int = -1) -> tuple[Request, bytes, dict[str, Any]]:
    request = httpserver.log[index][0]
    raw = request.get_data()
    return request, raw, json.loads(raw)


def is_signed(request: Request, raw: bytes, secret: str = SECRET) -> bool:
    return verify_signature(
        secret,
        request.headers["X-Cluetrain-Timestamp"],
        raw,
        request.headers["X-Cluetrain-Signature"],
    )


# -- what goes out ---------------------------------------------------------------------------


def test_a_publication_is_one_signed_post_carrying_every_part(
    httpserver: HTTPServer, hook: WebhookConnector
) -> None:
    answer(httpserver, "ok")
    seen: list[tuple[int, PublishedRef, int]] = []
    refs = hook.publish(
        outgoing(
            "First part",
            "Second part",
            media=(Media(b"png", "image/png", "A cat on a desk", url="https://acme.test/m/1.png"),),
            link=LinkCard("https://acme.test/news", "News", "All the news"),
            title="Launch",
            extra={"department": "care"},
        ),
        on_part=lambda index, ref: seen.append((index, ref, len(httpserver.log))),
    )

    assert len(httpserver.log) == 1
    request, raw, body = received(httpserver)
    assert body == {
        "event": "post.published",
        "id": "pub-123",
        "created_at": "2025-05-01T12:30:00+00:00",
        "parts": ["First part", "Second part"],
        "text": "First part\n\nSecond part",
        "media": [
            {
                "url": "https://acme.test/m/1.png",
                "alt_text": "A cat on a desk",
                "content_type": "image/png",
            }
        ],
        "title": "Launch",
        "link": {"url": "https://acme.test/news", "title": "News", "description": "All the news"},
        "extra": {"department": "care"},
    }
    assert request.args["channel"] == "care"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == f"Cluetrain/{__version__}"
    assert request.headers["X-Cluetrain-Delivery"] == "pub-123"
    assert request.headers["X-Cluetrain-Event"] == "post.published"
    assert abs(int(request.headers["X-Cluetrain-Timestamp"]) - time.time()) < 60
    assert is_signed(request, raw)
    assert refs == [
        PublishedRef(id="webhook:pub-123:0", url=""),
        PublishedRef(id="webhook:pub-123:1", url=""),
    ]
    # Each part is reported once the single POST has succeeded.
    assert seen == [(0, refs[0], 1), (1, refs[1], 1)]


def test_the_signature_fails_with_another_secret_an_altered_body_or_a_stale_time(
    httpserver: HTTPServer, hook: WebhookConnector
) -> None:
    answer(httpserver, "ok")
    hook.publish(outgoing("Pay attention"))
    request, raw, _ = received(httpserver)
    timestamp = request.headers["X-Cluetrain-Timestamp"]
    header = request.headers["X-Cluetrain-Signature"]

    assert header.startswith("sha256=")
    assert verify_signature(SECRET, timestamp, raw, header)
    assert not verify_signature("another secret", timestamp, raw, header)
    assert not verify_signature(SECRET, timestamp, raw.replace(b"attention", b"Attention"), header)
    assert not verify_signature(SECRET, str(int(timestamp) + 1), raw, header)
    assert not verify_signature(SECRET, timestamp, raw, header, now=int(timestamp) + 301)
    assert verify_signature(SECRET, timestamp, raw, header, now=int(timestamp) + 299)
    assert not verify_signature(SECRET, "not a time", raw, header)
    assert not verify_signature(SECRET, timestamp, raw, header.removeprefix("sha256="))
    assert not verify_signature(SECRET, timestamp, raw, "sha256=ünïcode")


def test_the_documented_receiver_recipe_agrees_with_the_signature() -> None:
    import hashlib
    import hmac

    body, timestamp = b'{"event":"ping"}', "1700000000"
    mac = hmac.new(SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    assert sign(SECRET, timestamp, body) == "sha256=" + mac.hexdigest()


def test_hostile_unicode_arrives_unchanged(httpserver: HTTPServer, hook: WebhookConnector) -> None:
    answer(httpserver, "ok")
    text = (
        "\u202eevil\u202c שלום \u200fعربي\u200e 👩\u200d👩\u200d👧 🇳🇱 e\u0301 \u2066x\u2069 "
        '\u200b"quotes" \\backslash\\ </script> \ufeff \U0001d518\U0001d52b'
    )
    hook.publish(outgoing(text, "🔥" * 100))
    request, raw, body = received(httpserver)
    assert body["parts"] == [text, "🔥" * 100]
    assert body["text"] == f"{text}\n\n{'🔥' * 100}"
    # Sent as UTF-8, not as \\u escapes.
    assert "שלום \u200fعربي\u200e 👩\u200d👩\u200d👧 🇳🇱 e\u0301".encode() in raw
    assert is_signed(request, raw)


def test_the_slack_format_sends_only_the_text(httpserver: HTTPServer) -> None:
    answer(httpserver, "ok")
    slack = build("webhook", {"url": httpserver.url_for("/hook"), "format": "slack"})
    refs = slack.publish(outgoing("One", "Two"))

    _, _, body = received(httpserver)
    assert body == {"text": "One\n\nTwo"}
    assert [ref.id for ref in refs] == ["webhook:pub-123:0", "webhook:pub-123:1"]
    with pytest.raises(NotSupported):
        slack.edit(refs[0], "changed")
    with pytest.raises(NotSupported):
        slack.delete(refs[0])
    assert len(httpserver.log) == 1


def test_parts_already_out_are_not_sent_again(
    httpserver: HTTPServer, hook: WebhookConnector
) -> None:
    done = [PublishedRef(id="webhook:pub-123:0", url="")]
    assert hook.publish(outgoing("Only part"), done=done) == done
    assert httpserver.log == []


def test_edits_and_deletions_are_signed_events_naming_the_publication(
    httpserver: HTTPServer, hook: WebhookConnector
) -> None:
    answer(httpserver, "ok")
    ref = PublishedRef(id="webhook:pub:with:colons:1", url="")

    assert hook.edit(ref, "Better words") == ref
    request, raw, body = received(httpserver)
    assert body == {
        "event": "post.updated",
        "id": "pub:with:colons",
        "part": 1,
        "text": "Better words",
    }
    assert request.headers["X-Cluetrain-Event"] == "post.updated"
    assert is_signed(request, raw)

    hook.edit(ref, "Better words")
    first, second = (r.headers["X-Cluetrain-Delivery"] for r, _ in httpserver.log)
    assert first != second  # each update is applied, even one back to an earlier text

    hook.delete(ref)
    request, raw, body = received(httpserver)
    assert body == {"event": "post.deleted", "id": "pub:with:colons", "part": 1}
    assert is_signed(request, raw)

    with pytest.raises(ConnectorError, match="does not name a webhook delivery"):
        hook.delete(PublishedRef(id="feed:pub:0", url=""))


def test_deleting_what_the_receiver_no_longer_has_is_not_an_error(
    httpserver: HTTPServer, hook: WebhookConnector
) -> None:
    answer(httpserver, "gone", status=410)
    hook.delete(PublishedRef(id="webhook:pub-123:0", url=""))
    assert len(httpserver.log) == 1


def test_verify_sends_a_signed_ping(httpserver: HTTPServer, hook: WebhookConnector) -> None:
    answer(httpserver, status=204)
    account = hook.verify()
    request, raw, body = received(httpserver)
    assert body == {"event": "ping"}
    assert request.headers["X-Cluetrain-Event"] == "ping"
    assert is_signed(request, raw)
    assert account.handle == f"{httpserver.host}:{httpserver.port}"
    assert account.id.startswith("webhook:")
    assert SECRET not in account.id


def test_verify_needs_a_2xx(httpserver: HTTPServer, hook: WebhookConnector) -> None:
    answer(httpserver, "no", status=403)
    with pytest.raises(CredentialsRejected):
        hook.verify()


def test_it_meets_the_connector_interface(hook: WebhookConnector) -> None:
    assert isinstance(hook, Connector)
    assert (hook.max_length, hook.max_media) == (40_000, 10)
    assert hook.length_of("👩\u200d👩\u200d👧") == 5  # code points, as Slack counts
    with pytest.raises(NotSupported):
        hook.engagement(PublishedRef(id="webhook:pub-123:0", url=""))


# -- what comes back -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    ["<html><body><h1>Thanks!</h1></body></html>", "not json {", "", "\x00\xff binary"],
)
def test_any_2xx_answer_means_delivered(
    httpserver: HTTPServer, hook: WebhookConnector, body: str
) -> None:
    answer(httpserver, body, status=202, content_type="text/html")
    assert len(hook.publish(outgoing("Hi"))) == 1


def test_a_2xx_with_broken_compression_still_means_delivered(
    httpserver: HTTPServer, hook: WebhookConnector
) -> None:
    answer(httpserver, "not gzip at all", headers={"Content-Encoding": "gzip"})
    assert len(hook.publish(outgoing("Hi"))) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 408])
def test_server_failures_are_worth_retrying(
    httpserver: HTTPServer, hook: WebhookConnector, status: int
) -> None:
    answer(httpserver, "down", status=status)
    with pytest.raises(NetworkError, match=f"HTTP {status}") as caught:
        hook.publish(outgoing("Hi"))
    assert caught.value.retry_after is None


def test_a_rate_limit_says_how_long_to_wait_in_seconds(
    httpserver: HTTPServer, hook: WebhookConnector
) -> None:
    answer(httpserver, "slow down", status=429, headers={"Retry-After": "120"})
    with pytest.raises(NetworkError) as caught:
        hook.publish(outgoing("Hi"))
    assert caught.value.retry_after == 120


def test_a_rate_limit_says_how_long_to_wait_as_an_http_date(
    httpserver: HTTPServer, hook: WebhookConnector
) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    answer(httpserver, "slow down", status=429, headers={"Retry-After": later})
    with pytest.raises(NetworkError) as caught:
        hook.publish(outgoing("Hi"))
    assert caught.value.retry_after is not None
    assert 80 <= caught.value.retry_after <= 91


def test_an_unreadable_retry_after_is_ignored(
    httpserver: HTTPServer, hook: WebhookConnector
) -> None:
    answer(httpserver, "busy", status=503, headers={"Retry-After": "soon-ish"})
    with pytest.raises(NetworkError) as caught:
        hook.publish(outgoing("Hi"))
    assert caught.value.retry_after is None


@pytest.mark.parametrize("status", [401, 403, 404])
def test_a_refused_address_or_secret_is_a_credentials_problem(
    httpserver: HTTPServer, hook: WebhookConnector, status: int
) -> None:
    answer(httpserver, "invalid_token", status=status)
    with pytest.raises(CredentialsRejected, match=f"HTTP {status}"):
        hook.publish(outgoing("Hi"))


def test_refused_content_says_why_briefly_and_never_echoes_the_secret(
    httpserver: HTTPServer, hook: WebhookConnector
) -> None:
    answer(httpserver, f"invalid_payload: {SECRET} " + "x" * 1000, status=422)
    with pytest.raises(ContentRejected) as caught:
        hook.publish(outgoing("Hi"))
    message = str(caught.value)
    assert "HTTP 422" in message
    assert "invalid_payload" in message
    assert SECRET not in message
    said = message.split(": ", 1)[1]
    assert len(said) <= 200


def test_a_redirect_is_not_followed(httpserver: HTTPServer, hook: WebhookConnector) -> None:
    httpserver.expect_request("/hook", method="POST").respond_with_response(
        Response("moved", status=301, headers={"Location": "https://elsewhere.test/new?t=secret"})
    )
    with pytest.raises(ConnectorError, match="moved") as caught:
        hook.publish(outgoing("Hi"))
    assert type(caught.value) is ConnectorError
    assert "https://elsewhere.test" in str(caught.value)
    assert "t=secret" not in str(caught.value)
    assert len(httpserver.log) == 1


def test_a_receiver_too_slow_to_answer_is_a_network_error(httpserver: HTTPServer) -> None:
    def slow(request: Request) -> Response:
        time.sleep(0.4)
        return Response("late")

    httpserver.expect_request("/slow", method="POST").respond_with_handler(slow)
    hook = build(
        "webhook", {"url": httpserver.url_for("/slow"), "secret": SECRET}, Context(timeout=0.1)
    )
    started = time.monotonic()
    with pytest.raises(NetworkError, match="did not answer in time"):
        hook.publish(outgoing("Hi"))
    assert time.monotonic() - started < 0.35
    # The server finishes the late answer after the client gave up: wait for it here, or it is
    # logged during a later test (the test server is shared by the whole session).
    deadline = time.monotonic() + 10
    while not httpserver.log and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(httpserver.log) == 1


def test_a_receiver_that_is_not_there_is_a_network_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    hook = build("webhook", {"url": f"http://127.0.0.1:{port}/hook", "secret": SECRET})
    with pytest.raises(NetworkError, match="Could not reach"):
        hook.publish(outgoing("Hi"))


# -- refused before sending -----------------------------------------------------------------


def test_content_beyond_the_limits_is_refused_without_a_request(
    httpserver: HTTPServer, hook: WebhookConnector
) -> None:
    with pytest.raises(ContentRejected, match="40000 characters"):
        hook.publish(outgoing("x" * 40_001))
    image = Media(b"png", "image/png", "alt", url="https://acme.test/m.png")
    with pytest.raises(ContentRejected, match="at most 10 images"):
        hook.publish(outgoing("Hi", media=(image,) * 11))
    with pytest.raises(ContentRejected, match="no public address"):
        hook.publish(outgoing("Hi", media=(Media(b"png", "image/png", "alt"),)))
    assert httpserver.log == []


@pytest.mark.parametrize(
    ("credential", "problem"),
    [
        ({"url": "ftp://acme.test/hook", "secret": SECRET}, "http"),
        ({"url": "", "secret": SECRET}, "http"),
        ({"url": "https://acme.test/hook"}, "secret"),
        ({"url": "https://acme.test/hook", "secret": SECRET, "format": "xml"}, "json or slack"),
    ],
)
def test_an_unusable_credential_is_refused(credential: dict[str, str], problem: str) -> None:
    with pytest.raises(CredentialsRejected, match=problem) as caught:
        build("webhook", credential)
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize("url", ["http://127.0.0.1:{port}/hook", "http://localhost:{port}/hook"])
def test_every_delivery_refuses_a_loopback_receiver_unless_allowed(
    httpserver: HTTPServer, settings: Any, url: str
) -> None:
    answer(httpserver, "ok")
    connector = WebhookConnector(url.format(port=httpserver.port), SECRET, timeout=2)
    settings.ALLOW_PRIVATE_URLS = False
    with pytest.raises(ConnectorError) as refused:
        connector.publish(outgoing("Hello"))
    assert not isinstance(refused.value, NetworkError)  # not retried on its own
    assert "loopback address" in str(refused.value)
    with pytest.raises(ConnectorError):
        connector.verify()
    with pytest.raises(ConnectorError):
        connector.delete(PublishedRef(id="webhook:pub-123:0", url=""))
    assert httpserver.log == []
    settings.ALLOW_PRIVATE_URLS = True
    connector.publish(outgoing("Hello"))
    assert len(httpserver.log) == 1
