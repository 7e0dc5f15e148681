"""Webhooks through the API and the settings pages: register (the secret shown once), change,
delete, read the delivery log, send again; administrators only, other organisations unseen."""

from __future__ import annotations

from typing import Any

import pytest

from cluetrain.hooks import services
from cluetrain.hooks.models import DeliveryStatus, Endpoint, HookDelivery
from tests.conftest import Cast
from tests.support.api_work import assert_error, call, queries_of, token


@pytest.fixture(autouse=True)
def private_allowed(settings: Any) -> None:
    settings.ALLOW_PRIVATE_URLS = True


def _made(cast: Cast, url: str = "http://127.0.0.1:9/hook") -> Endpoint:
    return services.do_create_endpoint(cast.admin, cast.acme, url, ["incident.declared"])[0]


def test_an_administrator_registers_a_webhook_and_sees_its_secret_only_once(cast: Cast) -> None:
    secret = token(cast.admin, cast.acme)
    body = {"url": "http://127.0.0.1:9/in", "events": ["post.published", "sla.breached"]}
    created = call("post", "/api/webhooks", secret, body)
    assert created.status_code == 201, created.content
    answer = created.json()
    assert answer["secret"].startswith("whsec_")
    assert answer["events"] == ["post.published", "sla.breached"]
    read = call("get", f"/api/webhooks/{answer['id']}", secret)
    assert "secret" not in read.json()
    assert answer["secret"] not in call("get", "/api/webhooks", secret).content.decode()


def test_a_private_address_is_refused_when_the_settings_do_not_allow_it(
    cast: Cast, settings: Any
) -> None:
    settings.ALLOW_PRIVATE_URLS = False
    secret = token(cast.director, cast.acme)
    body = {"url": "http://127.0.0.1/in", "events": ["post.published"]}
    error = assert_error(call("post", "/api/webhooks", secret, body), 400, "url")
    assert "loopback" in error["message"]
    bad = {"url": "http://93.184.215.14/", "events": ["nope"]}
    assert_error(call("post", "/api/webhooks", secret, bad), 400, "events")


def test_a_webhook_is_switched_off_given_other_events_and_deleted(cast: Cast) -> None:
    endpoint = _made(cast)
    secret = token(cast.director, cast.acme)
    changed = call("patch", f"/api/webhooks/{endpoint.pk}", secret, {"is_active": False})
    assert changed.json()["is_active"] is False
    events = {"events": ["conversation.assigned"]}
    assert call("patch", f"/api/webhooks/{endpoint.pk}", secret, events).json()["events"] == [
        "conversation.assigned"
    ]
    assert call("delete", f"/api/webhooks/{endpoint.pk}", secret).status_code == 204
    assert not Endpoint.objects.filter(pk=endpoint.pk).exists()


def test_the_delivery_log_lists_deliveries_and_one_is_sent_again(cast: Cast) -> None:
    endpoint = _made(cast)
    for key in ("1", "2", "3"):
        services.record("incident.declared", cast.acme.pk, key, lambda: {"x": 1})
    HookDelivery.objects.update(status=DeliveryStatus.FAILED, attempts=8, error="gave up")
    secret = token(cast.admin, cast.acme)
    log = call("get", f"/api/webhooks/{endpoint.pk}/deliveries", secret).json()
    assert log["count"] == 3
    first = log["items"][0]
    assert (first["event"], first["status"], first["attempts"]) == (
        "incident.declared",
        "failed",
        8,
    )
    again = call("post", f"/api/webhooks/{endpoint.pk}/deliveries/{first['id']}/redeliver", secret)
    assert again.status_code == 200, again.content
    assert again.json()["status"] == "pending"
    assert again.json()["delivery_id"] == first["delivery_id"]


def test_the_delivery_log_costs_the_same_queries_for_many_deliveries(cast: Cast) -> None:
    endpoint = _made(cast)
    secret = token(cast.admin, cast.acme)
    path = f"/api/webhooks/{endpoint.pk}/deliveries"
    services.record("incident.declared", cast.acme.pk, "0", dict)
    few = queries_of("get", path, secret)
    for key in range(1, 8):
        services.record("incident.declared", cast.acme.pk, str(key), dict)
    assert queries_of("get", path, secret) == few


@pytest.mark.parametrize("who", ["coordinator", "member", "agency"])
def test_people_who_are_not_administrators_are_refused(cast: Cast, who: str) -> None:
    endpoint = _made(cast)
    secret = token(getattr(cast, who), cast.acme)
    assert_error(call("get", "/api/webhooks", secret), 403, "not_allowed")
    assert_error(call("delete", f"/api/webhooks/{endpoint.pk}", secret), 403, "not_allowed")
    assert Endpoint.objects.filter(pk=endpoint.pk).exists()


def test_another_organisations_webhook_is_not_found(cast: Cast) -> None:
    endpoint = _made(cast)
    secret = token(cast.outsider, cast.globex)
    assert call("get", "/api/webhooks", secret).json() == []
    assert_error(call("get", f"/api/webhooks/{endpoint.pk}", secret), 404, "not_found")
    assert_error(call("delete", f"/api/webhooks/{endpoint.pk}", secret), 404, "not_found")


# --- Pages -------------------------------------------------------------------------------------


def test_the_settings_page_registers_a_webhook_and_shows_the_secret_once(cast: Cast) -> None:
    client = cast.client(cast.admin)
    assert client.get("/settings/webhooks/").status_code == 200
    response = client.post(
        "/settings/webhooks/",
        {"url": "http://127.0.0.1:9/page", "events": ["incident.declared"], "description": "Pager"},
    )
    assert response.status_code == 201
    endpoint = Endpoint.objects.get(url="http://127.0.0.1:9/page")
    assert services.secret_of(endpoint) in response.content.decode()
    again = client.get("/settings/webhooks/").content.decode()
    assert "http://127.0.0.1:9/page" in again
    assert services.secret_of(endpoint) not in again


def test_the_settings_page_shows_a_refused_address_in_words(cast: Cast, settings: Any) -> None:
    settings.ALLOW_PRIVATE_URLS = False
    response = cast.client(cast.director).post(
        "/settings/webhooks/", {"url": "http://10.1.2.3/", "events": ["incident.declared"]}
    )
    assert response.status_code == 400
    assert "private address" in response.content.decode()
    assert not Endpoint.objects.exists()


def test_the_delivery_log_page_shows_each_delivery_and_sends_one_again(cast: Cast) -> None:
    endpoint = _made(cast)
    (pk,) = services.record("incident.declared", cast.acme.pk, "9", dict)
    HookDelivery.objects.filter(pk=pk).update(
        status=DeliveryStatus.FAILED,
        response_code=502,
        attempts=8,
        error="The receiver answered HTTP 502.",
    )
    client = cast.client(cast.admin)
    page = client.get(f"/settings/webhooks/{endpoint.pk}/").content.decode()
    delivery = HookDelivery.objects.get(pk=pk)
    assert str(delivery.delivery_id) in page
    assert "502" in page
    assert "Gave up" in page
    response = client.post(f"/settings/webhooks/deliveries/{pk}/redeliver/")
    assert response.status_code == 302
    assert HookDelivery.objects.get(pk=pk).status == DeliveryStatus.PENDING


@pytest.mark.parametrize("who", ["coordinator", "member"])
def test_the_pages_are_for_administrators_only(cast: Cast, who: str) -> None:
    endpoint = _made(cast)
    client = cast.client(getattr(cast, who))
    assert client.get("/settings/webhooks/").status_code == 403
    assert client.get(f"/settings/webhooks/{endpoint.pk}/").status_code == 403
    assert client.post(f"/settings/webhooks/{endpoint.pk}/delete/").status_code == 403
    assert Endpoint.objects.filter(pk=endpoint.pk).exists()


def test_the_outsider_cannot_open_acmes_delivery_log(cast: Cast) -> None:
    endpoint = _made(cast)
    response = cast.client(cast.outsider).get(f"/settings/webhooks/{endpoint.pk}/")
    assert response.status_code == 404
