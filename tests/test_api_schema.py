"""schemathesis against the API's own OpenAPI document, in-process: every operation, called
with generated input by a director of an organisation like the demo's, answers without a
server error and with a body its document describes.

Deterministic (derandomized, no example database) and small (a few examples per operation),
so it runs in the suite on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from ninja.responses import NinjaJSONEncoder
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from cluetrain.api.main import api
from cluetrain.api.services import do_create_token
from cluetrain.inbox import services as inbox
from tests.conftest import Cast
from tests.support.inbox_ui import make_conversation
from tests.test_api_reviews import in_review

EXAMPLES = 12
# Operations that reach the network or the outside world are still called: the demo's voices
# are practice voices, and webhooks refuse private addresses.


def the_document() -> dict[str, Any]:
    document = api.get_openapi_schema(path_prefix="/api/")
    return json.loads(json.dumps(document, cls=NinjaJSONEncoder))  # type: ignore[no-any-return]


@pytest.fixture
def director_secret(cast: Cast, settings: Any, tmp_path: Any) -> str:
    """A director's token in an organisation with something in each list: conversations with
    notes and tags, a review waiting, a post, a correction."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ALLOWED_HOSTS = ["*"]
    # Generated requests come fast; the rate limits have their own tests.
    settings.API_RATE = "100000/min"
    settings.API_ANON_RATE = "100000/min"
    for n in range(3):
        conversation = make_conversation(cast.acme, f"Where is my refund? ({n})")
        inbox.do_tag(cast.member, conversation, "refund")
        inbox.do_add_note(cast.member, conversation, "Asking finance")
    in_review(cast, cast.member)
    return do_create_token(cast.director, cast.acme, "schemathesis")[1]


def _exercise(operation: Any, headers: dict[str, str], failures: list[str]) -> Any:
    """A hypothesis test of one operation; its first failure is added to ``failures``."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        # A failure is reported as found: shrinking it would cost more than it tells.
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def exercise(case: Any) -> None:
        response = case.call(headers=headers)
        try:
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance]
            )
        except Exception as exc:
            failures.append(f"{operation.label}: {exc!s:.600}")
            raise

    return exercise


@pytest.fixture
def connection_kept() -> Iterator[None]:
    """Django closes the database connection after each request; in a test that would close
    the test's transaction too (Django's own test client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_every_operation_answers_without_server_errors_and_as_documented(
    director_secret: str, connection_kept: None
) -> None:
    schema = schemathesis.openapi.from_dict(the_document())
    schema.app = WSGIHandler()
    headers = {"Authorization": f"Bearer {director_secret}"}
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30

    for operation in operations:
        exercise = _exercise(operation, headers, failures)
        # Each operation's first failure is kept; the others still run.
        try:
            exercise()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # schemathesis raises its findings as an exception group
            failures.append(f"{operation.label}: {exc!r:.600}")
    assert not failures, "\n\n".join(failures)
