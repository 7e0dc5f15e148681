"""Calling the REST API in tests: a token per person, one request, the error shape, query counts."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cluetrain.api.services import do_create_token
from cluetrain.organizations.models import Organization, Person


def token(person: Person, organization: Organization, **scope: Any) -> str:
    return do_create_token(person, organization, "tests", **scope)[1]


def call(method: str, path: str, secret: str | None = None, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    client = Client()
    if method == "get":
        return client.get(path, body or {}, headers=headers)
    data = json.dumps(body if body is not None else {})
    return getattr(client, method)(path, data, content_type="application/json", headers=headers)


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    if code is not None:
        assert error["code"] == code, error
    assert error["message"]
    return dict(error)


def same_queries_for_few_and_many(
    path: str, secret: str, add_rows: Callable[[int], None], *, few: int = 2, many: int = 20
) -> tuple[int, int]:
    """Query counts of one list request with ``few`` rows and with ``many``."""
    counts = []
    for wanted in (few, many - few):
        add_rows(wanted)
        call("get", path, secret)  # warm per-process caches
        with CaptureQueriesContext(connection) as captured:
            response = call("get", path, secret)
        assert response.status_code == 200, response.content
        counts.append(len(captured))
    return counts[0], counts[1]


def queries_of(method: str, path: str, secret: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = call(method, path, secret)
    assert response.status_code == 200, response.content
    return len(captured)
