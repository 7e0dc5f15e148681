"""Alerts page the runbook's people in the app, by e-mail and in Slack or Teams; failures are
recorded, never raised."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core import mail
from pytest_httpserver import HTTPServer

from cluetrain.crisis import services
from cluetrain.crisis.models import Alert, AlertStatus, Runbook, TimelineEvent
from cluetrain.crisis.services import Declaration
from cluetrain.notifications.models import Notification
from tests.conftest import Cast


def paged_runbook(cast: Cast, **fields: object) -> Runbook:
    book, _ = Runbook.objects.update_or_create(organization=cast.acme, defaults=fields)
    book.paged_people.set([cast.director, cast.operations])
    return book


def raise_one(cast: Cast) -> Alert:
    from django.test import TestCase

    # Paging waits for the commit; the test's own transaction never commits, so run it here.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.do_raise_alert(
            cast.acme,
            kind="volume",
            headline="possible incident: 'delayed' +640 % in 10 minutes, 72 % negative",
            topic="delayed",
            evidence={"window": 600, "count": 74, "baseline": 10},
        )


def test_an_alert_reaches_the_app_the_mailbox_and_a_slack_webhook(
    cast: Cast, httpserver: HTTPServer, settings: Any
) -> None:
    settings.ALLOW_PRIVATE_URLS = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    httpserver.expect_request("/slack", method="POST").respond_with_data("ok")
    paged_runbook(cast, slack_webhook_url=httpserver.url_for("/slack"))
    alert = raise_one(cast)
    assert alert.status == AlertStatus.OPEN
    assert set(Notification.objects.filter(kind="crisis").values_list("person_id", flat=True)) == {
        cast.director.pk,
        cast.operations.pk,
    }
    assert sorted(m.to[0] for m in mail.outbox) == [
        "director@example.com",
        "operations@example.com",
    ]
    assert "'delayed' +640 %" in mail.outbox[0].subject
    [(request, _)] = httpserver.log
    body = json.loads(request.get_data())
    assert set(body) == {"text"}
    assert "'delayed' +640 %" in body["text"]
    alert.refresh_from_db()
    assert alert.delivered["in_app"] == 2
    assert alert.delivered["email"]["sent"] == 2
    assert alert.delivered["slack"] == {"ok": True}


def test_a_failing_webhook_and_a_refused_address_are_recorded_not_raised(
    cast: Cast, httpserver: HTTPServer, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.ALLOW_PRIVATE_URLS = False
    httpserver.expect_request("/teams").respond_with_data("down", status=500)
    # Slack on loopback is refused by the address guard; Teams answers 500 (allowed for it).
    paged_runbook(
        cast,
        slack_webhook_url=httpserver.url_for("/slack"),
        teams_webhook_url="http://169.254.169.254/latest/meta-data",
    )
    alert = raise_one(cast)
    alert.refresh_from_db()
    assert alert.delivered["slack"]["ok"] is False
    assert "loopback" in alert.delivered["slack"]["error"]
    assert alert.delivered["teams"]["ok"] is False
    assert httpserver.log == []
    assert alert.delivered["in_app"] == 2


def test_a_receiver_answering_500_is_recorded(
    cast: Cast, httpserver: HTTPServer, settings: Any
) -> None:
    settings.ALLOW_PRIVATE_URLS = True
    httpserver.expect_request("/teams").respond_with_data("down", status=500)
    paged_runbook(cast, teams_webhook_url=httpserver.url_for("/teams"), alert_emails=False)
    alert = raise_one(cast)
    alert.refresh_from_db()
    assert alert.delivered["teams"]["ok"] is False
    assert "HTTP 500" in alert.delivered["teams"]["error"]
    assert "email" not in alert.delivered


def test_a_mail_server_failure_is_recorded(
    cast: Cast, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> int:
        raise OSError("connection refused")

    monkeypatch.setattr("cluetrain.crisis.alerts.send_mail", refuse)
    paged_runbook(cast)
    alert = raise_one(cast)
    alert.refresh_from_db()
    assert alert.delivered["email"]["sent"] == 0
    assert len(alert.delivered["email"]["failed"]) == 2


def test_an_alert_during_an_incident_goes_on_its_timeline(cast: Cast) -> None:
    paged_runbook(cast)
    incident, _ = services.do_declare_incident(
        cast.operations, cast.acme, Declaration(title="Flood")
    )
    alert = raise_one(cast)
    assert TimelineEvent.objects.filter(
        incident=incident, verb="alert", data__alert=alert.pk
    ).exists()


def test_declaring_from_an_alert_links_them(cast: Cast) -> None:
    paged_runbook(cast)
    alert = raise_one(cast)
    incident, _ = services.do_declare_incident(
        cast.operations, cast.acme, Declaration(title=alert.headline[:200]), alert=alert
    )
    alert.refresh_from_db()
    assert alert.status == AlertStatus.DECLARED
    assert alert.incident_id == incident.pk


def test_an_alert_rolled_back_pages_nobody(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    from django.db import transaction

    def watch_fails_after_raising() -> None:
        with transaction.atomic():
            services.do_raise_alert(cast.acme, kind="volume", headline="Surge")
            raise RuntimeError("the watch failed after raising it")

    paged_runbook(cast)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        watch_fails_after_raising()
    assert callbacks == []
    assert not Alert.objects.exists()
    assert not Notification.objects.filter(kind="crisis").exists()


def test_declaring_pages_the_paged_people_and_the_responders(
    cast: Cast, httpserver: HTTPServer, settings: Any
) -> None:
    from django.test import TestCase

    settings.ALLOW_PRIVATE_URLS = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    httpserver.expect_request("/slack", method="POST").respond_with_data("ok")
    book = paged_runbook(cast, slack_webhook_url=httpserver.url_for("/slack"))
    book.responders.set([cast.mentor])
    with TestCase.captureOnCommitCallbacks(execute=True):
        incident, _ = services.do_declare_incident(
            cast.operations, cast.acme, Declaration(title="Flood at Central")
        )
    titles = set(Notification.objects.filter(kind="crisis").values_list("person_id", "title"))
    assert titles == {
        (person.pk, "Incident declared: Flood at Central")
        for person in (cast.director, cast.operations, cast.mentor)
    }
    assert len(mail.outbox) == 3
    assert "Flood at Central" in json.loads(httpserver.log[0][0].get_data())["text"]
    paged = TimelineEvent.objects.get(incident=incident, verb="paged")
    assert paged.data["delivered"]["slack"] == {"ok": True}


def test_an_alert_needs_a_kind_and_a_headline(cast: Cast) -> None:
    from cluetrain.core.errors import ServiceError

    with pytest.raises(ServiceError):
        services.do_raise_alert(cast.acme, kind="", headline="x")
    with pytest.raises(ServiceError):
        services.do_raise_alert(cast.acme, kind="volume", headline="   ")


def test_the_alert_list_offers_declare_and_escapes_headlines(cast: Cast) -> None:
    paged_runbook(cast)
    alert = services.do_raise_alert(
        cast.acme, kind="volume", headline="<script>alert(1)</script> surge"
    )
    assert alert.delivered == {}  # paged after the commit, which this test never reaches
    page = cast.client(cast.operations).get("/crisis/alerts/")
    assert page.status_code == 200
    assert b"<script>alert(1)" not in page.content
    assert f"/crisis/declare/?alert={alert.pk}".encode() in page.content
    form = cast.client(cast.operations).get(f"/crisis/declare/?alert={alert.pk}")
    assert b"&lt;script&gt;alert(1)&lt;/script&gt; surge" in form.content
    # Another organisation's people do not see it.
    assert cast.client(cast.outsider).get(f"/crisis/declare/?alert={alert.pk}").status_code in (
        403,
        404,
    )
