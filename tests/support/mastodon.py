"""Recorded Mastodon answers and the fixtures that serve them, for the Mastodon tests.

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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import mastodon.internals
import pytest
import requests
import responses
from requests import PreparedRequest

from cluetrain.networks import (
    Outgoing,
)
from cluetrain.networks.mastodon import MastodonConnector

RECORDINGS = Path(__file__).parent.parent / "recordings" / "mastodon"
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


@pytest.fixture
def mastodon_py_never_sleeps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Mastodon.py must leave waiting to the caller (rate limits are raised, not slept on)."""
    monkeypatch.setattr(mastodon.internals, "time", _NoSleep)
