"""The authorisation matrix: every role of the cast against every operation of the OpenAPI
document, each answer in the class the table expects, and the outsider never shown Acme's data.

Operations are read from ``/api/openapi.json``, so an endpoint added later is called too: it
must get a row in ``EXPECTED`` (the test says which are missing). Each call runs in a savepoint
that is rolled back, so one role's declaration or deletion never changes what the next sees.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from cluetrain.api.services import do_create_token
from cluetrain.crisis.services import Declaration, do_declare_incident
from cluetrain.hooks import services as hooks
from cluetrain.inbox.models import Tag
from cluetrain.publishing.drafts import Draft
from cluetrain.publishing.scheduling import Schedule, When
from cluetrain.publishing.services import do_create_post
from tests.conftest import Cast
from tests.support.academy import make_course
from tests.support.routing import conversation, expert, message
from tests.test_api_reviews import in_review

ACME_ROLES = (
    "director",
    "admin",
    "coordinator",
    "mentor",
    "member",
    "trainee",
    "operations",
    "agency",
)
EVERYONE = frozenset(ACME_ROLES)
LEADS = frozenset({"director", "admin"})
INCIDENT_RESPONDERS = frozenset({"director", "coordinator", "operations"})
INSIGHTS = frozenset({"director", "admin", "coordinator", "mentor"})
ACADEMY_FOLLOWERS = frozenset({"director", "coordinator", "mentor"})
REVIEWERS = frozenset({"director", "coordinator", "mentor"})
MARKER = "Zanzibar"  # in every Acme object the matrix reads; never in an outsider's answer

# operationId (without the module prefix) -> (Acme roles let through, the others' answer,
# the outsider's answer). "ok" is any answer past authorisation: 2xx, or a 400 of the service
# about the request itself. The outsider acts in Globex: Acme's ids are unknown there (404),
# and what is their own organisation's (lists, declaring) is theirs to use ("ok").
EXPECTED: dict[str, tuple[frozenset[str], str, str]] = {
    "voices_list_voices": (EVERYONE, "403", "ok"),
    "posts_list_posts": (EVERYONE, "403", "ok"),
    # Through the care voice: only those on its access list (the mentor); an unknown voice id
    # in Globex is bad input there.
    "posts_create_post": (frozenset({"mentor"}), "403", "ok"),
    "posts_get_post": (EVERYONE, "404", "404"),
    # The post is the mentor's: only its author changes it; leads and reviewers may stop it.
    "posts_schedule_post": (frozenset({"mentor"}), "403", "404"),
    "posts_cancel_post": (frozenset({"director", "admin", "coordinator", "mentor"}), "403", "404"),
    "posts_retry_post": (frozenset({"mentor"}), "403", "404"),
    "guidelines_check": (EVERYONE, "403", "ok"),
    "guidelines_rules": (frozenset({"director", "coordinator"}), "403", "ok"),
    "incidents_list_incidents": (EVERYONE, "403", "ok"),
    "incidents_declare_incident": (INCIDENT_RESPONDERS, "403", "ok"),
    "incidents_get_incident": (EVERYONE, "403", "404"),
    "incidents_post_update": (INCIDENT_RESPONDERS, "403", "404"),
    "incidents_close_incident": (INCIDENT_RESPONDERS, "403", "404"),
    "academy_list_courses": (EVERYONE, "403", "ok"),
    "academy_my_progress": (EVERYONE, "403", "ok"),
    "academy_my_assignments": (EVERYONE, "403", "ok"),
    "academy_person_progress": (ACADEMY_FOLLOWERS | {"trainee"}, "403", "404"),
    "insights_organization_insights": (INSIGHTS, "403", "ok"),
    "insights_department_insights": (INSIGHTS, "403", "404"),
    "insights_voice_insights": (INSIGHTS, "403", "404"),
    "insights_person_insights": (INSIGHTS | {"trainee"}, "403", "404"),
    "hooks_list_webhooks": (LEADS, "403", "ok"),
    "hooks_create_webhook": (LEADS, "403", "ok"),
    "hooks_get_webhook": (LEADS, "403", "404"),
    "hooks_change_webhook": (LEADS, "403", "404"),
    "hooks_delete_webhook": (LEADS, "403", "404"),
    "hooks_list_deliveries": (LEADS, "403", "404"),
    "hooks_redeliver": (LEADS, "403", "404"),
    "people_list_people": (EVERYONE, "403", "ok"),
    "people_get_person": (EVERYONE, "403", "404"),
    "people_set_roles": (LEADS, "403", "404"),
    "people_invite": (LEADS | {"coordinator"}, "403", "ok"),
    # One's own availability and topics (the path names the trainee), or anyone's for those
    # who run the inbox.
    "people_set_availability": (LEADS | {"coordinator", "trainee"}, "403", "404"),
    "people_declare_topic": (LEADS | {"coordinator", "trainee"}, "403", "404"),
    "people_withdraw_topic": (LEADS | {"coordinator", "trainee"}, "403", "404"),
    # The review is of the trainee's post: reviewers decide it, never its author.
    "reviews_list_reviews": (EVERYONE, "403", "ok"),
    "reviews_get_review": (REVIEWERS | {"trainee"}, "403", "404"),
    "reviews_approve": (REVIEWERS, "403", "404"),
    "reviews_send_back": (REVIEWERS, "403", "404"),
    "reviews_comment": (REVIEWERS | {"trainee"}, "403", "404"),
    "conversations_list_conversations": (EVERYONE, "403", "ok"),
    "conversations_get_conversation": (EVERYONE, "403", "404"),
    "conversations_assign": (EVERYONE, "403", "404"),
    "conversations_set_status": (EVERYONE, "403", "404"),
    "conversations_snooze": (EVERYONE, "403", "404"),
    "conversations_unsnooze": (EVERYONE, "403", "404"),
    "conversations_tag": (EVERYONE, "403", "404"),
    "conversations_untag": (EVERYONE, "403", "404"),
    "conversations_add_note": (EVERYONE, "403", "404"),
    # Through the care voice: only those on its list, whoever runs the inbox.
    "conversations_reply": (frozenset({"mentor"}), "403", "404"),
    "triage_list_corrections": (EVERYONE, "403", "ok"),
    "triage_correct": (EVERYONE, "403", "404"),
    "triage_route": (EVERYONE, "403", "404"),
}


class _RolledBack(Exception):
    pass


def _operations() -> list[tuple[str, str, str]]:
    document = Client().get("/api/openapi.json").json()
    found = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            name = operation["operationId"].removeprefix("cluetrain_api_")
            found.append((name, method, path))
    return found


def _world(cast: Cast, settings: Any) -> dict[str, Any]:
    """One of each thing the operations name, in Acme, each carrying the marker."""
    settings.ALLOW_PRIVATE_URLS = True
    post = do_create_post(
        cast.mentor,
        cast.acme,
        Draft(text=f"{MARKER} timetable", voices=[cast.care_voice]),
        Schedule(When.DRAFT),
    )
    incident, _ = do_declare_incident(
        cast.director, cast.acme, Declaration(title=f"{MARKER} outage")
    )
    make_course(cast.coordinator, cast.acme, title=f"{MARKER} course", lessons=1, quiz=False)
    endpoint, _ = hooks.do_create_endpoint(
        cast.admin, cast.acme, "http://127.0.0.1:9/zanzibar", ["incident.declared"], MARKER
    )
    (delivery,) = hooks.record("incident.declared", cast.acme.pk, "x", lambda: {"m": MARKER})
    review = in_review(cast, cast.trainee, text=f"{MARKER} opening hours")
    talk = conversation(cast.acme, subject=f"{MARKER} refund", department=cast.care)
    heard = message(talk, text=f"{MARKER} where is my refund?")
    Tag.objects.create(organization=cast.acme, name="matrix").conversations.add(talk)
    expert(cast.acme, cast.trainee, "refunds")
    return {
        "post_id": post.pk,
        "incident_id": incident.pk,
        "person_id": cast.trainee.pk,
        "department_id": cast.care.pk,
        "voice_id": cast.care_voice.pk,
        "endpoint_id": endpoint.pk,
        "delivery_id": delivery,
        "review_id": review.pk,
        "conversation_id": talk.pk,
        "message_id": heard.pk,
        "name": "matrix",
        "topic": "refunds",
    }


def _bodies(cast: Cast) -> dict[str, Any]:
    return {
        "posts_create_post": {
            "text": "From the matrix",
            "voice_ids": [cast.care_voice.pk],
            "when": "draft",
        },
        "posts_schedule_post": {"when": "now"},
        "posts_cancel_post": {"reason": "matrix"},
        "guidelines_check": {"text": "Hello"},
        "incidents_declare_incident": {"title": "Matrix incident"},
        "incidents_post_update": {"text": "Matrix update"},
        "incidents_close_incident": {"note": "matrix"},
        "hooks_create_webhook": {"url": "http://127.0.0.1:9/new", "events": ["sla.breached"]},
        "hooks_change_webhook": {"is_active": False},
        "people_set_roles": {"roles": ["trainee"]},
        "people_invite": {"email": "new@example.com", "roles": ["member"]},
        "people_set_availability": {"capacity": 3},
        "people_declare_topic": {"topic": "timetables"},
        "reviews_send_back": {"comment": "matrix"},
        "reviews_comment": {"text": "matrix"},
        "conversations_assign": {"department_id": cast.care.pk},
        "conversations_set_status": {"status": "open"},
        "conversations_snooze": {"until": "2030-01-01T09:00:00+00:00"},
        "conversations_tag": {"name": "matrix-two"},
        "conversations_add_note": {"body": "matrix"},
        "conversations_reply": {"voice_id": cast.care_voice.pk, "text": "We are on it."},
        "triage_correct": {"field": "intent", "value": "question"},
        "triage_route": {"department_id": cast.care.pk},
    }


def _class(status: int) -> str:
    if status in (401, 403, 404):
        return str(status)
    assert status < 500, f"server error {status}"
    return "ok"


def _call(client: Client, method: str, path: str, secret: str | None, body: Any) -> Any:
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    try:
        with transaction.atomic():
            if method == "get":
                response = client.get(path, headers=headers)
            else:
                data = json.dumps(body) if body is not None else ""
                response = getattr(client, method)(
                    path, data, content_type="application/json", headers=headers
                )
            raise _RolledBack
    except _RolledBack:
        pass
    return response


def test_every_operation_has_a_row_in_the_table(db: None) -> None:
    operations = {name for name, _, _ in _operations()}
    missing = sorted(operations - set(EXPECTED))
    assert missing == [], f"add these operations to EXPECTED: {missing}"
    assert sorted(set(EXPECTED) - operations) == []


def test_every_role_gets_the_expected_answer_from_every_operation(
    cast: Cast, settings: Any
) -> None:
    settings.API_RATE = settings.API_ANON_RATE = "100000/min"
    ids = _world(cast, settings)
    bodies = _bodies(cast)
    secrets = {
        role: do_create_token(getattr(cast, role), cast.acme, "matrix")[1] for role in ACME_ROLES
    }
    secrets["outsider"] = do_create_token(cast.outsider, cast.globex, "matrix")[1]
    client = Client()
    wrong: list[str] = []
    outsider_saw: list[str] = []
    for name, method, template in _operations():
        path = re.sub(r"\{(\w+)\}", lambda m: str(ids.get(m.group(1), 1)), template)
        allowed, refused, outsider = EXPECTED[name]
        body = bodies.get(name)
        anonymous = _call(client, method, path, None, body)
        if anonymous.status_code != 401:
            wrong.append(f"anonymous {method.upper()} {path}: {anonymous.status_code}")
        for role, secret in secrets.items():
            expected = outsider if role == "outsider" else ("ok" if role in allowed else refused)
            response = _call(client, method, path, secret, body)
            got = _class(response.status_code)
            if got != expected:
                wrong.append(
                    f"{role} {method.upper()} {path}: {response.status_code} "
                    f"(expected {expected}) {response.content[:160]!r}"
                )
            if role == "outsider" and (
                MARKER.encode() in response.content or b"Acme" in response.content
            ):
                outsider_saw.append(f"{method.upper()} {path}: {response.content[:200]!r}")
    assert wrong == [], "\n".join(wrong)
    assert outsider_saw == [], "\n".join(outsider_saw)


@pytest.mark.parametrize("header", ["Bearer ct_" + "x" * 43, "Bearer nonsense", "Basic abc"])
def test_a_bad_credential_is_refused_on_every_operation(db: None, header: str) -> None:
    client = Client()
    for _name, method, template in _operations():
        path = re.sub(r"\{\w+\}", "1", template)
        response = getattr(client, method)(path, headers={"Authorization": header})
        assert response.status_code == 401, (method, path, response.status_code)
