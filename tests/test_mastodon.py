"""The Mastodon connector and its OAuth steps, against recorded Mastodon answers.

No Mastodon server can run here (it needs Ruby, PostgreSQL, Redis and Sidekiq), so the answers
are recordings in tests/recordings/mastodon/: the entities exactly as Mastodon's API
documentation shows them (Instance v2, V1::Instance, CredentialAccount, Status,
MediaAttachment, CredentialApplication, Token, Error), with values adapted to a test instance
whose API is at mastodon.example and whose handles end in @example.org. They are served with
the ``responses`` library underneath Mastodon.py's own ``requests`` session, so every request
goes through Mastodon.py exactly as it would against a real instance. ``FakeMastodon`` keeps the
statuses made so that replies, edits and Mastodon's Idempotency-Key rule can be checked.
"""

from __future__ import annotations

import copy
import email
import itertools
import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import mastodon.internals
import pytest
import requests
import responses
from requests import PreparedRequest

from cluetrain.networks import (
    Account,
    Connector,
    ConnectorError,
    ContentRejected,
    CredentialsRejected,
    Engagement,
    Media,
    NetworkError,
    Outgoing,
    PublishedRef,
)
from cluetrain.networks.mastodon import MastodonConnector, count_length, idempotency_key
from cluetrain.networks.mastodon.oauth import (
    RegisteredApp,
    authorize_url,
    exchange_code,
    register_app,
)
from cluetrain.networks.registry import Context, build

RECORDINGS = Path(__file__).parent / "recordings" / "mastodon"
BASE = "https://mastodon.example"
TOKEN = "ZA-Yj3aBD8U8Cm7lKUp-lm9O9BmDgdhHzDeqsY8tlL0"
REDIRECT = "https://cluetrain.example/voices/mastodon/callback"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
STATUS_URL = re.compile(re.escape(BASE) + r"/api/v1/statuses/(\d+)$")
MEDIA_URL = re.compile(re.escape(BASE) + r"/api/v1/media/(\d+)$")


def recording(name: str) -> Any:
    return json.loads((RECORDINGS / name).read_text())


def form(request: PreparedRequest) -> dict[str, list[str]]:
    """The form fields of a urlencoded request body."""
    body = request.body or ""
    return parse_qs(body.decode() if isinstance(body, bytes) else body, keep_blank_values=True)


def multipart(request: PreparedRequest) -> dict[str, bytes]:
    """The parts of a multipart/form-data body, by field name."""
    head = f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode()
    body = request.body if isinstance(request.body, bytes) else str(request.body).encode()
    message = email.message_from_bytes(head + body)
    return {
        part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
        for part in message.get_payload()
    }


def outgoing(*parts: str, **fields: Any) -> Outgoing:
    return Outgoing(
        parts=parts, key=fields.pop("key", "pub-1"), created_at=datetime.now(UTC), **fields
    )


class FakeMastodon:
    """The recorded answers, served the way a Mastodon instance would serve them."""

    def __init__(self, mock: responses.RequestsMock) -> None:
        self.mock = mock
        self.statuses: dict[str, dict[str, Any]] = {}
        self.by_key: dict[str, str] = {}
        self.media: dict[str, dict[str, Any]] = {}
        self.ids = itertools.count(112345678901234567)
        self.lose_answer_to: set[int] = set()  # indexes of POSTs made but answered with a timeout
        self.posts = 0
        mock.add(responses.GET, f"{BASE}/api/v2/instance/", json=recording("instance_v2.json"))
        mock.add(
            responses.GET,
            f"{BASE}/api/v1/accounts/verify_credentials",
            json=recording("account.json"),
        )
        mock.add_callback(responses.POST, f"{BASE}/api/v1/statuses", callback=self._post)
        mock.add_callback(responses.GET, STATUS_URL, callback=self._get)
        mock.add_callback(responses.PUT, STATUS_URL, callback=self._put)
        mock.add_callback(responses.DELETE, STATUS_URL, callback=self._delete)

    def requests(self, method: str, url: str | re.Pattern[str]) -> list[PreparedRequest]:
        def matches(call_url: str) -> bool:
            path = call_url.split("?")[0]
            return bool(url.match(path)) if isinstance(url, re.Pattern) else path == url

        return [
            call.request
            for call in self.mock.calls
            if call.request.method == method and matches(call.request.url or "")
        ]

    def _post(self, request: PreparedRequest) -> Any:
        key = request.headers.get("Idempotency-Key")
        index, self.posts = self.posts, self.posts + 1
        if key and key in self.by_key:
            # Mastodon answers a repeated Idempotency-Key with the status it already made.
            return 200, {}, json.dumps(self.statuses[self.by_key[key]])
        fields = form(request)
        status = recording("status.json")
        status_id = str(next(self.ids))
        status.update(
            id=status_id,
            uri=f"{BASE}/users/alice/statuses/{status_id}",
            url=f"{BASE}/@alice/{status_id}",
            content=f"<p>{fields['status'][0]}</p>",
            in_reply_to_id=fields.get("in_reply_to_id", [None])[0],
            spoiler_text=fields.get("spoiler_text", [""])[0],
            visibility=fields.get("visibility", ["public"])[0],
            language=fields.get("language", [None])[0],
            sensitive=bool(fields.get("spoiler_text", [""])[0]),
            media_attachments=[self.media[m] for m in fields.get("media_ids[]", [])],
            replies_count=0,
            reblogs_count=0,
            favourites_count=0,
        )
        self.statuses[status_id] = status
        if key:
            self.by_key[key] = status_id
        if index in self.lose_answer_to:
            return requests.exceptions.ReadTimeout("the answer was lost on the way back")
        return 200, {}, json.dumps(status)

    def _found(self, request: PreparedRequest) -> dict[str, Any] | None:
        match = STATUS_URL.match((request.url or "").split("?")[0])
        return self.statuses.get(match.group(1)) if match else None

    def _get(self, request: PreparedRequest) -> Any:
        status = self._found(request)
        if status is None:
            return 404, {}, json.dumps(recording("error_404.json"))
        return 200, {}, json.dumps(status)

    def _put(self, request: PreparedRequest) -> Any:
        status = self._found(request)
        if status is None:
            return 404, {}, json.dumps(recording("error_404.json"))
        fields = form(request)
        status.update(
            content=f"<p>{fields['status'][0]}</p>",
            spoiler_text=fields.get("spoiler_text", [""])[0],
            media_attachments=[self.media[m] for m in fields.get("media_ids[]", [])],
            edited_at="2024-05-02T10:00:00.000Z",
        )
        return 200, {}, json.dumps(status)

    def _delete(self, request: PreparedRequest) -> Any:
        status = self._found(request)
        if status is None:
            return 404, {}, json.dumps(recording("error_404.json"))
        del self.statuses[status["id"]]
        return 200, {}, json.dumps(dict(status, text="deleted"))

    def serve_media(self, *answers: tuple[int, str | None]) -> None:
        """Answer uploads with the image recording, then GET /media/:id with ``answers``."""
        image = recording("media_attachment.json")
        first_status = answers[0][0] if answers else 200
        uploads = itertools.count(22348641)

        def upload(request: PreparedRequest) -> Any:
            fields = multipart(request)
            media = dict(
                copy.deepcopy(image),
                id=str(next(uploads)),
                description=fields["description"].decode(),
            )
            self.media[media["id"]] = media
            if first_status == 202:
                return 202, {}, json.dumps(dict(media, url=None))
            return 200, {}, json.dumps(media)

        later = list(answers[1:])

        def look(request: PreparedRequest) -> Any:
            media = self.media[(request.url or "").rsplit("/", 1)[-1]]
            status, body = later.pop(0)
            if body == "processing":
                return status, {}, json.dumps(dict(media, url=None))
            return status, {}, json.dumps(media) if body is None else body

        self.mock.add_callback(responses.POST, f"{BASE}/api/v2/media", callback=upload)
        self.mock.add_callback(responses.GET, MEDIA_URL, callback=look)


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def server(mock: responses.RequestsMock) -> FakeMastodon:
    return FakeMastodon(mock)


@pytest.fixture
def connector() -> MastodonConnector:
    return MastodonConnector(BASE, TOKEN, timeout=7, media_poll_interval=0)


class _NoSleep:
    """Mastodon.py's view of the time module, with sleeping forbidden."""

    time = staticmethod(time.time)

    @staticmethod
    def sleep(seconds: float) -> None:
        raise AssertionError(f"Mastodon.py tried to sleep {seconds} seconds")


@pytest.fixture(autouse=True)
def mastodon_py_never_sleeps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Mastodon.py must leave waiting to the caller (rate limits are raised, not slept on)."""
    monkeypatch.setattr(mastodon.internals, "time", _NoSleep)


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


def test_the_app_is_registered_for_reading_and_writing(mock: responses.RequestsMock) -> None:
    mock.add(responses.POST, f"{BASE}/api/v1/apps", json=recording("application.json"))

    app = register_app("Mastodon.Example/", REDIRECT, website="https://cluetrain.example")

    assert app == RegisteredApp(
        api_base_url=BASE,
        client_id="TWhM-tNSuncnqN7DBJmoyeLnk6K3iJJ71KKXxgL1hPM",
        client_secret="ZEaFUFmF0umgBX1qKJDjaU99Q31lDkOU8NutzTOoliw",
    )
    sent = form(mock.calls[0].request)
    assert sent == {
        "client_name": ["Cluetrain"],
        "scopes": ["read write"],
        "redirect_uris": [REDIRECT],
        "website": ["https://cluetrain.example"],
    }


def test_a_refused_registration_says_why(mock: responses.RequestsMock) -> None:
    mock.add(
        responses.POST, f"{BASE}/api/v1/apps", status=422, json=recording("error_422_app.json")
    )
    with pytest.raises(ContentRejected, match="Redirect URI must be an absolute URI"):
        register_app(BASE, "not a uri")


def test_registration_on_an_unreachable_or_odd_server(mock: responses.RequestsMock) -> None:
    mock.add(responses.POST, f"{BASE}/api/v1/apps", body=requests.ConnectionError("refused"))
    with pytest.raises(NetworkError):
        register_app(BASE, REDIRECT)
    mock.replace(
        responses.POST,
        f"{BASE}/api/v1/apps",
        body=(RECORDINGS / "maintenance.html").read_text(),
        content_type="text/html",
    )
    with pytest.raises(ConnectorError, match="not Mastodon API data") as caught:
        register_app(BASE, REDIRECT)
    assert type(caught.value) is ConnectorError
    with pytest.raises(ConnectorError, match="address of a Mastodon server"):
        register_app("https://mastodon.example/some/path", REDIRECT)


def test_the_authorize_url_carries_client_scopes_redirect_and_state(
    mock: responses.RequestsMock,
) -> None:
    app = RegisteredApp(BASE, "client-id-1", "secret-1")

    url = authorize_url(app, REDIRECT, state="s7a7e")

    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "mastodon.example",
        "/oauth/authorize",
    )
    assert parse_qs(parts.query) == {
        "client_id": ["client-id-1"],
        "response_type": ["code"],
        "redirect_uri": [REDIRECT],
        "scope": ["read write"],
        "force_login": ["True"],
        "state": ["s7a7e"],
    }
    assert len(mock.calls) == 0  # a pure function: no request at all
    with pytest.raises(ConnectorError, match="state"):
        authorize_url(app, REDIRECT, state="")


def test_the_code_becomes_a_credential_with_the_instance_limits(server: FakeMastodon) -> None:
    mock = server.mock
    mock.add(
        responses.GET,
        f"{BASE}/.well-known/oauth-authorization-server",
        json=recording("oauth_authorization_server.json"),
    )
    mock.add(responses.POST, f"{BASE}/oauth/token", json=recording("token.json"))
    app = RegisteredApp(BASE, "client-id-1", "secret-1")

    credential = exchange_code(app, REDIRECT, "the-code")

    assert credential == {
        "api_base_url": BASE,
        "access_token": TOKEN,
        "client_id": "client-id-1",
        "client_secret": "secret-1",
        "max_characters": 640,
        "max_media": 6,
    }
    sent = form(server.requests("POST", f"{BASE}/oauth/token")[0])
    expected = {
        "code": ["the-code"],
        "redirect_uri": [REDIRECT],
        "grant_type": ["authorization_code"],
        "client_id": ["client-id-1"],
        "client_secret": ["secret-1"],
        "scope": ["read write"],
    }
    # (Mastodon.py also sends its copy of the public discovery document, which Mastodon ignores.)
    assert {name: sent.get(name) for name in expected} == expected
    # The new credential is what the registry builds a working connector from.
    connected = build("mastodon", credential, Context(timeout=5))
    assert connected.verify().handle == "@alice@example.org"
    checked = server.requests("GET", f"{BASE}/api/v1/accounts/verify_credentials")[-1]
    call = next(c for c in mock.calls if c.request is checked)
    assert call.request.req_kwargs["timeout"] == 5  # the context's timeout, not Mastodon.py's


def test_a_used_or_expired_code_is_refused_for_good(mock: responses.RequestsMock) -> None:
    mock.add(responses.GET, f"{BASE}/.well-known/oauth-authorization-server", status=404)
    mock.add(
        responses.POST,
        f"{BASE}/oauth/token",
        status=400,
        json=recording("error_invalid_grant.json"),
    )
    with pytest.raises(CredentialsRejected, match="invalid_grant"):
        exchange_code(RegisteredApp(BASE, "client-id-1", "secret-1"), REDIRECT, "old-code")


def test_a_token_without_write_permission_is_refused(mock: responses.RequestsMock) -> None:
    mock.add(responses.GET, f"{BASE}/.well-known/oauth-authorization-server", status=404)
    mock.add(
        responses.POST, f"{BASE}/oauth/token", json=dict(recording("token.json"), scope="read")
    )
    with pytest.raises(CredentialsRejected, match="read and write"):
        exchange_code(RegisteredApp(BASE, "client-id-1", "secret-1"), REDIRECT, "the-code")


# -- the account ----------------------------------------------------------------------------


def test_verify_names_the_account_by_its_handle_domain(
    server: FakeMastodon, connector: MastodonConnector
) -> None:
    assert isinstance(connector, Connector)
    assert connector.verify() == Account(
        id="109348214906548270", handle="@alice@example.org", display_name="Alice at Acme"
    )
    sent = server.requests("GET", f"{BASE}/api/v1/accounts/verify_credentials")[0]
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"


def test_the_registry_builds_it_from_a_stored_credential(tmp_path: Path) -> None:
    connector = build("mastodon", {"api_base_url": BASE, "access_token": TOKEN}, Context())
    assert isinstance(connector, MastodonConnector)
    assert connector.host == "mastodon.example"
    with pytest.raises(CredentialsRejected):
        build("mastodon", {"api_base_url": BASE}, Context())
    with pytest.raises(CredentialsRejected):
        build("mastodon", {"access_token": TOKEN}, Context())
    # Mastodon.py would read a token that names a file from that file: refused instead.
    secret = tmp_path / "secret"
    secret.write_text("not for the network\n")
    with pytest.raises(CredentialsRejected):
        build("mastodon", {"api_base_url": BASE, "access_token": str(secret)}, Context())


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


# -- errors ---------------------------------------------------------------------------------


def failing_publish(mock: responses.RequestsMock, **answer: Any) -> ConnectorError:
    """The error ``publish`` raises when POST /api/v1/statuses gets ``answer``."""
    mock.add(responses.GET, f"{BASE}/api/v2/instance/", json=recording("instance_v2.json"))
    mock.add(responses.POST, f"{BASE}/api/v1/statuses", **answer)
    with pytest.raises(ConnectorError) as caught:
        MastodonConnector(BASE, TOKEN, timeout=3).publish(outgoing("hello"))
    assert len([c for c in mock.calls if c.request.method == "POST"]) == 1  # never retried
    return caught.value


@pytest.mark.parametrize(
    "failure",
    [
        requests.exceptions.ConnectionError("Connection refused"),
        requests.exceptions.ConnectTimeout("connect timed out"),
        requests.exceptions.ReadTimeout("read timed out"),
    ],
)
def test_an_unreachable_or_silent_instance_is_a_transient_error(
    mock: responses.RequestsMock, failure: Exception
) -> None:
    error = failing_publish(mock, body=failure)
    assert type(error) is NetworkError
    assert "mastodon.example" in str(error)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, json.dumps({"error": "Error processing thumbnail for uploaded media"})),
        (502, "<html><body><h1>502 Bad Gateway</h1></body></html>"),
        (503, json.dumps({"error": "Remote data could not be fetched"})),
        (504, ""),
    ],
)
def test_a_failing_instance_is_a_transient_error(
    mock: responses.RequestsMock, status: int, body: str
) -> None:
    error = failing_publish(mock, status=status, body=body)
    assert type(error) is NetworkError
    assert f"HTTP {status}" in str(error)
    assert error.retry_after is None


def test_a_rate_limit_says_when_to_come_back_from_retry_after(
    mock: responses.RequestsMock,
) -> None:
    error = failing_publish(
        mock, status=429, json=recording("error_429.json"), headers={"Retry-After": "30"}
    )
    assert isinstance(error, NetworkError)
    assert error.retry_after == 30


def test_a_rate_limit_says_when_to_come_back_from_its_reset_time(
    mock: responses.RequestsMock,
) -> None:
    # The server's clock is an hour off ours: the wait is measured on the server's clock.
    server_now = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    reset = server_now + timedelta(seconds=120)
    error = failing_publish(
        mock,
        status=429,
        json=recording("error_429.json"),
        headers={
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "Date": format_datetime(server_now, usegmt=True),
        },
    )
    assert isinstance(error, NetworkError)
    assert error.retry_after == pytest.approx(120, abs=1)


def test_a_revoked_token_is_refused_for_good(mock: responses.RequestsMock) -> None:
    error = failing_publish(mock, status=401, json=recording("error_401.json"))
    assert type(error) is CredentialsRejected
    assert "The access token is invalid" in str(error)


def test_a_disabled_account_is_refused_for_good(mock: responses.RequestsMock) -> None:
    error = failing_publish(mock, status=403, json={"error": "Your login is currently disabled"})
    assert type(error) is CredentialsRejected


def test_refused_content_says_what_the_instance_said(mock: responses.RequestsMock) -> None:
    error = failing_publish(mock, status=422, json=recording("error_422_status.json"))
    assert type(error) is ContentRejected
    assert "Text character limit of 640 exceeded" in str(error)


def test_a_reply_to_a_vanished_status_is_refused(mock: responses.RequestsMock) -> None:
    error = failing_publish(mock, status=404, json=recording("error_404.json"))
    assert type(error) is ContentRejected
    assert "replies to no longer exists" in str(error)


def test_a_web_page_instead_of_json_is_a_plain_error(mock: responses.RequestsMock) -> None:
    error = failing_publish(
        mock,
        status=200,
        body=(RECORDINGS / "maintenance.html").read_text(),
        content_type="text/html; charset=utf-8",
    )
    assert type(error) is ConnectorError
    assert "not Mastodon API data (HTTP 200, text/html)" in str(error)
    assert "<html" not in str(error)


def test_errors_on_reading_are_mapped_the_same_way(mock: responses.RequestsMock) -> None:
    mock.add(responses.GET, f"{BASE}/api/v2/instance/", body="<html>maintenance</html>")
    mock.add(
        responses.GET,
        f"{BASE}/api/v1/accounts/verify_credentials",
        status=401,
        json=recording("error_401.json"),
    )
    connector = MastodonConnector(BASE, TOKEN)
    with pytest.raises(CredentialsRejected):
        connector.verify()
    with pytest.raises(ConnectorError, match="not Mastodon API data"):
        _ = connector.max_length
