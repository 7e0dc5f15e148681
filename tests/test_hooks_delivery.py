"""Outgoing webhooks: registering endpoints, signed deliveries to a real HTTP server on loopback,
retries with back-off, timeouts, giving up, and a delivery never sent twice by two runs."""

from __future__ import annotations

import json
import time
from datetime import UTC, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cluetrain.core.errors import ServiceError
from cluetrain.crisis.services import Declaration, do_declare_incident
from cluetrain.hooks import events, services
from cluetrain.hooks.models import DeliveryStatus, Endpoint, HookDelivery
from cluetrain.networks.webhook import verify_signature
from tests.conftest import Cast


@pytest.fixture
def loopback(settings: Any) -> Any:
    settings.ALLOW_PRIVATE_URLS = True
    settings.HOOK_BACKOFF_SECONDS = 30
    settings.HOOK_MAX_ATTEMPTS = 3
    settings.HOOK_TIMEOUT = 1
    settings.HOOK_STALE_AFTER = 120
    return settings


def _endpoint(cast: Cast, url: str, *chosen: str) -> tuple[Endpoint, str]:
    return services.do_create_endpoint(
        cast.admin, cast.acme, url, chosen or ["incident.declared"], "Our pager"
    )


def _one_delivery(cast: Cast, key: str = "1") -> HookDelivery:
    pks = services.record("incident.declared", cast.acme.pk, key, lambda: {"incident": {"id": 1}})
    assert len(pks) == 1
    return HookDelivery.objects.get(pk=pks[0])


def _due_now(delivery: HookDelivery) -> None:
    HookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_an_administrator_registers_an_endpoint_and_its_secret_is_only_stored_encrypted(
    cast: Cast, loopback: Any
) -> None:
    endpoint, secret = _endpoint(cast, "http://127.0.0.1:9/hook")
    assert secret.startswith("whsec_")
    assert len(secret) > 40
    assert secret not in endpoint.secret_ciphertext
    assert services.secret_of(Endpoint.objects.get(pk=endpoint.pk)) == secret
    assert endpoint.events == ["incident.declared"]


def test_loopback_and_private_addresses_are_refused_unless_the_settings_allow_them(
    cast: Cast, settings: Any
) -> None:
    settings.ALLOW_PRIVATE_URLS = False
    for url in ("http://127.0.0.1/hook", "http://10.0.0.5/x", "http://169.254.169.254/", "ftp://a"):
        with pytest.raises(ServiceError) as refused:
            _endpoint(cast, url)
        assert refused.value.code == "url"
    assert not Endpoint.objects.filter(organization=cast.acme).exists()


def test_unknown_or_missing_events_are_refused(cast: Cast, loopback: Any) -> None:
    with pytest.raises(ServiceError, match="not an event"):
        _endpoint(cast, "http://127.0.0.1:9/", "post.exploded")
    with pytest.raises(ServiceError, match="at least one event"):
        services.do_create_endpoint(cast.admin, cast.acme, "http://127.0.0.1:9/", [])


@pytest.mark.parametrize("who", ["member", "coordinator", "mentor", "agency", "outsider"])
def test_only_the_organisations_administrators_register_endpoints(
    cast: Cast, loopback: Any, who: str
) -> None:
    with pytest.raises(PermissionDenied):
        services.do_create_endpoint(
            getattr(cast, who), cast.acme, "http://127.0.0.1:9/", ["sla.breached"]
        )


def test_a_delivery_is_signed_over_timestamp_and_body_with_the_endpoints_secret(
    cast: Cast, loopback: Any, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    _, secret = _endpoint(cast, httpserver.url_for("/hook"))
    delivery = _one_delivery(cast)

    assert services.deliver(delivery.pk) == DeliveryStatus.DELIVERED

    ((request, _),) = httpserver.log
    body = request.get_data()
    assert verify_signature(
        secret,
        request.headers["X-Cluetrain-Timestamp"],
        body,
        request.headers["X-Cluetrain-Signature"],
    )
    assert not verify_signature(
        "whsec_wrong",
        request.headers["X-Cluetrain-Timestamp"],
        body,
        request.headers["X-Cluetrain-Signature"],
    )
    assert request.headers["X-Cluetrain-Delivery"] == str(delivery.delivery_id)
    assert request.headers["X-Cluetrain-Event"] == "incident.declared"
    sent = json.loads(body)
    assert sent["event"] == "incident.declared"
    assert sent["id"] == str(delivery.delivery_id)
    assert sent["data"] == {"incident": {"id": 1}}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_code, delivery.attempts) == ("delivered", 200, 1)


def test_an_event_emitted_twice_is_delivered_once_per_endpoint(
    cast: Cast, loopback: Any, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/a").respond_with_data("ok")
    httpserver.expect_request("/b").respond_with_data("ok")
    _endpoint(cast, httpserver.url_for("/a"))
    _endpoint(cast, httpserver.url_for("/b"))
    services.record("incident.declared", cast.acme.pk, "7", lambda: {"n": 1})
    services.record("incident.declared", cast.acme.pk, "7", lambda: {"n": 2})

    assert services.deliver_due() == {"delivered": 2}
    assert services.deliver_due() == {}
    assert sorted(request.path for request, _ in httpserver.log) == ["/a", "/b"]


def test_an_endpoint_not_subscribed_to_an_event_gets_nothing(cast: Cast, loopback: Any) -> None:
    _endpoint(cast, "http://127.0.0.1:9/", "post.published")
    assert services.record("incident.declared", cast.acme.pk, "1", dict) == []
    assert not HookDelivery.objects.exists()


def test_a_failed_delivery_is_retried_later_with_the_same_delivery_id_then_delivered(
    cast: Cast, loopback: Any, httpserver: HTTPServer
) -> None:
    httpserver.expect_ordered_request("/hook").respond_with_data("down", status=503)
    httpserver.expect_ordered_request("/hook").respond_with_data("ok")
    _endpoint(cast, httpserver.url_for("/hook"))
    delivery = _one_delivery(cast)

    before = timezone.now()
    assert services.deliver(delivery.pk) == DeliveryStatus.PENDING
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.response_code) == (1, 503)
    assert "503" in delivery.error
    assert delivery.next_attempt_at >= before + timedelta(seconds=29)
    # Not due yet: nothing is sent before its time.
    assert services.deliver(delivery.pk) == "skipped"
    assert len(httpserver.log) == 1

    _due_now(delivery)
    assert services.deliver(delivery.pk) == DeliveryStatus.DELIVERED
    ids = {request.headers["X-Cluetrain-Delivery"] for request, _ in httpserver.log}
    assert ids == {str(delivery.delivery_id)}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error) == ("delivered", 2, "")


def test_the_back_off_doubles_with_each_failed_attempt(
    cast: Cast, loopback: Any, httpserver: HTTPServer
) -> None:
    loopback.HOOK_MAX_ATTEMPTS = 5
    httpserver.expect_request("/hook").respond_with_data("no", status=500)
    _endpoint(cast, httpserver.url_for("/hook"))
    delivery = _one_delivery(cast)
    waits = []
    for _ in range(3):
        _due_now(delivery)
        services.deliver(delivery.pk)
        delivery.refresh_from_db()
        waits.append((delivery.next_attempt_at - timezone.now()).total_seconds())
    assert 25 < waits[0] < 31
    assert 55 < waits[1] < 61
    assert 115 < waits[2] < 121


def test_a_receiver_that_does_not_answer_in_time_is_a_failed_attempt(
    cast: Cast, loopback: Any, httpserver: HTTPServer
) -> None:
    def slow(request: Request) -> Response:
        time.sleep(2.5)
        return Response("late")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    _endpoint(cast, httpserver.url_for("/slow"))
    delivery = _one_delivery(cast)
    assert services.deliver(delivery.pk) == DeliveryStatus.PENDING
    delivery.refresh_from_db()
    assert delivery.response_code is None
    assert "No answer within 1 seconds" in delivery.error


def test_an_unreachable_receiver_is_retried_and_given_up_after_the_last_attempt(
    cast: Cast, loopback: Any, httpserver: HTTPServer
) -> None:
    url = httpserver.url_for("/gone")
    httpserver.stop()  # nothing listens on that port any more
    try:
        _endpoint(cast, url)
        delivery = _one_delivery(cast)
        outcomes = []
        for _ in range(3):
            _due_now(delivery)
            outcomes.append(services.deliver(delivery.pk))
        assert outcomes == ["pending", "pending", "failed"]
        delivery.refresh_from_db()
        assert delivery.next_attempt_at is None
        assert "Could not connect" in delivery.error
        assert services.due_deliveries() == []
    finally:
        httpserver.start()


def test_a_delivery_left_half_sent_by_a_stopped_worker_is_not_sent_again_until_it_is_stale(
    cast: Cast, loopback: Any, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/hook").respond_with_data("ok")
    _endpoint(cast, httpserver.url_for("/hook"))
    delivery = _one_delivery(cast)
    # A worker claimed it and was killed before recording the answer.
    assert services._claim(delivery.pk, timezone.now())

    # The job put back in the queue runs again: the live claim stops it.
    assert services.deliver(delivery.pk) == "skipped"
    assert services.deliver_due() == {}
    assert httpserver.log == []

    HookDelivery.objects.filter(pk=delivery.pk).update(
        claimed_at=timezone.now() - timedelta(seconds=121)
    )
    assert services.deliver_due() == {"delivered": 1}
    assert services.deliver_due() == {}
    assert len(httpserver.log) == 1
    ((request, _),) = httpserver.log
    assert request.headers["X-Cluetrain-Delivery"] == str(delivery.delivery_id)


def test_the_same_delivery_run_by_two_jobs_is_sent_once(
    cast: Cast, loopback: Any, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/hook").respond_with_data("ok")
    _endpoint(cast, httpserver.url_for("/hook"))
    delivery = _one_delivery(cast)
    assert [services.deliver(delivery.pk), services.deliver(delivery.pk)] == [
        "delivered",
        "skipped",
    ]
    assert len(httpserver.log) == 1


def test_a_switched_off_endpoint_is_not_sent_to(
    cast: Cast, loopback: Any, httpserver: HTTPServer
) -> None:
    endpoint, _ = _endpoint(cast, httpserver.url_for("/hook"))
    delivery = _one_delivery(cast)
    services.do_update_endpoint(cast.admin, endpoint, is_active=False)
    assert services.deliver(delivery.pk) == "skipped"
    assert httpserver.log == []


def test_redelivering_sends_a_delivered_event_again_with_its_id(
    cast: Cast, loopback: Any, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/hook").respond_with_data("ok")
    _endpoint(cast, httpserver.url_for("/hook"))
    delivery = _one_delivery(cast)
    services.deliver(delivery.pk)
    services.do_redeliver(cast.admin, delivery)
    assert services.deliver(delivery.pk) == "delivered"
    ids = [request.headers["X-Cluetrain-Delivery"] for request, _ in httpserver.log]
    assert ids == [str(delivery.delivery_id)] * 2
    with pytest.raises(PermissionDenied):
        services.do_redeliver(cast.member, delivery)


def test_declaring_an_incident_emits_its_event_once_the_declaration_commits(
    cast: Cast, loopback: Any, httpserver: HTTPServer, django_capture_on_commit_callbacks: Any
) -> None:
    httpserver.expect_request("/hook").respond_with_data("ok")
    _endpoint(cast, httpserver.url_for("/hook"))
    with django_capture_on_commit_callbacks(execute=True):
        incident, _ = do_declare_incident(cast.director, cast.acme, Declaration(title="Outage"))
    delivery = HookDelivery.objects.get()
    assert delivery.hook_event.key == str(incident.pk)
    services.deliver(delivery.pk)
    ((request, _),) = httpserver.log
    sent = json.loads(request.get_data())["data"]["incident"]
    assert sent["title"] == "Outage"
    assert sent["declared_by"] == {"id": cast.director.pk, "name": cast.director.full_name}


def test_an_event_of_a_rolled_back_transaction_is_never_recorded(
    cast: Cast, loopback: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _endpoint(cast, "http://127.0.0.1:9/")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        events.incident_declared(cast.acme.pk, 12345)
    assert len(callbacks) == 1  # waits for the commit; nothing stored before it
    assert not HookDelivery.objects.exists()


def test_another_organisations_events_do_not_reach_acmes_endpoints(
    cast: Cast, loopback: Any
) -> None:
    _endpoint(cast, "http://127.0.0.1:9/")
    assert services.record("incident.declared", cast.globex.pk, "1", dict) == []


def test_rotating_the_keys_re_encrypts_the_secrets_and_they_still_sign(
    cast: Cast, loopback: Any
) -> None:
    from cryptography.fernet import Fernet

    endpoint, secret = _endpoint(cast, "http://127.0.0.1:9/")
    before = endpoint.secret_ciphertext
    loopback.ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *loopback.ENCRYPTION_KEYS]
    assert services.do_rotate_secrets() == 1
    endpoint.refresh_from_db()
    assert endpoint.secret_ciphertext != before
    loopback.ENCRYPTION_KEYS = loopback.ENCRYPTION_KEYS[:1]  # the old key is gone
    assert services.secret_of(endpoint) == secret


def test_a_published_practice_post_emits_one_post_published_event(
    cast: Cast, loopback: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from cluetrain.publishing import dispatch
    from cluetrain.publishing.services import do_publish

    _endpoint(cast, "http://127.0.0.1:9/", "post.published")
    post = do_publish(cast.member, cast.member_voice, "Hello practice space")
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch.run_due() == 1
    (delivery,) = HookDelivery.objects.select_related("hook_event")
    data = delivery.hook_event.data["post"]
    assert (data["id"], data["text"]) == (post.pk, "Hello practice space")
    assert data["deliveries"][0]["voice"]["handle"] == "@milo"


def test_assigning_a_conversation_emits_conversation_assigned(
    cast: Cast, loopback: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from cluetrain.inbox.services import do_assign
    from tests.support.inbox import conversation

    _endpoint(cast, "http://127.0.0.1:9/", "conversation.assigned")
    item = conversation(cast.acme, text="Where is my parcel?")
    with django_capture_on_commit_callbacks(execute=True):
        do_assign(cast.coordinator, item, cast.member)
    (delivery,) = HookDelivery.objects.select_related("hook_event")
    data = delivery.hook_event.data["conversation"]
    assert data["id"] == item.pk
    assert data["assignee"] == {"id": cast.member.pk, "name": cast.member.full_name}


def test_a_breached_deadline_emits_sla_breached_once(
    cast: Cast, loopback: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from cluetrain.inbox import sla
    from tests.support.inbox import conversation

    _endpoint(cast, "http://127.0.0.1:9/", "sla.breached")
    due = timezone.now() - timedelta(minutes=5)
    item = conversation(cast.acme, text="Still waiting", due_at=due)
    with django_capture_on_commit_callbacks(execute=True):
        assert sla._alert(item, timezone.now(), breach=True) == 1
        assert sla._alert(item, timezone.now(), breach=True) == 0  # the second run finds it done
    (delivery,) = HookDelivery.objects.select_related("hook_event")
    assert delivery.hook_event.data["conversation"]["id"] == item.pk
    assert delivery.hook_event.data["due_at"] == due.astimezone(UTC).isoformat()
