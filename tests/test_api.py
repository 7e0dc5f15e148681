"""The REST API: tokens, every endpoint, and one error shape for every refusal."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.crypto import get_random_string
from PIL import Image

from cluetrain.api.models import ApiToken
from cluetrain.api.services import authenticate, do_create_token, do_revoke_token
from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.organizations.models import Membership, RoleGrant
from cluetrain.organizations.roles import Role
from cluetrain.publishing.dispatch import run_due
from cluetrain.publishing.models import Delivery, Post, PostStatus
from cluetrain.publishing.queues import do_set_queue
from cluetrain.voices.models import Voice, VoiceAccess, VoiceStatus
from cluetrain.voices.services import do_connect_personal_voice
from tests.conftest import Cast


@pytest.fixture(autouse=True)
def media_in_tmp(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def secret_for(cast: Cast, person: Any, **kwargs: Any) -> str:
    return do_create_token(person, cast.acme, "tests", **kwargs)[1]


def call(
    method: str, path: str, secret: str | None = None, body: Any = None, raw: str | None = None
) -> Any:
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    client = Client()
    if method == "get":
        return client.get(path, body or {}, headers=headers)
    data = raw if raw is not None else json.dumps(body or {})
    return client.post(path, data, content_type="application/json", headers=headers)


def png(size: tuple[int, int] = (8, 8)) -> str:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code, error
    assert error["message"]
    return dict(error)


# --- Tokens ------------------------------------------------------------------------------------


def test_a_token_is_stored_only_as_its_hash(cast: Cast) -> None:
    token, secret = do_create_token(cast.member, cast.acme, "release bot", days=30)
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert secret not in json.dumps(row, default=str)
    assert row["token_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.startswith(row["prefix"])
    assert len(row["prefix"]) < len(secret) // 3
    assert authenticate(secret) == (cast.member, cast.acme)


def test_a_token_records_its_use_at_most_once_a_minute(cast: Cast) -> None:
    token, secret = do_create_token(cast.member, cast.acme, "bot")
    authenticate(secret)
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    authenticate(secret)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    authenticate(secret)
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first  # type: ignore[operator]


def test_a_revoked_token_is_refused(cast: Cast) -> None:
    token, secret = do_create_token(cast.member, cast.acme, "bot")
    assert call("get", "/api/voices", secret).status_code == 200
    do_revoke_token(cast.member, token)
    assert authenticate(secret) is None
    assert_error(call("get", "/api/voices", secret), 401, "unauthenticated")


def test_an_expired_token_is_refused(cast: Cast) -> None:
    token, secret = do_create_token(cast.member, cast.acme, "bot", days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(call("get", "/api/voices", secret), 401, "unauthenticated")


def test_a_token_of_someone_removed_from_the_organisation_is_refused(cast: Cast) -> None:
    secret = secret_for(cast, cast.member)
    Membership.objects.filter(person=cast.member, organization=cast.acme).update(is_active=False)
    assert authenticate(secret) is None
    assert_error(call("get", "/api/posts", secret), 401, "unauthenticated")


def test_a_token_acts_with_its_persons_roles_of_the_moment(cast: Cast) -> None:
    post = Post.objects.get(pk=create(cast, cast.mentor, cast.care_voice, when="draft")["id"])
    secret = secret_for(cast, cast.coordinator)
    # A coordinator may stop what goes out through official voices…
    membership = Membership.objects.get(person=cast.coordinator, organization=cast.acme)
    RoleGrant.objects.filter(membership=membership).update(role=Role.MEMBER)
    # …but not once they are a member only: the token carries no roles of its own.
    assert_error(call("post", f"/api/posts/{post.pk}/cancel", secret), 403, "not_allowed")
    RoleGrant.objects.filter(membership=membership).update(role=Role.COORDINATOR)
    assert call("post", f"/api/posts/{post.pk}/cancel", secret).json()["status"] == "cancelled"


def test_only_the_owner_or_a_lead_may_revoke_a_token(cast: Cast) -> None:
    token, _ = do_create_token(cast.member, cast.acme, "bot")
    with pytest.raises(NotAllowed):
        do_revoke_token(cast.mentor, token)
    assert do_revoke_token(cast.director, token).revoked_at is not None


@pytest.mark.parametrize(
    ("name", "days"), [("", None), ("x" * 101, None), ("bot", 0), ("bot", 100_000)]
)
def test_a_token_needs_a_name_and_a_sensible_lifetime(
    cast: Cast, name: str, days: int | None
) -> None:
    with pytest.raises(ServiceError):
        do_create_token(cast.member, cast.acme, name, days=days)
    assert not ApiToken.objects.exists()


def test_an_outsider_cannot_have_a_token_for_the_organisation(cast: Cast) -> None:
    with pytest.raises(NotAllowed):
        do_create_token(cast.outsider, cast.acme, "bot")


@pytest.mark.parametrize("header", [None, "Bearer ct_not-a-real-token", "Bearer ", "Basic abc"])
def test_a_request_without_a_valid_token_is_refused(cast: Cast, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = Client().get("/api/posts", headers=headers)
    assert_error(response, 401, "unauthenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


# --- Voices ------------------------------------------------------------------------------------


def test_voices_lists_what_the_caller_may_post_through(cast: Cast) -> None:
    cast.member_voice.set_credential({"password": "hunter2-very-secret"})
    cast.member_voice.save()
    response = call("get", "/api/voices", secret_for(cast, cast.member))
    assert response.json() == [
        {
            "id": cast.member_voice.pk,
            "name": "Milo Member",
            "handle": "@milo",
            "network": "practice",
            "kind": "personal",
            "status": "connected",
            "department": None,
            "limit": 500,
        }
    ]
    assert b"hunter2" not in response.content
    mentors = call("get", "/api/voices", secret_for(cast, cast.mentor)).json()
    assert [(v["handle"], v["department"]) for v in mentors] == [("@acme.care", "Customer care")]


# --- Posts -------------------------------------------------------------------------------------


def create(cast: Cast, person: Any, voice: Voice, **fields: Any) -> dict[str, Any]:
    body = {"text": "Trains run on time today.", "voice_ids": [voice.pk], **fields}
    response = call("post", "/api/posts", secret_for(cast, person), body)
    assert response.status_code == 201, response.content
    return dict(response.json())


def test_posting_now_through_a_practice_voice_publishes_it(cast: Cast) -> None:
    created = create(cast, cast.member, cast.member_voice, category="marketing")
    assert created["status"] == "scheduled"
    assert created["author"] == {"id": cast.member.pk, "name": "Milo Member"}
    assert created["deliveries"][0]["voice"]["handle"] == "@milo"
    assert [event["verb"] for event in created["history"]] == ["created", "scheduled"]
    assert run_due() == 1
    post = call("get", f"/api/posts/{created['id']}", secret_for(cast, cast.member)).json()
    assert post["status"] == "published"
    delivery = post["deliveries"][0]
    assert delivery["status"] == "published"
    assert delivery["url"]
    assert delivery["published_at"].endswith("Z")


def test_a_wall_clock_time_is_read_in_the_given_time_zone(cast: Cast) -> None:
    day = (timezone.now() + timedelta(days=40)).date()
    created = create(
        cast, cast.member, cast.member_voice, at=f"{day}T09:30", time_zone="Europe/Paris"
    )
    expected = datetime.combine(day, time(9, 30), ZoneInfo("Europe/Paris")).astimezone(UTC)
    assert created["status"] == "scheduled"
    assert created["time_zone"] == "Europe/Paris"
    assert created["scheduled_at"] == expected.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert created["deliveries"][0]["due_at"] == created["scheduled_at"]


def test_a_time_with_an_offset_is_taken_exactly(cast: Cast) -> None:
    moment = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    offset = moment.astimezone(ZoneInfo("America/New_York")).isoformat()
    created = create(cast, cast.member, cast.member_voice, at=offset, time_zone="Asia/Tokyo")
    assert created["scheduled_at"] == moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert created["time_zone"] == "Asia/Tokyo"


def test_a_draft_is_scheduled_later(cast: Cast) -> None:
    created = create(cast, cast.member, cast.member_voice, when="draft")
    assert created["status"] == "draft"
    assert created["scheduled_at"] is None
    secret = secret_for(cast, cast.member)
    response = call("post", f"/api/posts/{created['id']}/schedule", secret, {"when": "now"})
    assert response.status_code == 200
    assert response.json()["status"] == "scheduled"


def test_a_post_takes_the_next_free_slot_of_the_voices_queue(cast: Cast) -> None:
    do_set_queue(cast.member, cast.member_voice, [(day, time(8, 0)) for day in range(7)])
    first = create(cast, cast.member, cast.member_voice, when="slot")
    second = create(cast, cast.member, cast.member_voice, when="slot", text="Another one.")
    assert first["scheduled_at"] < second["scheduled_at"]
    assert first["scheduled_at"].endswith("T08:00:00Z")  # the member's time zone is UTC


def test_cancel_stops_a_scheduled_post(cast: Cast) -> None:
    created = create(cast, cast.member, cast.member_voice, when="draft")
    response = call(
        "post",
        f"/api/posts/{created['id']}/cancel",
        secret_for(cast, cast.member),
        {"reason": "wrong day"},
    )
    assert response.json()["status"] == "cancelled"
    assert response.json()["history"][-1]["message"] == "wrong day"
    assert run_due() == 0


def test_retry_sends_a_failed_delivery_again(cast: Cast) -> None:
    created = create(cast, cast.member, cast.member_voice)
    Voice.objects.filter(pk=cast.member_voice.pk).update(status=VoiceStatus.NEEDS_RECONNECT)
    run_due()
    assert Post.objects.get(pk=created["id"]).status == PostStatus.FAILED
    Voice.objects.filter(pk=cast.member_voice.pk).update(status=VoiceStatus.CONNECTED)
    path = f"/api/posts/{created['id']}/retry"
    response = call("post", path, secret_for(cast, cast.member), raw="")  # no body needed
    assert response.json()["retried"] == 1
    assert response.json()["post"]["status"] == "scheduled"
    run_due()
    assert Post.objects.get(pk=created["id"]).status == PostStatus.PUBLISHED


def test_images_travel_as_base64_with_their_description(cast: Cast) -> None:
    created = create(
        cast,
        cast.member,
        cast.member_voice,
        images=[{"data": png(), "alt_text": "A red square", "filename": "red.png"}],
    )
    (media,) = created["media"]
    assert media["alt_text"] == "A red square"
    assert media["content_type"] == "image/jpeg"
    assert media["width"] == 8
    assert media["url"].startswith("http://testserver/media/posts/")
    assert "red" not in media["url"]  # stored under an unguessable name


def test_someone_elses_post_is_not_found(cast: Cast) -> None:
    created = create(cast, cast.member, cast.member_voice, when="draft")
    for person in (cast.mentor, cast.admin):
        response = call("get", f"/api/posts/{created['id']}", secret_for(cast, person))
        assert_error(response, 404, "not_found")
    outsider = do_create_token(cast.outsider, cast.globex, "bot")[1]
    assert call("get", "/api/posts", outsider).json()["count"] == 0


def test_official_posts_are_seen_by_every_member(cast: Cast) -> None:
    created = create(cast, cast.mentor, cast.care_voice, when="draft")
    listed = call("get", "/api/posts", secret_for(cast, cast.trainee)).json()
    assert [item["id"] for item in listed["items"]] == [created["id"]]
    assert listed["items"][0]["voice_ids"] == [cast.care_voice.pk]


def test_posts_are_paginated_newest_first(cast: Cast) -> None:
    ids = [create(cast, cast.member, cast.member_voice, text=f"Post {n}")["id"] for n in range(5)]
    secret = secret_for(cast, cast.member)
    page = call("get", "/api/posts", secret, {"limit": 2}).json()
    assert page["count"] == 5
    assert [item["id"] for item in page["items"]] == ids[::-1][:2]
    last = call("get", "/api/posts", secret, {"limit": 2, "offset": 4}).json()
    assert [item["id"] for item in last["items"]] == [ids[0]]
    error = assert_error(call("get", "/api/posts", secret, {"limit": 1000}), 400, "invalid_input")
    assert error["fields"][0]["path"] == "limit"


def test_posts_are_filtered(cast: Cast) -> None:
    draft = create(cast, cast.member, cast.member_voice, when="draft", category="marketing")
    now = create(cast, cast.member, cast.member_voice, text="Now.")
    official = create(cast, cast.mentor, cast.care_voice, when="draft", text="Official.")
    secret = secret_for(cast, cast.member)

    def ids(**query: Any) -> list[int]:
        response = call("get", "/api/posts", secret, query)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert ids(status="draft") == [official["id"], draft["id"]]
    assert ids(status="scheduled") == [now["id"]]
    assert ids(category="marketing") == [draft["id"]]
    assert ids(voice=cast.care_voice.pk) == [official["id"]]
    Post.objects.filter(pk=draft["id"]).update(created_at=timezone.now() - timedelta(days=3))
    yesterday = (timezone.now() - timedelta(days=1)).isoformat()
    assert ids(since=yesterday) == [official["id"], now["id"]]
    assert ids(until=yesterday) == [draft["id"]]
    assert_error(call("get", "/api/posts", secret, {"status": "lost"}), 400, "invalid_input")


def test_the_post_list_costs_the_same_queries_for_many_posts(
    cast: Cast, django_assert_num_queries: Any
) -> None:
    secret = secret_for(cast, cast.member)
    create(cast, cast.member, cast.member_voice, images=[{"data": png(), "alt_text": "Red"}])
    # The token, the membership, its last use; the count; posts, their deliveries and media.
    with django_assert_num_queries(7):
        call("get", "/api/posts", secret)
    for n in range(6):
        create(cast, cast.member, cast.member_voice, text=f"Post {n}")
    ApiToken.objects.update(last_used_at=None)
    with django_assert_num_queries(7):
        assert call("get", "/api/posts", secret).json()["count"] == 7


# --- Browser sessions --------------------------------------------------------------------------


def test_a_signed_in_browser_uses_its_session_with_csrf(cast: Cast) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.member)
    assert client.get("/api/voices").json()[0]["handle"] == "@milo"
    body = json.dumps({"text": "From the browser.", "voice_ids": [cast.member_voice.pk]})
    refused = client.post("/api/posts", body, content_type="application/json")
    assert_error(refused, 403, "not_allowed")
    assert not Post.objects.exists()
    csrf = get_random_string(32)
    client.cookies["csrftoken"] = csrf
    response = client.post(
        "/api/posts", body, content_type="application/json", headers={"X-CSRFToken": csrf}
    )
    assert response.status_code == 201, response.content


# --- The OpenAPI document ----------------------------------------------------------------------


def test_the_openapi_document_and_docs_are_served(cast: Cast) -> None:
    document = json.loads(Client().get("/api/openapi.json").content)
    assert document["openapi"].startswith("3.")
    assert document["info"] == {
        "title": "Cluetrain API",
        "version": "1",
        "description": document["info"]["description"],
    }
    assert {
        "/api/voices",
        "/api/posts",
        "/api/posts/{post_id}",
        "/api/posts/{post_id}/schedule",
        "/api/posts/{post_id}/cancel",
        "/api/posts/{post_id}/retry",
    } <= set(document["paths"])
    assert "BearerToken" in document["components"]["securitySchemes"]
    assert Client().get("/api/docs").status_code == 200


def test_an_unknown_api_path_answers_in_the_api_shape(cast: Cast) -> None:
    assert_error(Client().get("/api/nothing/here"), 404, "not_found")


# --- Refusals: one shape, nothing stored -------------------------------------------------------


def bluesky_voice(cast: Cast) -> Voice:
    return do_connect_personal_voice(cast.member, cast.acme, "bluesky", "milo.bsky.social")


PAST = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize(
    ("fields", "status", "code", "path"),
    [
        ({"text": "   "}, 400, "empty", None),
        ({"text": "x" * 301, "bluesky": True}, 400, "too_long", None),
        ({"at": "2030-01-01T10:00", "time_zone": "Mars/Olympus_Mons"}, 400, "time_zone", None),
        ({"at": PAST, "time_zone": "UTC"}, 400, "past", None),
        ({"when": "now", "at": "2030-01-01T10:00"}, 400, "when", None),
        ({"when": "at"}, 400, "when", None),
        ({"voice_ids": [999_999]}, 400, "voice", None),
        ({"images": [{"data": png()}]}, 400, "invalid_input", "images.0.alt_text"),
        ({"images": [{"data": png(), "alt_text": " "}]}, 400, "alt_missing", None),
        ({"images": [{"data": "!!not base64!!", "alt_text": "x"}]}, 400, "invalid_input", None),
        ({"images": [{"data": "aGVsbG8=", "alt_text": "x"}]}, 400, "media_type", None),
        ({"voice_ids": ["abc"]}, 400, "invalid_input", "voice_ids.0"),
        ({"text": 42}, 400, "invalid_input", "text"),
        ({"category": "gossip"}, 400, "invalid_input", "category"),
        ({"when": "tomorrow"}, 400, "invalid_input", "when"),
        ({"text": None}, 400, "invalid_input", "text"),
    ],
)
def test_bad_input_is_refused_in_one_shape_and_nothing_is_stored(
    cast: Cast, fields: dict[str, Any], status: int, code: str, path: str | None
) -> None:
    voice = bluesky_voice(cast) if fields.pop("bluesky", False) else cast.member_voice
    body = {"text": "Hello.", "voice_ids": [voice.pk], **fields}
    before = Post.objects.count(), Delivery.objects.count()
    response = call("post", "/api/posts", secret_for(cast, cast.member), body)
    error = assert_error(response, status, code)
    if path:
        assert path in [field["path"] for field in error["fields"]]
    assert (Post.objects.count(), Delivery.objects.count()) == before


def test_over_long_text_names_the_network_and_the_count(cast: Cast) -> None:
    body = {"text": "x" * 301, "voice_ids": [bluesky_voice(cast).pk]}
    error = assert_error(
        call("post", "/api/posts", secret_for(cast, cast.member), body), 400, "too_long"
    )
    assert "301 of 300" in error["message"]


def test_base64_garbage_names_the_field(cast: Cast) -> None:
    body = {
        "text": "Hello.",
        "voice_ids": [cast.member_voice.pk],
        "images": [{"data": "%%%", "alt_text": "x"}],
    }
    error = assert_error(
        call("post", "/api/posts", secret_for(cast, cast.member), body), 400, "invalid_input"
    )
    assert error["fields"] == [{"path": "images.0.data", "message": "is not valid base64"}]


def test_an_oversized_request_is_refused_before_it_is_read(cast: Cast, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = {
        "text": "Hello.",
        "voice_ids": [cast.member_voice.pk],
        "images": [{"data": png((200, 200)) + "A" * 12_000, "alt_text": "x"}],
    }
    response = call("post", "/api/posts", secret_for(cast, cast.member), body)
    assert_error(response, 413, "too_large")
    assert not Post.objects.exists()


def test_cancel_needs_no_body(cast: Cast) -> None:
    created = create(cast, cast.member, cast.member_voice, when="draft")
    response = call(
        "post", f"/api/posts/{created['id']}/cancel", secret_for(cast, cast.member), raw=""
    )
    assert response.json()["status"] == "cancelled"


@pytest.mark.parametrize("raw", ['{"text": "Hello", ', "", "[1, 2", "not json"])
def test_a_malformed_body_is_refused(cast: Cast, raw: str) -> None:
    response = call("post", "/api/posts", secret_for(cast, cast.member), raw=raw)
    assert_error(response, 400, "malformed_json")
    assert not Post.objects.exists()


def test_nobody_posts_through_someone_elses_personal_voice_not_even_the_admin(cast: Cast) -> None:
    assert cast.admin.is_superuser
    body = {"text": "Hello.", "voice_ids": [cast.member_voice.pk]}
    for person in (cast.admin, cast.director, cast.mentor):
        response = call("post", "/api/posts", secret_for(cast, person), body)
        error = assert_error(response, 403, "not_allowed")
        assert "Milo Member" in error["message"]
    assert not Post.objects.exists()


def test_only_people_on_an_official_voices_list_post_through_it(cast: Cast) -> None:
    body = {"text": "Hello.", "voice_ids": [cast.care_voice.pk]}
    assert_error(
        call("post", "/api/posts", secret_for(cast, cast.member), body), 403, "not_allowed"
    )
    VoiceAccess.objects.create(voice=cast.care_voice, person=cast.member)
    assert call("post", "/api/posts", secret_for(cast, cast.member), body).status_code == 201


def test_another_organisations_voice_is_unknown(cast: Cast) -> None:
    other = do_connect_personal_voice(cast.outsider, cast.globex, "practice", "@oscar")
    body = {"text": "Hello.", "voice_ids": [other.pk]}
    assert_error(call("post", "/api/posts", secret_for(cast, cast.member), body), 400, "voice")
    assert not Post.objects.exists()


def test_only_the_author_schedules_or_retries_a_post(cast: Cast) -> None:
    created = create(cast, cast.mentor, cast.care_voice, when="draft")
    secret = secret_for(cast, cast.member)
    path = f"/api/posts/{created['id']}"
    assert_error(call("post", f"{path}/schedule", secret, {"when": "now"}), 403, "not_allowed")
    assert_error(call("post", f"{path}/retry", secret), 403, "not_allowed")
    assert_error(call("post", f"{path}/cancel", secret), 403, "not_allowed")
    assert Post.objects.get(pk=created["id"]).status == PostStatus.DRAFT


def test_a_post_that_went_out_cannot_be_cancelled(cast: Cast) -> None:
    created = create(cast, cast.member, cast.member_voice)
    run_due()
    response = call("post", f"/api/posts/{created['id']}/cancel", secret_for(cast, cast.member))
    assert_error(response, 400, "invalid")
    assert Post.objects.get(pk=created["id"]).status == PostStatus.PUBLISHED
