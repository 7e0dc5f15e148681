"""Alerts page the runbook's people in the app at once, and by e-mail and in Slack or Teams from
a background job; failures are recorded and retried, never raised, and nobody is paged twice."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from pytest_httpserver import HTTPServer

from cluetrain.crisis import services
from cluetrain.crisis.alerts import page_alert, page_declaration
from cluetrain.crisis.models import Alert, AlertStatus, Incident, Runbook, TimelineEvent
from cluetrain.crisis.services import Declaration
from cluetrain.notifications.models import Notification
from tests.conftest import Cast

PAGING = "cluetrain.crisis.alerts.page_alert"


def paged_runbook(cast: Cast, slack: str = "", teams: str = "", **fields: object) -> Runbook:
    book, _ = Runbook.objects.update_or_create(organization=cast.acme, defaults=fields)
    book.set_webhook("slack", slack)
    book.set_webhook("teams", teams)
    book.save()
    book.paged_people.set([cast.director, cast.operations])
    return book


def run_jobs() -> None:
    """Run every job that is due, as a worker does (the test must use ``transactional_db``)."""
    call_command("worker", batch=True, verbosity=0, no_housekeeping=True, publish_threads=0)


def make_retries_due() -> None:
    DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(run_after=timezone.now())


@pytest.fixture
def worker(transactional_db: None, settings: Any) -> None:
    # transactional: the worker closes and reopens database connections as in production.
    DBTaskResult.objects.all().delete()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def raise_one(cast: Cast) -> Alert:
    from django.test import TestCase

    # Enqueued once the alert commits; the test's own transaction never does, so run it here.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.do_raise_alert(
            cast.acme,
            kind="volume",
            headline="possible incident: 'delayed' +640 % in 10 minutes, 72 % negative",
            topic="delayed",
            evidence={"window": 600, "count": 74, "baseline": 10},
        )


def test_an_alert_reaches_the_app_at_once_and_the_mailbox_and_slack_from_a_job(
    cast: Cast, worker: None, httpserver: HTTPServer, settings: Any
) -> None:
    settings.ALLOW_PRIVATE_URLS = True
    httpserver.expect_request("/slack", method="POST").respond_with_data("ok")
    paged_runbook(cast, slack=httpserver.url_for("/slack"))
    alert = raise_one(cast)
    assert alert.status == AlertStatus.OPEN
    assert set(Notification.objects.filter(kind="crisis").values_list("person_id", flat=True)) == {
        cast.director.pk,
        cast.operations.pk,
    }
    # Nothing has waited for the mail server or the webhook: that is the job's work.
    assert mail.outbox == []
    assert httpserver.log == []
    assert DBTaskResult.objects.get(task_path=PAGING).args_kwargs["args"] == [alert.pk]
    run_jobs()
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
    assert alert.delivered["slack"] == {"ok": True, "attempts": 1}
    assert DBTaskResult.objects.get(task_path=PAGING).status == TaskResultStatus.SUCCESSFUL


def test_running_the_paging_job_twice_pages_once(
    cast: Cast, worker: None, httpserver: HTTPServer, settings: Any
) -> None:
    settings.ALLOW_PRIVATE_URLS = True
    httpserver.expect_request("/slack", method="POST").respond_with_data("ok")
    httpserver.expect_request("/teams", method="POST").respond_with_data("1")
    paged_runbook(cast, slack=httpserver.url_for("/slack"), teams=httpserver.url_for("/teams"))
    alert = raise_one(cast)
    run_jobs()
    page_alert.enqueue(alert.pk)  # a worker died after the work, or someone retried it
    run_jobs()
    assert len(httpserver.log) == 2
    assert len(mail.outbox) == 2
    assert Notification.objects.filter(kind="crisis").count() == 2
    assert DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).count() == 2


def test_a_failing_webhook_is_recorded_retried_with_back_off_and_the_rest_is_not_sent_again(
    cast: Cast, worker: None, httpserver: HTTPServer, settings: Any
) -> None:
    settings.ALLOW_PRIVATE_URLS = True
    httpserver.expect_request("/slack", method="POST").respond_with_data("ok")
    httpserver.expect_oneshot_request("/teams").respond_with_data("down", status=500)
    paged_runbook(cast, slack=httpserver.url_for("/slack"), teams=httpserver.url_for("/teams"))
    before = timezone.now()
    alert = raise_one(cast)
    run_jobs()
    alert.refresh_from_db()
    assert alert.delivered["teams"]["ok"] is False
    assert "HTTP 500" in alert.delivered["teams"]["error"]
    assert alert.delivered["teams"]["attempts"] == 1
    failed = DBTaskResult.objects.get(task_path=PAGING, status=TaskResultStatus.FAILED)
    assert "still to page: teams" in failed.traceback
    retry = DBTaskResult.objects.get(task_path=PAGING, status=TaskResultStatus.READY)
    assert retry.run_after >= before + timedelta(seconds=24)  # 30 s, up to 20 % jitter

    httpserver.expect_request("/teams", method="POST").respond_with_data("1")  # back up
    make_retries_due()
    run_jobs()
    alert.refresh_from_db()
    assert alert.delivered["teams"] == {"ok": True, "attempts": 2}
    assert alert.delivered["slack"] == {"ok": True, "attempts": 1}
    assert [r.path for r, _ in httpserver.log] == ["/slack", "/teams", "/teams"]
    assert len(mail.outbox) == 2


def test_a_failing_webhook_removed_from_the_runbook_is_not_waited_for(
    cast: Cast, worker: None, httpserver: HTTPServer, settings: Any
) -> None:
    settings.ALLOW_PRIVATE_URLS = True
    httpserver.expect_request("/teams").respond_with_data("down", status=500)
    book = paged_runbook(cast, teams=httpserver.url_for("/teams"), alert_emails=False)
    raise_one(cast)
    run_jobs()
    book.set_webhook("teams", "")
    book.save()
    make_retries_due()
    run_jobs()
    assert len(httpserver.log) == 1
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists()
    assert DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).count() == 1


def test_a_refused_address_is_recorded_and_not_retried(
    cast: Cast, worker: None, httpserver: HTTPServer, settings: Any
) -> None:
    settings.ALLOW_PRIVATE_URLS = False
    # Slack on loopback and Teams on the metadata address are refused by the address guard.
    paged_runbook(
        cast,
        slack=httpserver.url_for("/slack"),
        teams="http://169.254.169.254/latest/meta-data",
    )
    alert = raise_one(cast)
    run_jobs()
    alert.refresh_from_db()
    assert alert.delivered["slack"]["ok"] is False
    assert "loopback" in alert.delivered["slack"]["error"]
    assert alert.delivered["teams"]["permanent"] is True
    assert httpserver.log == []
    assert alert.delivered["in_app"] == 2
    # Trying again cannot help until someone changes the runbook: no retry.
    assert DBTaskResult.objects.get(task_path=PAGING).status == TaskResultStatus.SUCCESSFUL


def test_a_mail_server_failure_is_recorded_and_each_person_is_e_mailed_once(
    cast: Cast, worker: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.mail import send_mail

    refused = {"operations@example.com"}

    def flaky(subject: str, message: str, sender: None, to: list[str]) -> int:
        if to[0] in refused:
            raise OSError("connection refused")
        return send_mail(subject, message, sender, to)

    monkeypatch.setattr("cluetrain.crisis.alerts.send_mail", flaky)
    paged_runbook(cast)
    alert = raise_one(cast)
    run_jobs()
    alert.refresh_from_db()
    assert alert.delivered["email"]["sent"] == 1
    assert [f["person"] for f in alert.delivered["email"]["failed"]] == [cast.operations.pk]
    refused.clear()
    make_retries_due()
    run_jobs()
    alert.refresh_from_db()
    assert alert.delivered["email"]["ok"] is True
    assert alert.delivered["email"]["failed"] == []
    assert sorted(m.to[0] for m in mail.outbox) == [
        "director@example.com",
        "operations@example.com",
    ]


def test_a_channel_another_run_is_sending_is_left_to_it_until_its_claim_is_stale(
    cast: Cast, worker: None, httpserver: HTTPServer, settings: Any
) -> None:
    settings.ALLOW_PRIVATE_URLS = True
    httpserver.expect_request("/slack", method="POST").respond_with_data("ok")
    paged_runbook(cast, slack=httpserver.url_for("/slack"), alert_emails=False)
    alert = raise_one(cast)
    sending = {"sending_since": timezone.now().isoformat(), "attempts": 1}
    Alert.objects.filter(pk=alert.pk).update(delivered={**alert.delivered, "slack": sending})
    run_jobs()
    assert httpserver.log == []
    stale = {**sending, "sending_since": (timezone.now() - timedelta(minutes=5)).isoformat()}
    Alert.objects.filter(pk=alert.pk).update(delivered={**alert.delivered, "slack": stale})
    page_alert.enqueue(alert.pk)
    run_jobs()
    alert.refresh_from_db()
    assert alert.delivered["slack"] == {"ok": True, "attempts": 2}
    assert len(httpserver.log) == 1


def test_a_webhook_under_a_lost_key_is_recorded(cast: Cast, worker: None, settings: Any) -> None:
    from cluetrain.core import crypto

    settings.ALLOW_PRIVATE_URLS = True
    paged_runbook(cast, slack="https://hooks.example.com/services/T1/B2/secret", alert_emails=False)
    settings.ENCRYPTION_KEYS = [crypto.Fernet.generate_key().decode()]
    alert = raise_one(cast)
    run_jobs()
    alert.refresh_from_db()
    assert alert.delivered["slack"]["permanent"] is True
    assert "cannot be decrypted" in alert.delivered["slack"]["error"]


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
    assert not DBTaskResult.objects.filter(task_path=PAGING).exists()


def test_declaring_pages_the_paged_people_and_the_responders_once(
    cast: Cast, worker: None, httpserver: HTTPServer, settings: Any
) -> None:
    settings.ALLOW_PRIVATE_URLS = True
    httpserver.expect_request("/slack", method="POST").respond_with_data("ok")
    book = paged_runbook(cast, slack=httpserver.url_for("/slack"))
    book.responders.set([cast.mentor])
    incident, _ = services.do_declare_incident(
        cast.operations, cast.acme, Declaration(title="Flood at Central")
    )
    titles = set(Notification.objects.filter(kind="crisis").values_list("person_id", "title"))
    assert titles == {
        (person.pk, "Incident declared: Flood at Central")
        for person in (cast.director, cast.operations, cast.mentor)
    }
    assert mail.outbox == []
    assert httpserver.log == []
    run_jobs()
    page_declaration.enqueue(incident.pk)
    run_jobs()
    assert len(mail.outbox) == 3
    assert len(httpserver.log) == 1
    assert "Flood at Central" in json.loads(httpserver.log[0][0].get_data())["text"]
    paged = list(TimelineEvent.objects.filter(incident=incident, verb="paged"))
    assert [event.message for event in paged] == [
        "Paged 3 in the app.",
        "Paged 3 by e-mail, slack: sent.",
    ]
    assert paged[1].data["delivered"]["slack"] == {"ok": True, "attempts": 1}
    assert Incident.objects.get(pk=incident.pk).paged["email"]["sent"] == 3


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
    # In the app at once; the e-mails wait for the commit, which this test never reaches.
    assert alert.delivered["in_app"] == 2
    assert "email" not in alert.delivered
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
